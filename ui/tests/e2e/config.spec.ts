// The config registry against the demo: edit a routing override, see the plan, apply it, find
// the new revision in the history and the tenant resolving to its new shard through the
// Gateway; then roll it back from the history. The tenant is one no other spec asserts on, and
// every expectation is relative to what the page and the Gateway showed first.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { devLogin, expectNoSeriousA11yViolations, screenshot } from "./helpers";

const TENANT = "umbrella-eu";
const GATEWAY = `http://127.0.0.1:${process.env.DEMO_GATEWAY_PORT ?? "8701"}`;

async function resolvedShard(request: APIRequestContext): Promise<string> {
  const r = await request.get(`${GATEWAY}/admin/routing/resolve?tenant=${TENANT}&kind=aggregate`);
  expect(r.ok()).toBeTruthy();
  return ((await r.json()) as { shard: string }).shard;
}

async function expectJobSucceeded(page: Page, kind: string): Promise<void> {
  await expect(page).toHaveURL(/\/jobs\/[^/]+$/);
  await expect(page.getByRole("heading", { level: 1, name: `Job ${kind}` })).toBeVisible();
  const summary = page.getByRole("region", { name: "Job summary" });
  await expect(summary.locator('[data-status="succeeded"]').first()).toBeVisible({ timeout: 60_000 });
}

async function openRouting(page: Page): Promise<string> {
  await page.goto("/config?domain=routing");
  await page.getByRole("link", { name: "Config routing/gateway (platform)" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Config routing/gateway" })).toBeVisible();
  const revision = page.getByTestId("config-revision");
  await expect(revision).not.toHaveText("absent");
  return (await revision.textContent()) ?? "";
}

async function applyDialog(page: Page, title: RegExp, button: RegExp, reason: string): Promise<void> {
  const dialog = page.getByRole("dialog", { name: title });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("region", { name: "Plan" })).toContainText(TENANT);
  const submit = dialog.getByRole("button", { name: button });
  await dialog.getByLabel("Reason (required)").fill(reason);
  await dialog.getByLabel("Type the config's name (gateway) to confirm").fill("gatewa");
  await expect(submit).toBeDisabled();
  await dialog.getByLabel("Type the config's name (gateway) to confirm").fill("gateway");
  await expect(submit).toBeEnabled();
  await submit.click();
}

test.describe("config registry", () => {
  test("edit a routing override, plan, apply, see it in history and at the Gateway, roll it back", async ({ page, request }, testInfo) => {
    const before = await resolvedShard(request);
    const target = before === "aggregate-1" ? "aggregate-2" : "aggregate-1";
    await devLogin(page, "admin");
    const startRevision = await openRouting(page);

    // Edit: an override for the tenant, in the CodeMirror editor.
    const editor = page.getByRole("textbox", { name: "routing/gateway document" });
    const doc = JSON.parse((await editor.textContent()) ?? "{}") as { overrides: { tenant: string }[] };
    doc.overrides = [...doc.overrides.filter((o) => o.tenant !== TENANT), { tenant: TENANT, kind: "aggregate", shard: target } as never];
    await editor.click();
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.insertText(JSON.stringify(doc, null, 2));
    await page.getByRole("button", { name: "Validate" }).click();
    await expect(page.getByRole("main").getByRole("status")).toHaveText(/^Valid/);

    // Plan: the diff side by side, the impact (the tenant from → to) and no blocking finding.
    await page.getByRole("button", { name: "Plan", exact: true }).click();
    const result = page.getByRole("region", { name: "Plan result" });
    await expect(result).toContainText("Ready to apply.");
    await expect(result).toContainText("1 of 50 tenants change route");
    const change = result.getByRole("table", { name: "Routing changes" }).getByRole("row").filter({ hasText: TENANT });
    await expect(change).toContainText(`${before} (placement)`);
    await expect(change).toContainText(`${target} (override)`);
    await expect(result.getByRole("table", { name: "Diff, side by side" })).toContainText(TENANT);
    await expectNoSeriousA11yViolations(page, testInfo, "config-plan");
    await screenshot(page, testInfo, "config-plan");

    // Apply: a reason and the name typed; then the job's live progress to success.
    await result.getByRole("button", { name: "Apply…" }).click();
    await applyDialog(page, /^Apply: routing\/gateway/, /^Apply$/, `e2e: route ${TENANT} to ${target}`);
    await expectJobSucceeded(page, "config.apply");
    for (const step of ["write", "reload", "verify"]) {
      await expect(page.getByRole("list", { name: "Steps" }).first().getByRole("listitem").filter({ hasText: step }).locator('[data-status="succeeded"]')).toBeVisible();
    }
    expect(await resolvedShard(request)).toBe(target);

    // The new revision in the history, with who and why.
    const applied = await openRouting(page);
    expect(applied).not.toBe(startRevision);
    const newest = page.getByRole("list", { name: "History" }).getByRole("listitem").first();
    await expect(newest).toContainText(`Revision ${applied}`);
    await expect(newest).toContainText("apply");
    await expect(newest).toContainText(`e2e: route ${TENANT} to ${target}`);
    await screenshot(page, testInfo, "config-history");

    // Roll back from the history row of the revision we started from: the same plan, applied.
    await page.getByRole("button", { name: `Roll back to revision ${startRevision}` }).first().click();
    await applyDialog(page, new RegExp(`^Roll back to revision ${startRevision}`), new RegExp(`^Roll back to revision ${startRevision}`), "e2e: undo");
    await expectJobSucceeded(page, "config.rollback");
    expect(await resolvedShard(request)).toBe(before);
    await openRouting(page);
    await expect(page.getByRole("list", { name: "History" }).getByRole("listitem").first()).toContainText("rollback");
  });

  test("a viewer sees the config and its history but cannot apply", async ({ page }) => {
    await devLogin(page, "viewer");
    await openRouting(page);
    await expect(page.getByRole("list", { name: "History" }).or(page.getByText("No recorded change yet"))).toBeVisible();
    await page.getByRole("button", { name: "Plan", exact: true }).click();
    const result = page.getByRole("region", { name: "Plan result" });
    await expect(result).toBeVisible();
    await expect(result.getByRole("button", { name: "Apply…" })).toHaveAttribute("aria-disabled", "true");
  });

  test("definitions list the runners' effects and sagas with their documents", async ({ page }) => {
    await devLogin(page, "admin");
    await page.goto("/definitions");
    await expect(page.getByRole("heading", { level: 1, name: "Definitions" })).toBeVisible();
    await page.getByRole("button", { name: "Document of saga order-fulfilment v2" }).click();
    await expect(page.getByRole("dialog", { name: "saga order-fulfilment v2" }).getByLabel("Definition document")).toContainText("fraud-check");
  });
});
