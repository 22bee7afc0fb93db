// Issue #18 against the demo, whose Swarm otherwise agrees with the devfleet: its desired stack
// (api/devfleet world.seed_drift) seeds one item of each category. The version item is re-applied
// through the guarded deploy flow until it leaves the list; the missing one is acknowledged.
import { expect, test, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { bearerOf, devLogin, expectNoSeriousA11yViolations, screenshot, settle } from "./helpers";

const SEEDED: ReadonlyArray<[category: string, service: string]> = [
  ["missing", "platform_runner-3"],
  ["extra", "platform_legacy-exporter"],
  ["version", "platform_projection-1"],
  ["config", "platform_runner-1"],
  ["unhealthy", "platform_legacy-exporter"],
];

const itemRow = (page: Page, category: string, service: string) =>
  page
    .getByRole("table", { name: "Drift items" })
    .locator(`tr[data-category="${category}"]`)
    .filter({ has: page.getByRole("button", { name: service, exact: true }) });

async function expectJobSucceeded(page: Page, kind: string) {
  await expect(page).toHaveURL(/\/jobs\/[^/]+$/);
  await expect(page.getByRole("heading", { level: 1, name: `Job ${kind}` })).toBeVisible();
  await expect(page.getByRole("region", { name: "Job summary" }).locator('[data-status="succeeded"]').first()).toBeVisible({ timeout: 60_000 });
}

test.describe("Drift page", () => {
  test.beforeEach(async ({ page }) => {
    await devLogin(page, "admin");
  });

  test("shows each seeded category with both sides; acknowledge one; re-apply the version item until it is gone", async ({ page, request }, testInfo) => {
    test.setTimeout(180_000);
    await page.goto("/drift");
    await expect(page.getByRole("heading", { level: 1, name: "Drift" })).toBeVisible();
    for (const [category, service] of SEEDED) await expect(itemRow(page, category, service)).toHaveCount(1);
    const chips = page.getByRole("group", { name: "Categories" });
    for (const [category] of SEEDED) await expect(chips.getByRole("button", { name: new RegExp(`^${category} [1-9]\\d*$`) })).toBeVisible();
    await expect(page.getByRole("region", { name: "Desired state" })).toContainText("stacks platform");

    // A chip filters the list (kept in the URL).
    await chips.getByRole("button", { name: /^version / }).click();
    await expect(page).toHaveURL(/category=version/);
    const table = page.getByRole("table", { name: "Drift items" });
    await expect(table.locator('tr[data-item]:not([data-category="version"])')).toHaveCount(0);
    await expect(itemRow(page, "version", "platform_projection-1")).toHaveCount(1);
    await chips.getByRole("button", { name: /^All / }).click();

    // Acknowledge the missing service, with a reason and an expiry.
    await itemRow(page, "missing", "platform_runner-3").getByRole("button", { name: "platform_runner-3" }).click();
    const panel = page.getByRole("region", { name: "Drift item" });
    await expect(panel.getByRole("region", { name: "Desired vs observed" })).toContainText("cloudlysis/runner:");
    await expect(panel.getByRole("region", { name: "Desired vs observed" })).toContainText("not running");
    await panel.getByRole("group", { name: "Remedies" }).getByRole("button", { name: "Acknowledge", exact: true }).click();
    const ack = page.getByRole("dialog", { name: "Acknowledge" });
    await ack.getByLabel("Acknowledge for").selectOption({ label: "7 d" });
    await ack.getByLabel("Reason (required)").fill("e2e: runner-3 is being rebuilt");
    await ack.getByRole("button", { name: "Acknowledge", exact: true }).click();
    await expectJobSucceeded(page, "drift.acknowledge");
    await page.goto("/drift");
    await expect(itemRow(page, "missing", "platform_runner-3")).toContainText("acknowledged", { timeout: 15_000 });

    // Re-apply the version item: its remedy is a deploy of the desired image, through the guarded flow.
    await itemRow(page, "version", "platform_projection-1").getByRole("button", { name: "platform_projection-1" }).click();
    const diff = page.getByRole("region", { name: "Desired vs observed" });
    await expect(diff).toContainText("cloudlysis/projection:1.9.1");
    await expect(diff).toContainText("cloudlysis/projection:1.9.0");
    await settle(page);
    await expectNoSeriousA11yViolations(page, testInfo, "drift");
    await screenshot(page, testInfo, "drift");
    await page.getByRole("group", { name: "Remedies" }).getByRole("button", { name: "Deploy cloudlysis/projection:1.9.1" }).click();
    const dialog = page.getByRole("dialog", { name: "Deploy cloudlysis/projection:1.9.1 on platform_projection-1" });
    await expect(dialog.getByLabel("Or a full image reference")).toHaveValue("cloudlysis/projection:1.9.1");
    await expect(dialog.getByRole("region", { name: "What will change" })).toContainText("The preflight passes now");
    await dialog.getByLabel("Reason (required)").fill("e2e: re-apply the desired version");
    const submit = dialog.getByRole("button", { name: "Deploy", exact: true });
    await expect(submit).toBeDisabled();
    await dialog.getByLabel(/to confirm/).fill("platform_projection-1");
    await expect(submit).toBeEnabled();
    await expectNoSeriousA11yViolations(page, testInfo, "drift-deploy-dialog");
    await submit.click();
    await expectJobSucceeded(page, "service.deploy");

    // Back on the page (no reload after this): the poll drops the item once the Swarm runs 1.9.1.
    await page.goto("/drift");
    await expect(itemRow(page, "missing", "platform_runner-3")).toHaveCount(1);
    await expect(itemRow(page, "version", "platform_projection-1")).toHaveCount(0, { timeout: 30_000 });
    await screenshot(page, testInfo, "drift-after-reapply");

    // Leave the demo as the other specs expect it (one version per service): roll projection-1
    // back through the API. The control plane's own rollback is then what is desired for it, so
    // no version item comes back.
    const headers = await bearerOf(request, "admin");
    const created = await request.post("/admin/v1/swarm/services/platform_projection-1/rollback", {
      headers: { ...headers, "idempotency-key": randomUUID() },
      data: { confirm: "platform_projection-1", reason: "e2e: restore the demo after re-applying drift" },
    });
    expect(created.status(), await created.text()).toBe(202);
    const id = ((await created.json()) as { id: string }).id;
    await expect(async () => {
      const job = await request.get(`/admin/v1/jobs/${id}`, { headers });
      expect(((await job.json()) as { status: string }).status).toBe("succeeded");
    }).toPass({ timeout: 90_000 });
    await expect(async () => {
      const report = await request.get("/admin/v1/platform/drift?category=version", { headers });
      expect(((await report.json()) as { items: unknown[] }).items).toHaveLength(0);
    }).toPass({ timeout: 30_000 });
  });
});

test.describe("Fleet → Nodes", () => {
  test("the node inventory lists every Swarm node with its resources and services", async ({ page }, testInfo) => {
    await devLogin(page, "admin");
    await page.goto("/fleet");
    await page.getByRole("tab", { name: "Nodes" }).click();
    await expect(page).toHaveURL(/view=nodes/);
    const table = page.getByRole("table", { name: "Node inventory" });
    await expect(table.locator("tr[data-node]").first()).toBeVisible();
    const first = table.locator("tr[data-node]").first();
    await expect(first.getByRole("cell").nth(0)).toHaveText(/^(manager|worker)/);
    // Some node runs the demo's services.
    await expect(table.getByRole("list").filter({ hasText: "platform_gateway" })).toHaveCount(1);
    await settle(page);
    await expectNoSeriousA11yViolations(page, testInfo, "fleet-nodes");
    await screenshot(page, testInfo, "fleet-nodes");
  });
});
