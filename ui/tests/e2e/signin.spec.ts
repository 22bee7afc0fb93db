// Signing in for real through the demo Gateway: a password, staying signed in across an access
// token's expiry (scripts/e2e.sh gives password and SSO sign-ins 20 s tokens), signing out
// revoking the session, and the SSO redirect round trip through the Gateway's own login page.
// Each test creates its own user, so the specs run in any order on one demo.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { bearerOf, expectNoSeriousA11yViolations, screenshot, uniqueId } from "./helpers";

const PASSWORD = "e2e password, long enough";
const ACCESS_TTL_MS = Number(process.env.E2E_ACCESS_TTL_S ?? "20") * 1000;
const TOKEN_KEY = "cloudlysis.control.token";

async function userWithPassword(request: APIRequestContext): Promise<string> {
  const id = uniqueId("e2e-pw");
  const r = await request.post("/admin/v1/iam/users", {
    headers: await bearerOf(request, "admin"),
    data: { id, name: "E2E Password User", roles: ["viewer"], password: PASSWORD },
  });
  expect(r.status(), await r.text()).toBe(201);
  return id;
}

async function stored(page: Page): Promise<{ token: string; sessionId: string; expiresAt: string; refreshable: boolean }> {
  const raw = await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY);
  expect(raw).not.toBeNull();
  return JSON.parse(raw!) as { token: string; sessionId: string; expiresAt: string; refreshable: boolean };
}

async function sessionStatus(request: APIRequestContext, user: string, sessionId: string): Promise<string> {
  const r = await request.get(`/admin/v1/iam/sessions?principal_id=${user}`, { headers: await bearerOf(request, "admin") });
  const items = (await r.json()).items as Array<{ id: string; status: string }>;
  return items.find((s) => s.id === sessionId)?.status ?? "missing";
}

test.describe("signing in through the Gateway", () => {
  test("with a password: the token is refreshed before it expires, and signing out revokes the session", async ({ page, request }, testInfo) => {
    test.setTimeout(90_000 + ACCESS_TTL_MS);
    const user = await userWithPassword(request);
    await page.goto("/login");
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(PASSWORD);
    await expectNoSeriousA11yViolations(page, testInfo, "login");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
    const first = await stored(page);
    expect(first.refreshable).toBe(true);
    // The refresh token is the API's HttpOnly cookie: no script and no storage ever sees it.
    const cookie = (await page.context().cookies()).find((c) => c.name === "cloudlysis_refresh");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/admin/v1/session" });
    const storage = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage, cookie: document.cookie }));
    expect(storage).not.toContain(cookie!.value);
    expect(page.url()).not.toContain(cookie!.value);

    // Past the first token's expiry, the console still works: it refreshed in time.
    const expiry = Date.parse(first.expiresAt);
    await page.waitForTimeout(Math.max(0, expiry - Date.now()) + 2_000);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Jobs", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Jobs" })).toBeVisible();
    await expect(page).not.toHaveURL(/\/login/);
    const second = await stored(page);
    expect(second.token).not.toBe(first.token);
    expect(second.sessionId).toBe(first.sessionId);
    expect(Date.parse(second.expiresAt)).toBeGreaterThan(expiry);

    await page.goto("/settings");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByText("You signed out.")).toBeVisible();
    expect(await sessionStatus(request, user, first.sessionId)).toBe("revoked");
    const after = await request.get("/admin/v1/whoami", { headers: { authorization: `Bearer ${second.token}` } });
    expect(after.status()).toBe(401);
    await screenshot(page, testInfo, "signed-out");
  });

  test("with single sign-on: the redirect round trip through the Gateway's login page", async ({ page, request }, testInfo) => {
    const user = await userWithPassword(request);
    await page.goto("/login");
    await page.getByRole("button", { name: "Sign in with single sign-on" }).click();
    // The Gateway's own page (another origin), with the console as the client.
    await expect(page.getByRole("heading", { name: "Cloudlysis Gateway" })).toBeVisible();
    expect(new URL(page.url()).pathname).toBe("/auth/v1/sso/authorize");
    expect(new URL(page.url()).searchParams.get("code_challenge_method")).toBe("S256");
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("wrong user name or password");
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(PASSWORD);
    await screenshot(page, testInfo, "sso-gateway-page");
    await page.getByRole("button", { name: "Sign in" }).click();

    await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
    expect(new URL(page.url()).search).not.toContain("code="); // the code left the address bar
    await expect(page.getByRole("button", { name: new RegExp(user) })).toBeVisible();
    const s = await stored(page);
    expect(s.refreshable).toBe(true);
    const sessions = await request.get(`/admin/v1/iam/sessions?principal_id=${user}`, { headers: await bearerOf(request, "admin") });
    const mine = ((await sessions.json()).items as Array<{ id: string; method: string; status: string }>).find((x) => x.id === s.sessionId);
    expect(mine).toMatchObject({ method: "sso", status: "active" });
  });
});
