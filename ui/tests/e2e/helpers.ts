import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, type TestInfo } from "@playwright/test";

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

export async function devLogin(page: Page, principal: "admin" | "viewer"): Promise<void> {
  await page.goto("/login");
  await page.getByRole("button", { name: `Sign in as ${principal}` }).click();
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
