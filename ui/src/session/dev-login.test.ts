import { describe, expect, it } from "vitest";
import { parseDevLogin } from "./dev-login";

describe("parseDevLogin", () => {
  it("reads the Gateway's token answer, as an object or as JSON text", () => {
    const body = { access_token: "t", token_type: "bearer", expires_at: "2026-11-27T08:00:00Z", session_id: "s", principal_id: "admin" };
    const expected = { accessToken: "t", principalId: "admin", sessionId: "s", expiresAt: "2026-11-27T08:00:00Z" };
    expect(parseDevLogin(body)).toEqual(expected);
    expect(parseDevLogin(JSON.stringify(body))).toEqual(expected);
  });
  it("accepts expires_at as epoch seconds", () => {
    expect(parseDevLogin({ access_token: "t", expires_at: 1795743349 }).expiresAt).toBe("2026-11-27T01:35:49.000Z");
  });
  it("refuses an answer without a token", () => {
    expect(() => parseDevLogin({ token_type: "bearer" })).toThrow(/without an access token/);
    expect(() => parseDevLogin("<html>")).toThrow();
  });
});
