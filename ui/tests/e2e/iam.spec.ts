// IAM from the console against the demo: an admin creates a user and binds it the
// tenant-operator role on one tenant; signed in as that user (dev login), the console shows that
// tenant only (Tenants, Jobs, Audit), operates it, and refuses another tenant's page plainly;
// revoking the user's sessions sends it back to the login page. Users, Roles and Sessions show
// their change controls to an admin and none to a viewer. The tenant is one no other spec uses.
import { expect, test, type Page } from "@playwright/test";
import { bearerOf, devLogin, expectNoSeriousA11yViolations, screenshot, uniqueId } from "./helpers";

const TENANT = "acme-us";
const OTHER = "globex-eu";

/** The text of one column (by its header) in every rendered row of a table. */
async function column(page: Page, table: string, header: string): Promise<string[]> {
  const grid = page.getByRole("table", { name: table });
  const headers = await grid.locator("thead th").allTextContents();
  const index = headers.findIndex((h) => h.trim().startsWith(header));
  expect(index, `${header} in ${headers.join(" | ")}`).toBeGreaterThanOrEqual(0);
  return (await grid.locator(`tbody tr:not([aria-hidden]) td:nth-child(${index + 1})`).allTextContents()).map((t) => t.trim());
}

async function startOp(page: Page, op: "Drain" | "Resume"): Promise<void> {
  await page.goto(`/tenants/${TENANT}`);
  const button = page.getByRole("button", { name: op, exact: true });
  await expect(button).not.toHaveAttribute("aria-disabled");
  await button.click();
  const dialog = page.getByRole("dialog", { name: `${op} ${TENANT}` });
  await dialog.getByLabel("Reason (required)").fill(`e2e: ${op.toLowerCase()} as a tenant operator`);
  await dialog.getByRole("button", { name: `${op} all kinds` }).click();
  await expect(page).toHaveURL(/\/jobs\/[^/]+$/);
  await expect(page.getByRole("region", { name: "Job summary" }).locator('[data-status="succeeded"]').first()).toBeVisible({ timeout: 60_000 });
}

test.describe("IAM and tenant-scoped roles", () => {
  test("a tenant-scoped operator sees and operates only its tenant; revoking its session signs it out", async ({ page, request }, testInfo) => {
    test.setTimeout(180_000);
    const user = uniqueId("e2e-op");

    // As admin: create the user and bind tenant-operator on one tenant, from the console.
    await devLogin(page, "admin");
    await page.goto("/users");
    await page.getByRole("button", { name: "Create user" }).click();
    const create = page.getByRole("dialog", { name: "Create user" });
    await create.getByLabel("User id").fill(user);
    await create.getByLabel("Display name").fill("E2E Tenant Operator");
    await create.getByRole("button", { name: "Create user" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "User" })).toBeVisible();
    await expect(page.getByText(`User ${user} created`)).toBeVisible();
    const bind = page.getByRole("form", { name: "Bind a role" });
    await bind.getByLabel("Role").selectOption("tenant-operator");
    await bind.getByLabel("Only these tenants").check();
    await bind.getByLabel("Tenants", { exact: true }).fill(TENANT);
    await bind.getByRole("button", { name: "Bind role" }).click();
    await expect(page.getByText(`Role tenant-operator bound to ${user} (tenants ${TENANT})`)).toBeVisible();
    await expect(page.getByRole("list", { name: "Role bindings" })).toContainText(`tenants ${TENANT}`);
    await expectNoSeriousA11yViolations(page, testInfo, "user-detail");
    await screenshot(page, testInfo, "user-bound");
    // The change is in the audit log, one click away.
    await page.getByRole("link", { name: "view its audit events" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Audit Log" })).toBeVisible();
    await expect(page.getByRole("table", { name: "Audit events" })).toContainText(`iam:users/${user}/bindings/tenant-operator`);

    // Something the operator must not see: a platform job of the admin's (it has no tenant).
    const verify = await request.post("/admin/v1/jobs/kinds/platform.verify", {
      headers: { ...(await bearerOf(request, "admin")), "Idempotency-Key": uniqueId("e2e-verify") },
      data: { reason: "e2e: a job outside the operator's scope" },
    });
    expect(verify.status()).toBe(202);
    const verifyId = (await verify.json()).id as string;

    // As the new user: only that tenant, everywhere.
    await page.goto("/settings");
    await page.getByRole("button", { name: "Sign out" }).click();
    await devLogin(page, user);
    await page.goto("/tenants");
    const tenants = page.getByRole("table", { name: "Tenants" });
    await expect(tenants.getByRole("link", { name: TENANT, exact: true })).toBeVisible();
    await expect(tenants.getByRole("row")).toHaveCount(2); // the header and acme-us
    await startOp(page, "Drain");
    await startOp(page, "Resume");
    await page.goto("/jobs");
    await expect(page.getByRole("table", { name: "Jobs" }).getByText(TENANT).first()).toBeVisible();
    const jobTenants = await column(page, "Jobs", "Tenant");
    expect(jobTenants.length).toBeGreaterThanOrEqual(2);
    expect(new Set(jobTenants)).toEqual(new Set([TENANT]));
    await expect(page.getByText(verifyId)).toHaveCount(0);
    const job = await page.request.get(`/admin/v1/jobs/${verifyId}`, {
      headers: { authorization: `Bearer ${JSON.parse((await page.evaluate(() => sessionStorage.getItem("cloudlysis.control.token")))!).token}` },
    });
    expect(job.status()).toBe(403); // and by id: refused
    await page.goto("/audit");
    await expect(page.getByRole("table", { name: "Audit events" }).getByText(TENANT).first()).toBeVisible();
    expect(new Set(await column(page, "Audit events", "Tenant"))).toEqual(new Set([TENANT]));
    await screenshot(page, testInfo, "operator-audit");

    // Another tenant's page: refused, saying which tenant and which right.
    await page.goto(`/tenants/${OTHER}`);
    const refused = page.getByRole("alert", { name: "Permission denied" });
    await expect(refused).toContainText(`control.tenants.read on tenant ${OTHER}`);
    await expect(refused).toContainText("outside your scope");
    await screenshot(page, testInfo, "operator-refused");

    // An admin revokes every session of the user: the next request sends it to the login page.
    const revoked = await request.post(`/admin/v1/iam/users/${user}/sessions/revoke`, { headers: await bearerOf(request, "admin") });
    expect(revoked.status()).toBe(200);
    // The next request meets the 401 (the live stream may meet it first and sign out by itself,
    // so the click may find the console already on the login page).
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tenants", exact: true }).click({ timeout: 5_000 }).catch(() => undefined);
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.getByText("Your session is no longer valid (HTTP 401)")).toBeVisible();
  });

  test("a viewer sees Users, Roles and Sessions and no change control", async ({ page }) => {
    await devLogin(page, "viewer");
    const expectations: Array<[string, string[]]> = [
      ["/users", ["Create user"]],
      ["/roles", ["Create role", "Edit viewer", "Delete tenant-operator"]],
      ["/users/acme-operator", ["Set password", "Disable user", "Unbind tenant-operator", "Revoke all sessions"]],
    ];
    for (const [path, buttons] of expectations) {
      await page.goto(path);
      for (const name of buttons) {
        const button = page.getByRole("button", { name, exact: true });
        await expect(button).toBeDisabled();
        await expect(button).toHaveAccessibleDescription(/Requires the right control\.iam\.write|No active session/);
      }
    }
    await page.goto("/sessions");
    await expect(page.getByText("This session")).toBeVisible();
  });
});
