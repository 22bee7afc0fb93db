// Safe mutations against the demo: migrate a tenant's aggregate placement to the other shard
// from the UI, and drain + resume a tenant. The tenants used here are ones no other spec asserts
// on, and every expectation is relative to what the page showed first, so test order is free.
import { expect, test, type Page } from "@playwright/test";
import { devLogin, expectNoSeriousA11yViolations, screenshot } from "./helpers";

const MIGRATED = "hooli-eu";
const DRAINED = "stark-sa";
const MIGRATE_STEPS = ["preflight", "drain_source", "update_placement", "reload_routing", "verify_routing", "resume_target"];

async function currentShard(page: Page, kind: string): Promise<string> {
  const text = (await page.getByTestId(`shard-${kind}`).textContent()) ?? "";
  const match = text.match(new RegExp(`Shard (${kind}-[12])`));
  expect(match, `shard of ${kind} in "${text}"`).not.toBeNull();
  return match![1]!;
}

async function expectJobSucceeded(page: Page, kind: string): Promise<void> {
  await expect(page).toHaveURL(/\/jobs\/[^/]+$/);
  await expect(page.getByRole("heading", { level: 1, name: `Job ${kind}` })).toBeVisible();
  const summary = page.getByRole("region", { name: "Job summary" });
  await expect(summary.locator('[data-status="succeeded"]').first()).toBeVisible({ timeout: 60_000 });
}

test.describe("tenant operations", () => {
  test("migrate a tenant's aggregate placement to the other shard and see the new placement", async ({ page }, testInfo) => {
    await devLogin(page, "admin");
    await page.goto(`/tenants/${MIGRATED}`);
    await expect(page.getByRole("heading", { level: 1, name: `Tenant ${MIGRATED}` })).toBeVisible();
    const source = await currentShard(page, "aggregate");
    const target = source === "aggregate-1" ? "aggregate-2" : "aggregate-1";

    const migrate = page.getByRole("button", { name: "Migrate aggregate" });
    await expect(migrate).not.toHaveAttribute("aria-disabled");
    await migrate.click();
    const dialog = page.getByRole("dialog", { name: `Migrate ${MIGRATED} (aggregate)` });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel("Target shard")).toHaveValue(target);

    // The plan: source → target, its ordered steps, the undo steps and every preflight check.
    await expect(dialog.getByTestId("plan-move")).toHaveText(`${source} → ${target}`);
    const steps = dialog.getByRole("list", { name: "Plan steps" }).getByRole("listitem");
    await expect(steps).toHaveCount(MIGRATE_STEPS.length);
    for (const [index, name] of MIGRATE_STEPS.entries()) await expect(steps.nth(index)).toContainText(name);
    await expect(dialog.getByRole("list", { name: "Compensation steps" }).getByRole("listitem").first()).toBeVisible();
    await expect(dialog.getByRole("heading", { name: "Preflight: all checks pass" })).toBeVisible();
    const checks = dialog.getByRole("table", { name: "Preflight checks" }).locator("tbody tr");
    await expect(checks.filter({ hasText: "target_healthy" })).toContainText("ok");
    await expect(checks.filter({ hasText: "source_lag" })).toContainText("ok");
    await expect(checks.locator('[data-status="failed"]')).toHaveCount(0);

    const start = dialog.getByRole("button", { name: "Start migration" });
    await dialog.getByLabel("Reason (required)").fill("e2e: move to the other aggregate shard");
    await dialog.getByLabel(`Type the tenant id (${MIGRATED}) to confirm`).fill(MIGRATED.slice(0, -1));
    await expect(start).toBeDisabled();
    await dialog.getByLabel(`Type the tenant id (${MIGRATED}) to confirm`).fill(MIGRATED);
    await expect(start).toBeEnabled();
    await expect(dialog.getByRole("checkbox", { name: /Dangerous: stop without compensation/ })).not.toBeChecked();
    await expectNoSeriousA11yViolations(page, testInfo, "migrate-dialog");
    await screenshot(page, testInfo, "migrate-dialog");
    await start.click();

    // The job's live progress, until it succeeds with every step done.
    await expectJobSucceeded(page, "tenant.migrate");
    const timeline = page.getByRole("list", { name: "Steps" }).first();
    for (const name of MIGRATE_STEPS) {
      await expect(timeline.getByRole("listitem").filter({ hasText: name }).locator('[data-status="succeeded"]')).toBeVisible();
    }
    await expect(page.getByRole("region", { name: "Job summary" }).getByRole("link", { name: "Audit events of this job" })).toBeVisible();
    await expectNoSeriousA11yViolations(page, testInfo, "migrate-job");
    await screenshot(page, testInfo, "migrate-job-succeeded");

    // The new placement on the tenant page and on Scale & Placement.
    await page.getByRole("region", { name: "Job summary" }).getByRole("link", { name: MIGRATED, exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: `Tenant ${MIGRATED}` })).toBeVisible();
    await expect(page.getByTestId("shard-aggregate")).toContainText(`Shard ${target} (explicit)`);
    await page.goto(`/placement?placement-aggregate.q=${MIGRATED}`);
    const map = page.getByRole("region", { name: "Placement map aggregate" });
    const row = map.getByRole("row").filter({ has: page.getByRole("link", { name: MIGRATED, exact: true }) });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(target);
    await screenshot(page, testInfo, "migrate-placement");
  });

  test("drain a tenant on every kind, then resume it", async ({ page }, testInfo) => {
    await devLogin(page, "admin");
    for (const op of ["Drain", "Resume"] as const) {
      await page.goto(`/tenants/${DRAINED}`);
      await expect(page.getByRole("heading", { level: 1, name: `Tenant ${DRAINED}` })).toBeVisible();
      const button = page.getByRole("button", { name: op, exact: true });
      await expect(button).not.toHaveAttribute("aria-disabled");
      await button.click();
      const dialog = page.getByRole("dialog", { name: `${op} ${DRAINED}` });
      await expect(dialog).toBeVisible();
      await dialog.getByRole("button", { name: `${op} all kinds` }).click();
      await expect(dialog.getByText(/A reason is required/)).toBeVisible();
      await dialog.getByLabel("Reason (required)").fill(`e2e: ${op.toLowerCase()} ${DRAINED}`);
      if (op === "Drain") await expectNoSeriousA11yViolations(page, testInfo, "drain-dialog");
      await dialog.getByRole("button", { name: `${op} all kinds` }).click();
      await expectJobSucceeded(page, `tenant.${op.toLowerCase()}`);
      const timeline = page.getByRole("list", { name: "Steps" }).first();
      for (const kind of ["aggregate", "projection", "runner"]) {
        await expect(
          timeline.getByRole("listitem").filter({ hasText: `${op.toLowerCase()}:${kind}` }).locator('[data-status="succeeded"]'),
        ).toBeVisible();
      }
      await screenshot(page, testInfo, `${op.toLowerCase()}-succeeded`);
    }
  });

  test("a viewer sees Drain, Resume and Migrate disabled, naming the right", async ({ page }) => {
    await devLogin(page, "viewer");
    await page.goto(`/tenants/${DRAINED}`);
    for (const name of ["Drain", "Resume", "Migrate aggregate"]) {
      const button = page.getByRole("button", { name, exact: true });
      await expect(button).toBeDisabled();
      await expect(button).toHaveAccessibleDescription("Requires the right control.tenants.operate");
    }
  });
});
