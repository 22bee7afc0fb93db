import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { renderApp, signInForTest } from "@/test/render";
import { lastRequest } from "@/api";
import { setTheme } from "@/lib";
import { LastRequestPanel } from "./last-request-panel";
import { ThemeToggle } from "./theme-toggle";

describe("Last request panel", () => {
  it("shows the latest ids with copy buttons", async () => {
    render(<LastRequestPanel />);
    expect(screen.getByText("none yet")).toBeInTheDocument();
    act(() =>
      lastRequest.set({
        requestId: "req-1",
        correlationId: "corr-1",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        method: "GET",
        path: "/admin/v1/jobs",
        status: 200,
        at: "2026-11-27T00:00:00Z",
      }),
    );
    await userEvent.click(screen.getByRole("button", { name: /Last request/ }));
    expect(screen.getByText("GET /admin/v1/jobs → 200")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Copy Correlation ID" }));
    expect(navigator.clipboard.writeText).toHaveBeenCalledWith("corr-1");
  });
});

describe("Theme toggle", () => {
  it("cycles system → light → dark, applying and remembering the choice", async () => {
    setTheme("system");
    render(<ThemeToggle />);
    await userEvent.click(screen.getByRole("button", { name: /Switch to Light/ }));
    expect(document.documentElement).not.toHaveClass("dark");
    expect(localStorage.getItem("cloudlysis.control.theme")).toBe("light");
    await userEvent.click(screen.getByRole("button", { name: /Switch to Dark/ }));
    expect(document.documentElement).toHaveClass("dark");
    expect(localStorage.getItem("cloudlysis.control.theme")).toBe("dark");
    await userEvent.click(screen.getByRole("button", { name: /Switch to System/ }));
    expect(localStorage.getItem("cloudlysis.control.theme")).toBeNull();
  });
});

describe("Keyboard", () => {
  it("focuses the global search on /, but not while typing in a field", async () => {
    installFakeApi();
    signInForTest();
    renderApp("/jobs");
    const search = await screen.findByRole("searchbox", { name: /Investigate an id/ });
    const tenantFilter = await screen.findByLabelText("Tenant");
    expect(search).not.toHaveFocus();
    await userEvent.keyboard("/");
    expect(search).toHaveFocus();
    expect(search).toHaveValue("");
    await userEvent.click(tenantFilter);
    await userEvent.keyboard("a/b");
    expect(tenantFilter).toHaveFocus();
    expect(tenantFilter).toHaveValue("a/b");
  });
});
