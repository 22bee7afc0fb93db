// Read-only ops against the demo: 50 seeded tenants, a Gateway and 2 aggregate, 2 projection and
// 2 runner instances (one shard each), placement from NATS.
import { expect, test, type Locator } from "@playwright/test";
import { devLogin, expectNoSeriousA11yViolations, screenshot, settle } from "./helpers";

const KINDS = ["aggregate", "projection", "runner"] as const;

/** Leading integers of a table column's cells, e.g. "27 (2 by default)" → 27. */
async function leadingNumbers(cells: Locator): Promise<number[]> {
  return (await cells.allTextContents()).map((t) => Number.parseInt(t.trim(), 10));
}

test.describe("read-only ops", () => {
  test.beforeEach(async ({ page }) => {
    await devLogin(page, "admin");
  });

  test("Tenants lists the seeded tenants with a shard per kind, and search narrows it", async ({ page }) => {
    await page.goto("/tenants");
    await expect(page.getByText("50 tenants named in the placement maps.")).toBeVisible();
    const table = page.getByRole("table", { name: "Tenants" });
    const acme = table.getByRole("row").filter({ has: page.getByRole("link", { name: "acme", exact: true }) });
    await expect(acme).toHaveCount(1);
    for (const kind of KINDS) await expect(acme).toContainText(new RegExp(`${kind}-[12]`));
    await expect(page.getByTestId("updated-ago")).toContainText("Updated");

    await page.getByLabel("Tenant id").fill("acme");
    await expect(page.getByText("5 tenants named in the placement maps.")).toBeVisible();
    await expect(page).toHaveURL(/q=acme/);
    // One link per row names the tenant (a row's state may link its last job too).
    const names = table.locator("tbody tr").locator("td:first-child").getByRole("link");
    await expect(names).toHaveCount(5);
    for (const name of await names.allTextContents()) expect(name).toMatch(/^acme/);

    await page.getByLabel("Tenant id").fill("us");
    await page.getByLabel("Match").selectOption("substring");
    await expect(page.getByText("10 tenants named in the placement maps.")).toBeVisible();
    await expect(table.getByRole("link", { name: "wonka-us", exact: true })).toBeVisible();
  });

  test("a tenant's detail shows its shard per kind with the endpoints and their health", async ({ page }, testInfo) => {
    await page.goto("/tenants/acme");
    await expect(page.getByRole("heading", { level: 1, name: "Tenant acme" })).toBeVisible();
    for (const kind of KINDS) {
      const card = page.getByRole("heading", { level: 3, name: kind }).locator("..");
      await expect(card).toContainText(new RegExp(`Shard ${kind}-[12] \\(explicit\\) · revision \\d+`));
      const endpoints = page.getByRole("list", { name: `${kind} endpoints` }).getByRole("listitem");
      await expect(endpoints).toHaveCount(1);
      await expect(endpoints.first()).toContainText(/http:\/\/127\.0\.0\.1:\d+/);
      // Health and readiness are always stated in words (ok, failing, unreachable or unknown).
      await expect(endpoints.first().locator("[data-status]")).toHaveCount(2);
      await expect(endpoints.first().locator("[data-status]").first()).toHaveText(/^(ok|failing|unreachable|unknown)$/);
    }
    await settle(page);
    await expectNoSeriousA11yViolations(page, testInfo, "tenant-acme");
    await screenshot(page, testInfo, "tenant-acme");
  });

  test("Scale & Placement shows each map's revision, source nats and its 50 tenants", async ({ page }) => {
    await page.goto("/placement");
    await expect(page.getByText("Source: nats.")).toBeVisible();
    for (const kind of KINDS) {
      const map = page.getByRole("region", { name: `Placement map ${kind}` });
      await expect(map.locator("dt", { hasText: "Revision" }).locator("+ dd")).toHaveText(/^\d+$/);
      await expect(map.locator("dt", { hasText: "Source" }).locator("+ dd")).toHaveText("nats");
      await expect(map.locator("dt", { hasText: "Default shard" }).locator("+ dd")).toHaveText(`${kind}-1`);
      await expect(map.getByRole("heading", { name: "Tenants (50)" })).toBeVisible();
      for (const n of [1, 2]) {
        await expect(map.getByRole("listitem").filter({ hasText: new RegExp(`^${kind}-${n}: http://127\\.0\\.0\\.1:\\d+$`) })).toHaveCount(1);
      }
    }
  });

  test("Fleet shows all 7 instances healthy with their version, and the topology", async ({ page }, testInfo) => {
    await page.goto("/fleet");
    const table = page.getByRole("table", { name: "Instances" });
    const rows = table.locator("tbody tr[aria-rowindex]");
    await expect(rows).toHaveCount(7);
    for (const row of await rows.all()) {
      await expect(row.locator('[data-status="ok"]')).toHaveCount(1);
      await expect(row.locator('[data-status="ready"]')).toHaveCount(1);
      await expect(row).toContainText(/\d+\.\d+\.\d+/);
    }
    const summary = page.getByLabel("Fleet summary");
    await expect(summary.locator("dt", { hasText: "Healthy" }).locator("+ dd")).toHaveText("7");
    await expect(page.getByTestId("updated-ago").first()).toContainText("Updated");

    await page.getByRole("tab", { name: "Topology" }).click();
    await expect(page).toHaveURL(/view=topology/);
    const byKind = page.getByRole("region", { name: "Services by kind" });
    await expect(byKind.getByRole("heading", { name: "Gateway · 1 of 1 healthy" })).toBeVisible();
    for (const kind of KINDS) {
      await expect(byKind.getByRole("heading", { name: `${kind[0]!.toUpperCase()}${kind.slice(1)} · 2 of 2 healthy` })).toBeVisible();
    }
    const gateway = page.getByRole("list", { name: "Gateway instances" });
    await expect(gateway).toContainText("gateway ok ready");
    for (const kind of KINDS) {
      const section = page.getByRole("region", { name: `Topology ${kind}` });
      await expect(section).toContainText(/Routed by the Gateway from \//);
      const shards = section.getByRole("table", { name: `Shards of ${kind}` });
      for (const n of [1, 2]) {
        // Each shard's row group names the fleet instance serving it, healthy and ready.
        const group = shards.locator("tbody").filter({ has: page.getByRole("rowheader", { name: new RegExp(`^${kind}-${n}`) }) });
        await expect(group).toContainText(new RegExp(`${kind}-${n} ok ready version \\d+\\.\\d+\\.\\d+`));
      }
      const tenants = await leadingNumbers(shards.locator("tbody th[scope=row] + td"));
      expect(tenants.reduce((a, b) => a + b, 0), `${kind} tenants over its shards`).toBe(50);
    }
    await settle(page);
    await expectNoSeriousA11yViolations(page, testInfo, "fleet-topology");
    await screenshot(page, testInfo, "fleet-topology");
  });

  test("Overview shows the fleet summary, versions in play and tenants per shard", async ({ page }, testInfo) => {
    await page.goto("/");
    const health = page.getByRole("region", { name: "Fleet health" });
    await expect(health.getByText("7 instances: 7 healthy, 7 ready, 0 unreachable.")).toBeVisible();
    await expect(health.getByText("All instances are healthy and ready.")).toBeVisible();
    for (const kind of ["gateway", ...KINDS]) {
      const row = health.getByRole("row").filter({ has: page.getByRole("rowheader", { name: kind, exact: true }) });
      const expected = kind === "gateway" ? ["1", "1", "0", "0"] : ["2", "2", "0", "0"];
      await expect(row.getByRole("cell")).toHaveText(expected);
    }
    const versions = page.getByRole("region", { name: "Versions in play" });
    await expect(versions.getByText("Every service runs a single version.")).toBeVisible();
    await expect(versions.getByRole("listitem")).toHaveCount(4);

    const shards = page.getByRole("region", { name: "Tenants per shard" });
    for (const kind of KINDS) {
      const table = shards.getByRole("table", { name: `Tenants per ${kind} shard` });
      await expect(table.getByRole("rowheader", { name: `${kind}-1 (default)` })).toBeVisible();
      await expect(table.getByRole("rowheader", { name: `${kind}-2` })).toBeVisible();
      const counts = await leadingNumbers(table.getByRole("cell"));
      expect(counts.reduce((a, b) => a + b, 0), `${kind} tenants over its shards`).toBe(50);
    }
    await shards.getByRole("link", { name: /Open Scale & Placement/ }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Scale & Placement" })).toBeVisible();
    await page.goBack();
    await expect(health).toBeVisible();
    await settle(page);
    await expectNoSeriousA11yViolations(page, testInfo, "overview-ops");
    await screenshot(page, testInfo, "overview-ops");
  });
});
