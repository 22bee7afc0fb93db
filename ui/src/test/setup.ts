import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach, beforeEach, vi } from "vitest";
import { resetFlowsForTests } from "@/api";
import { session, signOutReason } from "@/session";
import { currentTenant } from "@/lib";

// Lazy route chunks are transformed on first import; on a busy 2-core machine that can take
// more than the default second.
configure({ asyncUtilTimeout: 5000 });

// jsdom has no layout: give scroll containers a size so virtualised tables render a window.
Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 600 });
Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 1024 });

// jsdom has no canvas: say so quietly (charts then show their legend and summary, no plot).
HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;

class NoopResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= NoopResizeObserver as unknown as typeof ResizeObserver;

if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      addListener: () => undefined,
      removeListener: () => undefined,
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

beforeEach(() => {
  Object.defineProperty(navigator, "clipboard", {
    configurable: true,
    value: { writeText: vi.fn(async () => undefined) },
  });
});

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
  session.set(null);
  signOutReason.set(null);
  currentTenant.set(null);
  resetFlowsForTests();
  vi.unstubAllGlobals();
});
