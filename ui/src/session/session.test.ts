import { afterEach, describe, expect, it } from "vitest";
import { api } from "@/api";
import { installFakeApi, problem } from "@/test/fake-api";
import { pkceChallenge, startSso, takePendingSso } from "./sso";
import { REFRESH_FAILED_MESSAGE, refreshLeadMs, session, sessionFromTokens, signIn, signOut, signOutReason } from "./session";

const soon = () => new Date(Date.now() + 2_000).toISOString();

function tokens(token: string, inSeconds = 900) {
  return {
    access_token: token,
    token_type: "Bearer",
    expires_at: Math.floor(Date.now() / 1000) + inSeconds,
    session_id: "ses_1",
    principal_id: "pat",
    refresh_expires_at: Math.floor(Date.now() / 1000) + 8 * 3600,
  };
}

afterEach(() => signOut());

describe("the session's access token", () => {
  it("is refreshed before a call when it is about to expire, once for concurrent calls", async () => {
    const fake = installFakeApi({
      routes: [["POST", /^\/admin\/v1\/session\/refresh$/, () => ({ body: tokens("fresh") })]],
    });
    signIn({ token: "old", principalId: "pat", sessionId: "ses_1", expiresAt: soon(), refreshable: true });
    await Promise.all([api.GET("/admin/v1/whoami"), api.GET("/admin/v1/whoami")]);
    const refreshes = fake.requests.filter((r) => r.url.endsWith("/session/refresh"));
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]!.headers.get("authorization")).toBeNull(); // the cookie is the credential
    const whoamis = fake.requests.filter((r) => r.url.endsWith("/whoami"));
    expect(whoamis.map((r) => r.headers.get("authorization"))).toEqual(["Bearer fresh", "Bearer fresh"]);
    expect(session.get()?.token).toBe("fresh");
    expect(session.get()?.refreshable).toBe(true);
  });

  it("is not refreshed when it was pasted (no refresh cookie)", async () => {
    const fake = installFakeApi();
    signIn({ token: "pasted", principalId: null, sessionId: null, expiresAt: soon(), refreshable: false });
    await api.GET("/admin/v1/whoami");
    expect(fake.requests.some((r) => r.url.endsWith("/session/refresh"))).toBe(false);
  });

  it("ends when the API refuses the refresh (revoked session), with the reason", async () => {
    installFakeApi({
      routes: [["POST", /^\/admin\/v1\/session\/refresh$/, () => problem(401, { code: "session_revoked" })]],
    });
    signIn({ token: "old", principalId: "pat", sessionId: "ses_1", expiresAt: soon(), refreshable: true });
    await api.GET("/admin/v1/whoami");
    expect(session.get()).toBeNull();
    expect(signOutReason.get()).toBe(REFRESH_FAILED_MESSAGE);
  });

  it("comes from the API's sign-in answer; the refresh lead is short for short tokens", () => {
    const s = sessionFromTokens(tokens("t", 60));
    expect(s).toMatchObject({ token: "t", principalId: "pat", sessionId: "ses_1", refreshable: true });
    expect(refreshLeadMs(15_000)).toBe(5_000);
    expect(refreshLeadMs(3_600_000)).toBe(60_000);
  });
});

describe("single sign-on", () => {
  it("sends the browser to the Gateway with a PKCE challenge and keeps the verifier for the callback", async () => {
    const url = new URL(await startSso("http://gw.test/auth/v1/sso/authorize", "cloudlysis-control", "/tenants"));
    expect(url.origin + url.pathname).toBe("http://gw.test/auth/v1/sso/authorize");
    const q = url.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("redirect_uri")).toBe(`${window.location.origin}/login/callback`);
    expect(takePendingSso("wrong-state")).toBeNull();
    const again = new URL(await startSso("http://gw.test/auth/v1/sso/authorize", "cloudlysis-control", "/tenants"));
    const pending = takePendingSso(again.searchParams.get("state"));
    expect(pending?.from).toBe("/tenants");
    expect(await pkceChallenge(pending!.verifier)).toBe(again.searchParams.get("code_challenge"));
    expect(takePendingSso(again.searchParams.get("state"))).toBeNull(); // used up
  });

  it("matches the RFC 7636 example challenge", async () => {
    expect(await pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });
});
