// Issue #7 against the demo's Swarm (file mode, generated from the devfleet it runs: one service
// per instance, 7, plus the orphan the demo seeds for drift). Deploys a known next tag and rolls
// it back, so it does not depend on the order of specs.
import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { bearerOf, devLogin, expectNoSeriousA11yViolations, screenshot, settle } from "./helpers";

const SERVICE = "platform_projection-2";
const SERVICES = [
  "platform_aggregate-1",
  "platform_aggregate-2",
  "platform_gateway",
  "platform_projection-1",
  "platform_projection-2",
  "platform_runner-1",
  "platform_runner-2",
];
// Seeded drift (api/devfleet world.seed_drift): runs in the stack but is in no stack file, 1 of 2
// replicas, not a fleet instance. drift.spec.ts covers it; here it is only tolerated.
const ORPHAN = "platform_legacy-exporter";

async function fillGuardedDialog(page: Page, name: string, fields: Record<string, string>) {
  const dialog = page.getByRole("dialog", { name });
  await expect(dialog).toBeVisible();
  for (const [label, value] of Object.entries(fields)) await dialog.getByLabel(label, { exact: true }).fill(value);
  const submit = dialog.getByRole("button", { name: name.split(" ")[0] === "Roll" ? "Roll back" : "Deploy", exact: true });
  await dialog.getByLabel(/to confirm/).fill(SERVICE.slice(0, -1));
  await expect(submit).toBeDisabled();
  await dialog.getByLabel(/to confirm/).fill(SERVICE);
  await expect(submit).toBeEnabled();
  return { dialog, submit };
}

async function expectJobSucceeded(page: Page, kind: string) {
  await expect(page).toHaveURL(/\/jobs\/[^/]+$/);
  await expect(page.getByRole("heading", { level: 1, name: `Job ${kind}` })).toBeVisible();
  const summary = page.getByRole("region", { name: "Job summary" });
  await expect(summary.locator('[data-status="succeeded"]').first()).toBeVisible({ timeout: 60_000 });
  return decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
}

/** Deployments are recorded from the engine's events: reload the filtered list until the row is there. */
async function findDeploymentRow(page: Page, query: string, text: string) {
  const row = page.getByRole("table", { name: "Deployments" }).getByRole("row").filter({ hasText: text });
  await expect(async () => {
    await page.goto(`/deployments?${query}`);
    await expect(row.first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  return row.first();
}

test.describe("Swarm and deployments", () => {
  test.beforeEach(async ({ page }) => {
    await devLogin(page, "admin");
  });

  test("Fleet → Swarm lists the 7 demo services with their tasks, each in the fleet, and the nodes (the seeded orphan aside)", async ({ page }, testInfo) => {
    await page.goto("/fleet");
    await page.getByRole("tab", { name: "Swarm" }).click();
    await expect(page).toHaveURL(/view=swarm/);
    const table = page.getByRole("table", { name: "Swarm services" });
    await expect(table.getByRole("button", { name: `${SERVICES.at(-1)} tasks`, exact: true })).toBeVisible();
    const listed = (await table.getByRole("rowheader").allTextContents()).map((t) => t.replace(/^[▸▾]/, "").trim());
    expect(listed.filter((name) => name !== ORPHAN)).toEqual(SERVICES);
    expect(listed.length - SERVICES.length).toBeLessThanOrEqual(1);
    for (const name of SERVICES) {
      const toggle = table.getByRole("button", { name: `${name} tasks`, exact: true });
      await toggle.click();
      await expect(toggle).toHaveAttribute("aria-expanded", "true");
      const tasks = page.getByRole("table", { name: `Tasks of ${name}` });
      await expect(tasks).toBeVisible();
      expect(await tasks.getByRole("row").count()).toBeGreaterThan(1);
      // Every task states its state and desired state in words.
      await expect(tasks.locator("[data-status]").first()).toHaveText(/\w/);
    }
    // Every service is a fleet instance (at its admin address), healthy.
    for (const name of SERVICES) {
      const row = table.locator(`tbody[data-service="${name}"]`).getByRole("row").first();
      await expect(row).toContainText("1/1 healthy");
      // ... reporting the very version Swarm runs (one demo world: the Swarm is generated from it).
      const tag = (await row.locator("code").first().textContent())!.trim();
      await expect(row.locator("[data-fleet-versions]")).toHaveAttribute("data-fleet-versions", tag);
      await expect(row.locator("[data-fleet-versions]")).toHaveAttribute("data-versions-match", "true");
    }
    await expect(page.getByRole("table", { name: "Swarm nodes" }).getByRole("row")).not.toHaveCount(1);
    await settle(page);
    await expectNoSeriousA11yViolations(page, testInfo, "fleet-swarm");
    await screenshot(page, testInfo, "fleet-swarm");
  });

  test("deploy a new tag through the guarded modal, see it recorded with what changed, then roll it back", async ({ page }, testInfo) => {
    const tag = "1.9.1"; // projection's next release, an image the demo's Swarm knows (an unknown one is refused)
    await page.goto("/fleet?view=swarm");
    const row = page.getByRole("table", { name: "Swarm services" }).locator(`tbody[data-service="${SERVICE}"]`);
    const before = (await row.getByRole("row").first().locator("code").first().getAttribute("title"))!;
    expect(before).toMatch(/^cloudlysis\/projection:/);
    await row.getByRole("button", { name: `Deploy ${SERVICE}` }).click();
    // A tag whose image the engine cannot resolve: the plan says the preflight would refuse it.
    const planning = page.getByRole("dialog", { name: `Deploy ${SERVICE}` });
    await planning.getByLabel("New tag", { exact: true }).fill("1.9.99-missing");
    await expect(planning.getByRole("list", { name: "Preflight" })).toContainText("cannot resolve image cloudlysis/projection:1.9.99-missing");
    const deploy = await fillGuardedDialog(page, `Deploy ${SERVICE}`, { "New tag": tag, "Reason (required)": "e2e: deploy a new tag" });
    // What will change, before submit: the same diff the deployment shows afterwards.
    await expect(deploy.dialog.getByRole("table", { name: "Planned changes" }).locator('tr[data-path="image"]')).toContainText(`cloudlysis/projection:${tag}`);
    await expectNoSeriousA11yViolations(page, testInfo, "deploy-dialog");
    await deploy.submit.click();
    const deployJob = await expectJobSucceeded(page, "service.deploy");
    await screenshot(page, testInfo, "deploy-succeeded");

    // The deployment is in the list (filtered by service, in the URL) and its detail says what changed.
    const deployed = await findDeploymentRow(page, `service=${SERVICE}&kind=update`, tag);
    await expect(deployed.locator('[data-status="completed"]')).toHaveText("completed");
    await deployed.getByRole("link").click();
    await expect(page.getByRole("heading", { level: 1, name: `Deployment of ${SERVICE}` })).toBeVisible();
    const header = page.getByLabel("Deployment", { exact: true });
    await expect(header).toContainText(`${before} → cloudlysis/projection:${tag}`);
    await expect(header.getByRole("link", { name: deployJob })).toHaveAttribute("href", `/jobs/${deployJob}`);
    const image = page.getByRole("table", { name: "What changed" }).locator('tr[data-path="image"]');
    await expect(image).toContainText(before);
    await expect(image).toContainText(`cloudlysis/projection:${tag}`);
    await expect(page.getByRole("list", { name: "Timeline" }).getByRole("listitem").first()).toContainText("started");
    await expect(page.getByRole("table", { name: `Tasks of ${SERVICE}` })).toContainText(tag);
    await settle(page);
    // Before and after: the service's 5xx ratio and p99 by version, from the demo's VictoriaMetrics.
    const charts = page.getByRole("region", { name: "Before and after (by version)" }).getByTestId("metric-chart");
    await expect(charts).toHaveCount(2);
    for (let i = 0; i < 2; i += 1) await expect(charts.nth(i)).toHaveAttribute("data-state", "data");
    await expectNoSeriousA11yViolations(page, testInfo, "deployment-detail");
    await screenshot(page, testInfo, "deployment-detail");

    // Roll it back from the deployment's page (to Swarm's previous spec).
    await page.getByRole("button", { name: `Roll back ${SERVICE}` }).click();
    const rollback = await fillGuardedDialog(page, `Roll back ${SERVICE}`, { "Reason (required)": "e2e: roll the new tag back" });
    await rollback.submit.click();
    await expectJobSucceeded(page, "service.rollback");

    const rolledBack = await findDeploymentRow(page, `service=${SERVICE}&kind=rollback`, tag);
    await expect(rolledBack).toContainText(`cloudlysis/projection:${tag} → ${before}`);
    await rolledBack.getByRole("link").click();
    await expect(page.getByLabel("Deployment", { exact: true })).toContainText("rollback");
    await expect(page.getByRole("table", { name: "What changed" }).locator('tr[data-path="image"]')).toContainText(tag);
    await screenshot(page, testInfo, "rollback-detail");
  });
});

type JobEnd = { status: string; error?: unknown; steps?: unknown };

/** The Gateway-independent way to run a deploy or rollback (the modal is tested above): the job
 * once it has ended, succeeded or failed. */
async function swarmJobEnd(request: APIRequestContext, headers: Record<string, string>, service: string, action: "deploy" | "rollback", data: Record<string, unknown>): Promise<JobEnd> {
  const created = await request.post(`/admin/v1/swarm/services/${service}/${action}`, {
    headers: { ...headers, "idempotency-key": randomUUID() },
    data: { confirm: service, ...data },
  });
  expect(created.status(), await created.text()).toBe(202);
  const id = ((await created.json()) as { id: string }).id;
  let job: JobEnd = { status: "pending" };
  await expect(async () => {
    job = (await (await request.get(`/admin/v1/jobs/${id}`, { headers })).json()) as JobEnd;
    expect(["succeeded", "failed", "cancelled"], job.status).toContain(job.status);
  }).toPass({ timeout: 90_000 });
  return job;
}

async function runSwarmJob(request: APIRequestContext, headers: Record<string, string>, service: string, action: "deploy" | "rollback", data: Record<string, unknown>) {
  const job = await swarmJobEnd(request, headers, service, action, data);
  expect(job.status, JSON.stringify({ error: job.error, steps: job.steps })).toBe("succeeded");
}

/** The newest deployment of a service of one kind whose images name `tag`. */
async function deploymentOf(request: APIRequestContext, headers: Record<string, string>, service: string, kind: string, tag: string): Promise<string> {
  let found = "";
  await expect(async () => {
    const list = await request.get(`/admin/v1/deployments?service=${service}&kind=${kind}`, { headers });
    const items = ((await list.json()) as { items: { id: string; from_image?: string; to_image?: string }[] }).items;
    const match = items.find((d) => `${d.from_image} ${d.to_image}`.includes(tag));
    expect(match, `a ${kind} deployment of ${service} naming ${tag}`).toBeDefined();
    found = match!.id;
  }).toPass({ timeout: 30_000 });
  return found;
}

/** One legend entry of a chart: its latest value at the chart's end (null: the series has ended). */
async function currentOf(chart: Locator, series: string): Promise<number | null> {
  const item = chart.getByRole("list", { name: "Legend" }).locator(`li[data-series*="${series}"]`).first();
  if ((await item.count()) === 0) return null;
  const raw = await item.getAttribute("data-current");
  return raw === null || raw === "" ? null : Number(raw);
}

test.describe("the demo's bad build, on the charts", () => {
  // A devfleet instance running a `-bad` tag fails 30 % of its tenant traffic; the demo's traffic
  // generator and VictoriaMetrics (5 s scrapes) make that a spike on the deployment's chart.
  const service = "platform_aggregate-1";
  const bad = "2.0.2-bad";
  const good = "2.0.1";

  test("a deploy of the bad tag shows the error spike on its deployment's chart, and the rollback clears it", async ({ page, request }, testInfo) => {
    test.setTimeout(360_000);
    await devLogin(page, "admin");
    const headers = await bearerOf(request, "admin");
    const deployJob = await swarmJobEnd(request, headers, service, "deploy", { tag: bad, reason: "e2e: deploy the demo's bad build" });
    const deployed = await deploymentOf(request, headers, service, "update", bad);

    await page.goto(`/deployments/${deployed}`);
    const ratio = page.getByRole("figure", { name: "5xx ratio of aggregate by version" });
    if (deployJob.status === "failed") {
      // The deploy's own verify step (playbook.post_deploy) measured enough of the bad build's
      // traffic in its window and took the rollback path itself: its error-rate check says so.
      expect(JSON.stringify(deployJob), "the post-deploy playbook's error-rate check").toContain("error_rate");
      console.log("bad build: caught by the deploy's post_deploy playbook, which rolled it back");
      await expect(ratio).toHaveAttribute("data-state", "data", { timeout: 30_000 });
    } else {
      // Too little traffic in the window for the playbook to measure ("not measured" passes):
      // the spike shows on the chart, and the operator rolls back.
      let spike = 0;
      await expect(async () => {
        await page.reload();
        await expect(ratio).toHaveAttribute("data-state", "data", { timeout: 10_000 });
        spike = (await currentOf(ratio, bad)) ?? 0;
        expect(spike, `the 5xx ratio of ${bad}`).toBeGreaterThan(0.1);
      }).toPass({ intervals: [5_000], timeout: 150_000 });
      const before = await currentOf(ratio, good);
      console.log(`bad build: 5xx ratio of ${bad} ${(spike * 100).toFixed(1)} %, of ${good} ${before === null ? "—" : (before * 100).toFixed(2)} %`);
      await screenshot(page, testInfo, "bad-deploy-spike");
      await runSwarmJob(request, headers, service, "rollback", { reason: "e2e: roll the bad build back" });
    }
    await expect(ratio.getByRole("list", { name: "Marked deploys" })).toContainText(service);

    const rolledBack = await deploymentOf(request, headers, service, "rollback", bad);
    await page.goto(`/deployments/${rolledBack}`);
    // Cleared: the bad version's series ends (no instance runs it) and the version running again
    // fails no more than its baseline.
    let after: number | null = null;
    await expect(async () => {
      await page.reload();
      await expect(ratio).toHaveAttribute("data-state", "data", { timeout: 10_000 });
      await expect(ratio.getByRole("list", { name: "Legend" }).locator(`li[data-series*="${bad}"]`)).toContainText("(ended)", { timeout: 1_000 });
      after = await currentOf(ratio, good);
      expect(after, `the 5xx ratio of ${good}`).not.toBeNull();
      expect(after!).toBeLessThan(0.05);
    }).toPass({ intervals: [5_000], timeout: 180_000 });
    console.log(`after the rollback: ${bad} ended, ${good} at ${((after ?? 0) * 100).toFixed(2)} %`);
    await screenshot(page, testInfo, "bad-deploy-cleared");
  });
});

test.describe("viewer", () => {
  test("deploy and rollback are disabled and name the missing right", async ({ page }) => {
    await devLogin(page, "viewer");
    await page.goto("/fleet?view=swarm");
    const row = page.getByRole("table", { name: "Swarm services" }).locator(`tbody[data-service="${SERVICE}"]`);
    for (const name of [`Deploy ${SERVICE}`, `Roll back ${SERVICE}`]) {
      const button = row.getByRole("button", { name });
      await expect(button).toHaveAttribute("aria-disabled", "true");
      await expect(button).toHaveAccessibleDescription("Requires the right control.deployments.operate");
    }
  });
});
