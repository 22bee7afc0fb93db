import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Page, type TestInfo } from "@playwright/test";

export const ROUTES = [
  { path: "/", heading: "Overview" },
  { path: "/jobs", heading: "Jobs" },
  { path: "/audit", heading: "Audit Log" },
  { path: "/investigate", heading: "Investigate" },
  { path: "/observability", heading: "Observability" },
  { path: "/tenants", heading: "Tenants" },
  { path: "/users", heading: "Users" },
  { path: "/sessions", heading: "Sessions" },
  { path: "/roles", heading: "Roles & Permissions" },
  { path: "/config", heading: "Config" },
  { path: "/definitions", heading: "Definitions" },
  { path: "/placement", heading: "Scale & Placement" },
  { path: "/deployments", heading: "Deployments" },
  { path: "/fleet", heading: "Fleet" },
  { path: "/drift", heading: "Drift" },
  { path: "/settings", heading: "Settings" },
] as const;

const BUILT_IN = ["admin", "viewer", "acme-operator"];

/** The dev login of the login page: a built-in principal's button, or any principal by name. */
export async function devLogin(page: Page, principal: string): Promise<void> {
  await page.goto("/login");
  if (BUILT_IN.includes(principal)) {
    await page.getByRole("button", { name: `Sign in as ${principal}` }).click();
  } else {
    await page.getByLabel("Another principal").fill(principal);
    await page.getByRole("button", { name: "Sign in as this principal" }).click();
  }
  // The login page returns to where a sign-out left from; start every spec at the Overview.
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  if (new URL(page.url()).pathname !== "/") await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
}

/**
 * Waits until the page has settled: the live stream is connected and nothing says it is loading.
 * (Not `networkidle`: the console keeps its event stream open, so the network is never idle.)
 */
export async function settle(page: Page): Promise<void> {
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-state", "live", { timeout: 15_000 });
  await expect(page.locator('[data-testid="metric-chart"][data-state="loading"]')).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByRole("status").filter({ hasText: /^(Loading|Searching|Asking)/ })).toHaveCount(0, { timeout: 15_000 });
  await page.waitForTimeout(250);
}

/** The signed-in principal's bearer token, as the console keeps it for this tab. */
export async function sessionToken(page: Page): Promise<string> {
  const raw = await page.evaluate(() => sessionStorage.getItem("cloudlysis.control.token"));
  const token = raw ? (JSON.parse(raw) as { token?: string }).token : undefined;
  if (!token) throw new Error("not signed in: no token in sessionStorage");
  return token;
}

/** A bearer header of a fresh dev-login session (for setting up and checking through the API). */
export async function bearerOf(request: APIRequestContext, principal: string): Promise<Record<string, string>> {
  const r = await request.post("/admin/v1/session/dev-login", { data: { principal } });
  expect(r.status(), await r.text()).toBe(200);
  return { authorization: `Bearer ${(await r.json()).access_token}` };
}

/** A unique id for what a spec creates, so specs can run in any order on one demo. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Fails on serious or critical axe violations, listing them. */
export async function expectNoSeriousA11yViolations(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (serious.length > 0) {
    await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(serious, null, 2), contentType: "application/json" });
  }
  expect(
    serious.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    `axe violations on ${name}`,
  ).toEqual([]);
}

export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}
