import { describe, expect, it } from "vitest";
import { session, signOutReason, UNAUTHORIZED_MESSAGE } from "@/session";
import { currentTenant } from "@/lib";
import { installFakeApi, problem } from "@/test/fake-api";
import { signInForTest } from "@/test/render";
import { api } from "./client";
import { ApiError } from "./errors";
import { flowHeaders, lastRequest, startFlow } from "./identity";

describe("identity middleware", () => {
  it("sends a fresh x-request-id and the bearer token on every request", async () => {
    const fake = installFakeApi();
    signInForTest("admin");
    await api.GET("/admin/v1/whoami");
    await api.GET("/admin/v1/whoami");
    const [a, b] = fake.requests;
    expect(a!.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(a!.headers.get("x-request-id")).not.toBe(b!.headers.get("x-request-id"));
    expect(a!.headers.get("authorization")).toBe("Bearer token-admin");
  });

  it("omits correlation and trace ids outside a flow, and records what the server returned", async () => {
    const fake = installFakeApi();
    signInForTest();
    await api.GET("/admin/v1/whoami");
    const sent = fake.requests[0]!;
    expect(sent.headers.has("x-correlation-id")).toBe(false);
    expect(sent.headers.has("traceparent")).toBe(false);
    const last = lastRequest.get();
    expect(last?.requestId).toBe(sent.headers.get("x-request-id"));
    expect(last?.correlationId).toMatch(/^corr-/);
    expect(last?.traceparent).toMatch(/^00-/);
    expect(last?.path).toBe("/admin/v1/whoami");
  });

  it("continues the correlation id and traceparent of a flow's first response", async () => {
    const fake = installFakeApi();
    signInForTest();
    const flow = startFlow();
    await api.GET("/admin/v1/jobs", { headers: flowHeaders(flow) });
    const first = fake.requests[0]!;
    expect(first.headers.has("x-correlation-id")).toBe(false);
    expect(first.headers.has("x-ui-flow")).toBe(false);
    expect(flow.correlationId).toMatch(/^corr-/);

    await api.GET("/admin/v1/jobs", { headers: flowHeaders(flow) });
    const second = fake.requests[1]!;
    expect(second.headers.get("x-correlation-id")).toBe(flow.correlationId);
    expect(second.headers.get("traceparent")).toBe(flow.traceparent);
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
  });

  it("sends x-tenant-id only on tenant-scoped calls", async () => {
    const fake = installFakeApi();
    signInForTest();
    currentTenant.set("tenant-a");
    await api.GET("/admin/v1/iam/{path}", { params: { path: { path: "users" } } });
    await api.GET("/admin/v1/whoami");
    expect(fake.requests[0]!.headers.get("x-tenant-id")).toBe("tenant-a");
    expect(fake.requests[1]!.headers.has("x-tenant-id")).toBe(false);
  });

  it("turns problem+json into an ApiError carrying the ids and the missing right", async () => {
    installFakeApi({
      routes: [["GET", /^\/admin\/v1\/jobs$/, () => problem(403, { title: "Forbidden", missing_right: "control.jobs.read" })]],
    });
    signInForTest();
    const error = await api.GET("/admin/v1/jobs").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(403);
    expect(apiError.missingRight).toBe("control.jobs.read");
    expect(apiError.requestId).toBe("req-from-problem");
    expect(apiError.correlationId).toBe("corr-from-problem");
  });

  it("clears the token on 401 and says why", async () => {
    installFakeApi({ routes: [["GET", /^\/admin\/v1\/whoami$/, () => problem(401, { title: "Unauthorized" })]] });
    signInForTest();
    await expect(api.GET("/admin/v1/whoami")).rejects.toBeInstanceOf(ApiError);
    expect(session.get()).toBeNull();
    expect(sessionStorage.length).toBe(0);
    expect(signOutReason.get()).toBe(UNAUTHORIZED_MESSAGE);
  });

  it("reports a network failure as an ApiError with the request id that was sent", async () => {
    const fake = installFakeApi();
    fake.fetch.mockRejectedValueOnce(new TypeError("Failed to fetch"));
    signInForTest();
    const error = (await api.GET("/admin/v1/whoami").catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
