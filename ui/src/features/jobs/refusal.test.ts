import { describe, expect, it } from "vitest";
import { ApiError } from "@/api";
import { parseRefusalCheck, refusalChecks } from "./refusal";

function refused(status: number, failures: unknown): ApiError {
  return new ApiError({ status, title: "Refused", code: "preflight_refused", requestId: "r", problem: { failures } as never });
}

describe("refusal parser", () => {
  it("reads the tenant shape {name, ok, measured, threshold, message}", () => {
    expect(parseRefusalCheck({ name: "source_lag", ok: false, measured: 250, threshold: 100, message: "lag 250 > 100" })).toEqual({
      check: "source_lag",
      ok: false,
      value: 250,
      threshold: 100,
      detail: "lag 250 > 100",
    });
  });

  it("reads the Swarm shape {check, detail}", () => {
    expect(parseRefusalCheck({ check: "replicas_running", detail: "1 of 2 replicas running" })).toEqual({
      check: "replicas_running",
      ok: null,
      value: null,
      threshold: null,
      detail: "1 of 2 replicas running",
    });
  });

  it("reads the unified shape {check, ok, value, threshold, detail}", () => {
    expect(parseRefusalCheck({ check: "target_ready", ok: false, value: false, threshold: true, detail: "not ready" })).toEqual({
      check: "target_ready",
      ok: false,
      value: false,
      threshold: true,
      detail: "not ready",
    });
  });

  it("tolerates junk: non-objects, non-scalar values, missing names", () => {
    expect(parseRefusalCheck("nonsense")).toEqual({ check: "unknown check", ok: null, value: null, threshold: null, detail: "" });
    expect(parseRefusalCheck({ name: "x", measured: { nested: 1 }, threshold: [1] })).toMatchObject({ value: null, threshold: null });
  });

  it("lists only the failed checks of a 422, and nothing for other errors", () => {
    const failures = [
      { name: "a", ok: false, measured: 1, threshold: 0, message: "" },
      { name: "b", ok: true, measured: 0, threshold: 0, message: "" },
      { check: "c", detail: "no ok field: counted as failed" },
    ];
    expect(refusalChecks(refused(422, failures)).map((c) => c.check)).toEqual(["a", "c"]);
    expect(refusalChecks(refused(409, failures))).toEqual([]);
    expect(refusalChecks(refused(422, "not a list"))).toEqual([]);
    expect(refusalChecks(new Error("plain"))).toEqual([]);
  });
});
