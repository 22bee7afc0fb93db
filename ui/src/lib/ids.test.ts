import { describe, expect, it } from "vitest";
import { normaliseSearchId, traceIdOf } from "./ids";

describe("normaliseSearchId", () => {
  it("accepts request/correlation ids (UUIDs), lower-casing them", () => {
    expect(normaliseSearchId(" 3F2504E0-4F89-41D3-9A0C-0305E82C3301 ")).toBe("3f2504e0-4f89-41d3-9a0c-0305e82c3301");
  });
  it("accepts 32-hex trace ids and extracts them from a traceparent", () => {
    const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    expect(normaliseSearchId(trace.toUpperCase())).toBe(trace);
    expect(normaliseSearchId(`00-${trace}-00f067aa0ba902b7-01`)).toBe(trace);
    expect(traceIdOf(`00-${trace}-00f067aa0ba902b7-01`)).toBe(trace);
  });
  it("rejects empty or free text", () => {
    expect(normaliseSearchId("   ")).toBeNull();
    expect(normaliseSearchId("drop table users;")).toBeNull();
  });
});
