import { describe, expect, it } from "vitest";
import { formatAbsolute, formatRelative } from "./clock";

describe("formatRelative", () => {
  const now = Date.parse("2026-11-27T12:00:00Z");
  it("says how long ago, or how long until", () => {
    expect(formatRelative(now - 3 * 60_000, now)).toBe("3 min ago");
    expect(formatRelative(now - 500, now)).toBe("just now");
    expect(formatRelative(now + 500, now)).toBe("just now");
    expect(formatRelative(now + 5 * 60_000, now)).toBe("in 5 min");
    expect(formatRelative(now + 3 * 3600_000, now)).toBe("in 3 h");
    expect(formatRelative(now + 3 * 86_400_000, now)).toBe("in 3 d");
  });
});

describe("formatAbsolute", () => {
  it("gives UTC and local time", () => {
    expect(formatAbsolute("2026-11-27T10:00:05Z")).toMatch(/^2026-11-27 10:00:05 UTC \(.+ local\)$/);
    expect(formatAbsolute("not a time")).toBe("not a time");
  });
});
