import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { devLogin, expectNoSeriousA11yViolations, ROUTES, screenshot, sessionToken, settle } from "./helpers";

test.describe("admin", () => {
  test("login page has no serious accessibility violations", async ({ page }, testInfo) => {
    await page.goto("/login");
    await expect(page.getByRole("button", { name: "Sign in as admin" })).toBeVisible();
    await expectNoSeriousA11yViolations(page, testInfo, "login");
    await screenshot(page, testInfo, "login");
  });

  for (const route of ROUTES) {
    test(`${route.path} renders without errors or serious axe violations`, async ({ page }, testInfo) => {
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await devLogin(page, "admin");
      await page.goto(route.path);
      await expect(page.getByRole("heading", { level: 1, name: route.heading, exact: true })).toBeVisible();
      await expect(page.getByText("This page failed to render")).toHaveCount(0);
      await settle(page);
      await expectNoSeriousA11yViolations(page, testInfo, route.path);
      await screenshot(page, testInfo, `route-${route.path.slice(1) || "overview"}`);
      expect(errors).toEqual([]);
    });
  }

  test("a tenant's detail page renders, even for a tenant no map names", async ({ page }, testInfo) => {
    await devLogin(page, "admin");
    await page.goto("/tenants/e2e-unplaced");
    await expect(page.getByRole("heading", { level: 1, name: "Tenant e2e-unplaced" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Placement" })).toBeVisible();
    await settle(page);
    await expectNoSeriousA11yViolations(page, testInfo, "tenant-detail");
    await screenshot(page, testInfo, "tenant-detail");
  });

  test("dark mode: main pages have no serious axe violations", async ({ page }, testInfo) => {
    await page.emulateMedia({ colorScheme: "dark" });
    await devLogin(page, "admin");
    for (const route of ROUTES.slice(0, 3)) {
      await page.goto(route.path);
      await expect(page.getByRole("heading", { level: 1, name: route.heading, exact: true })).toBeVisible();
      await settle(page);
      await expectNoSeriousA11yViolations(page, testInfo, `${route.path} (dark)`);
      await screenshot(page, testInfo, `dark-${route.path.slice(1) || "overview"}`);
    }
  });

  test("platform.verify: start, watch it succeed, find it by correlation id, copy an id", async ({ page }, testInfo) => {
    await devLogin(page, "admin");
    await page.goto("/jobs");
    await page.getByRole("button", { name: "Run platform verification" }).click();
    const dialog = page.getByRole("dialog", { name: "Run platform verification" });
    await expect(dialog).toBeVisible();
    await expectNoSeriousA11yViolations(page, testInfo, "verify-dialog");
    await dialog.getByLabel("Reason (required)").fill("e2e: platform verification");
    await dialog.getByRole("button", { name: "Start verification" }).click();

    await expect(page).toHaveURL(/\/jobs\/[^/]+$/);
    await expect(page.getByRole("heading", { level: 1, name: "Job platform.verify" })).toBeVisible();
    const summary = page.getByRole("region", { name: "Job summary" });
    await expect(summary.locator('[data-status="succeeded"]').first()).toBeVisible({ timeout: 45_000 });
    await expect(page.getByRole("list", { name: "Steps" })).toBeVisible();
    await screenshot(page, testInfo, "verify-succeeded");

    const jobUrl = page.url();
    const correlationId = (await summary.getByTestId("id-chip-correlation-id").locator("code").getAttribute("title")) ?? "";
    expect(correlationId).not.toEqual("");

    await page.getByRole("searchbox", { name: /Investigate an id/ }).fill(correlationId);
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(new RegExp(`/investigate\\?id=${encodeURIComponent(correlationId)}`));
    await expect(page.getByText(/Matched as .*correlation id/)).toBeVisible();
    const jobId = new URL(jobUrl).pathname.split("/").pop()!;
    await page.getByRole("link", { name: decodeURIComponent(jobId), exact: true }).first().click();
    await expect(page).toHaveURL(jobUrl);

    await page.getByRole("region", { name: "Job summary" }).getByRole("button", { name: "Copy Request ID" }).click();
    await expect(page.getByRole("region", { name: "Job summary" }).getByText("Copied")).toBeVisible();
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    expect(clipboard).toMatch(/\S+/);
    await screenshot(page, testInfo, "investigate-roundtrip");
  });

  test("audit export downloads NDJSON with the session's auth", async ({ page }, testInfo) => {
    await devLogin(page, "admin");
    await page.goto("/audit");
    await expect(page.getByRole("table", { name: "Audit events" })).toBeVisible();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export NDJSON" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-.*\.ndjson$/);
    const path = testInfo.outputPath("audit.ndjson");
    await download.saveAs(path);
    const lines = (await readFile(path, "utf8")).split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty("action");
  });

  test("audit: a substring search finds a job's events, and a row opens the detail drawer", async ({ page, request }, testInfo) => {
    await devLogin(page, "admin");
    const created = await request.post("/admin/v1/jobs/kinds/platform.verify", {
      headers: { authorization: `Bearer ${await sessionToken(page)}`, "idempotency-key": randomUUID() },
      data: { reason: "e2e: an audit search target", params: {} },
    });
    expect(created.status(), await created.text()).toBe(202);
    const job = (await created.json()) as { id: string };
    const correlation = created.headers()["x-correlation-id"]!;

    await page.goto("/audit");
    // A part of the job id, in the middle: substring, not prefix or exact.
    const part = job.id.slice(4, 16);
    await page.getByRole("form", { name: "Audit filters" }).getByLabel("Search").fill(part);
    await expect(page).toHaveURL(new RegExp(`q=${part}`));
    const table = page.getByRole("table", { name: "Audit events" });
    await expect(table.getByText(job.id).first()).toBeVisible();
    const targets = await table.locator("tbody tr").allTextContents();
    expect(targets.length).toBeGreaterThan(0);
    for (const row of targets) expect(row).toContain(part);
    await expect(page.getByTestId("audit-total")).toContainText(/\d[\d,]*\+? events? match/);

    await table.getByRole("button", { name: /^Details of / }).first().click();
    const drawer = page.getByRole("dialog", { name: /^Audit event / });
    await expect(drawer).toBeVisible();
    const fields = drawer.getByRole("definition");
    await expect(drawer.getByLabel("Audit event fields")).toContainText(correlation);
    expect(await fields.count()).toBeGreaterThan(8);
    const go = drawer.getByRole("navigation", { name: "Go from this event" });
    await expect(go.getByRole("link", { name: "Open the job" })).toHaveAttribute("href", `/jobs/${job.id}`);
    await expect(go.getByRole("link", { name: "Investigate the correlation id" })).toBeVisible();
    await expectNoSeriousA11yViolations(page, testInfo, "audit-drawer");
    await screenshot(page, testInfo, "audit-drawer");
    await go.getByRole("link", { name: "Open the job" }).click();
    await expect(page).toHaveURL(new RegExp(`/jobs/${job.id}$`));
  });
});

test.describe("viewer", () => {
  test("sees mutation buttons disabled, naming the right", async ({ page }, testInfo) => {
    await devLogin(page, "viewer");
    const run = page.getByRole("button", { name: "Run platform verification" });
    await expect(run).toBeDisabled();
    await expect(run).toHaveAccessibleDescription("Requires the right control.jobs.run");
    await page.goto("/jobs");
    await expect(page.getByRole("button", { name: "Run platform verification" })).toBeDisabled();
    await page.goto("/audit");
    await expect(page.getByRole("heading", { level: 1, name: "Audit Log" })).toBeVisible();
    const exportButton = page.getByRole("button", { name: "Export CSV" });
    await expect(exportButton).toBeDisabled();
    await expect(exportButton).toHaveAccessibleDescription("Requires the right control.audit.export");
    await screenshot(page, testInfo, "viewer-audit");
    await page.goto("/sessions");
    // Every revoke is disabled: the viewer's own session says to sign out, the others name the right.
    const revokes = page.getByRole("button", { name: /^Revoke session / });
    await expect(revokes.first()).toBeDisabled();
    const reasons = () =>
      revokes.evaluateAll((buttons) => buttons.map((b) => document.getElementById(b.getAttribute("aria-describedby") ?? "")?.textContent ?? ""));
    await expect.poll(reasons).toContain("Requires the right control.iam.write");
    expect(new Set(await reasons())).toEqual(
      new Set(["Requires the right control.iam.write", "This is your own session: use Sign out (Settings) to end it"]),
    );
  });
});
