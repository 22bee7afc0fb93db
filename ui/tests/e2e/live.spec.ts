import { expect, test, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { devLogin, expectNoSeriousA11yViolations, ROUTES, screenshot, sessionToken, settle } from "./helpers";

// Issue #15: live updates, tables that fit 1,366 px, charts with the demo's metrics history.

test.describe("live updates", () => {
  test("the Jobs list shows a job another client created, without reload or polling", async ({ page, request }, testInfo) => {
    await devLogin(page, "admin");
    await page.goto("/jobs");
    await expect(page.getByRole("table", { name: "Jobs" })).toBeVisible();
    await expect(page.getByTestId("live-status")).toHaveAttribute("data-state", "live");
    await expect(page.getByRole("status", { name: /Live updates: connected/ })).toBeVisible();
    let navigations = 0;
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });

    // Another client: its own HTTP connection, the admin's token, no browser.
    const reason = `e2e: created by another client ${randomUUID()}`;
    const started = Date.now();
    const response = await request.post("/admin/v1/jobs/kinds/platform.verify", {
      headers: { authorization: `Bearer ${await sessionToken(page)}`, "idempotency-key": randomUUID() },
      data: { reason, params: {} },
    });
    expect(response.status(), await response.text()).toBe(202);
    const job = (await response.json()) as { id: string };

    // Polling (the fallback) runs every 10 s: appearing well within that is the stream's doing.
    await expect(page.getByRole("link", { name: job.id, exact: true })).toBeVisible({ timeout: 5_000 });
    const seconds = (Date.now() - started) / 1000;
    testInfo.annotations.push({ type: "live", description: `job ${job.id} listed ${seconds.toFixed(2)} s after it was created` });
    console.log(`live: the new job appeared in the Jobs list ${seconds.toFixed(2)} s after the other client created it`);
    expect(navigations).toBe(0);
    await expect(page.getByTestId("live-status")).toHaveAttribute("data-state", "live");

    // Its row follows the job to the end without a reload either.
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: job.id, exact: true }) });
    await expect(row.locator('[data-status="succeeded"]')).toBeVisible({ timeout: 45_000 });
    expect(navigations).toBe(0);
    await screenshot(page, testInfo, "live-jobs");
  });

  test("/ focuses the header search", async ({ page }) => {
    await devLogin(page, "admin");
    await page.goto("/jobs");
    await expect(page.getByRole("table", { name: "Jobs" })).toBeVisible();
    await page.locator("body").click({ position: { x: 5, y: 300 } });
    await page.keyboard.press("/");
    await expect(page.getByRole("searchbox", { name: /Investigate an id/ })).toBeFocused();
  });
});

/** Every page of the console, with a tenant, a job and a deployment to show. */
async function everyPage(page: Page): Promise<string[]> {
  await page.goto("/jobs");
  const jobs = page.getByRole("table", { name: "Jobs" });
  await expect(jobs.getByRole("link").first().or(jobs.getByText("No jobs match."))).toBeVisible();
  const firstJob = jobs.getByRole("link").first();
  const jobHref = (await firstJob.count()) > 0 ? await firstJob.getAttribute("href") : null;
  await page.goto("/deployments");
  const firstDeployment = page.getByRole("table", { name: "Deployments" }).getByRole("link").first();
  await expect(firstDeployment).toBeVisible();
  const deploymentHref = await firstDeployment.getAttribute("href");
  return [
    ...ROUTES.map((route) => route.path),
    "/fleet?view=topology",
    "/fleet?view=swarm",
    "/tenants/acme",
    ...(jobHref ? [jobHref] : []),
    ...(deploymentHref ? [deploymentHref] : []),
  ];
}

test.describe("layout at 1,366 × 768", () => {
  test.use({ viewport: { width: 1366, height: 768 } });

  test("no page scrolls sideways, and no table is wider than its frame", async ({ page }, testInfo) => {
    await devLogin(page, "admin");
    const paths = await everyPage(page);
    const report: string[] = [];
    for (const path of paths) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await settle(page);
      const measured = await page.evaluate(() => {
        const root = document.documentElement;
        const main = document.querySelector("main")!;
        // Every box on the page that would scroll sideways (data tables and any other overflow: auto).
        const tables = [...document.querySelectorAll<HTMLElement>("main *")]
          .filter((el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX) && el.clientWidth > 0)
          .filter((el) => el.dataset.testid?.startsWith("table-") || el.scrollWidth > el.clientWidth + 1)
          .map((el) => ({
            id: el.dataset.testid ?? el.getAttribute("aria-label") ?? `${el.tagName.toLowerCase()}.${el.className.toString().split(" ")[0]}`,
            scroll: el.scrollWidth,
            client: el.clientWidth,
          }));
        return { page: [root.scrollWidth, root.clientWidth] as const, main: [main.scrollWidth, main.clientWidth] as const, tables };
      });
      report.push(`${path}: document ${measured.page[0]}/${measured.page[1]}, main ${measured.main[0]}/${measured.main[1]}, ${measured.tables.map((t) => `${t.id} ${t.scroll}/${t.client}`).join(", ") || "no data table"}`);
      expect(measured.page[0], `${path}: the document is wider than the window`).toBeLessThanOrEqual(measured.page[1]);
      expect(measured.main[0], `${path}: the page content is wider than its frame`).toBeLessThanOrEqual(measured.main[1]);
      for (const table of measured.tables) {
        expect(table.scroll, `${path}: ${table.id} scrolls sideways`).toBeLessThanOrEqual(table.client + 1);
      }
    }
    await testInfo.attach("widths.txt", { body: report.join("\n"), contentType: "text/plain" });
    console.log(report.join("\n"));
  });
});

test.describe("charts", () => {
  const CHART_PAGES = ["/", "/observability", "/tenants/acme"];

  // The deployment page's charts are checked in swarm.spec.ts, on the deploy it makes (the
  // demo's seeded deployments are older than the 7 days of history the API serves).
  test("render the demo's metrics history: every chart has data, a legend and a canvas", async ({ page }, testInfo) => {
    // The demo runs VictoriaMetrics scraping the API and every devfleet instance (the
    // metrics_unavailable state is covered by the unit tests and the API's integration tests).
    await devLogin(page, "admin");
    const seen: string[] = [];
    for (const path of CHART_PAGES) {
      await page.goto(path);
      await settle(page);
      const charts = page.getByTestId("metric-chart");
      const count = await charts.count();
      expect(count, `${path} has charts`).toBeGreaterThan(0);
      for (let i = 0; i < count; i += 1) {
        const chart = charts.nth(i);
        await expect(chart, `${path}: chart ${i + 1} has data`).toHaveAttribute("data-state", "data");
        await expect(chart.locator("canvas").first()).toBeVisible();
        const legend = chart.getByRole("list", { name: "Legend" });
        await expect(legend).toBeVisible();
        expect(await legend.getByRole("listitem").count()).toBeGreaterThan(0);
      }
      seen.push(`${path}: ${count} charts with data`);
      await expectNoSeriousA11yViolations(page, testInfo, `charts ${path}`);
    }
    const summary = seen.join("; ");
    testInfo.annotations.push({ type: "charts", description: summary });
    console.log(`charts: ${summary}`);
    await screenshot(page, testInfo, "charts-tenant");
  });

  test("draw with uPlot: lines, units, the value under the cursor and deploy bands (metrics answered by the test)", async ({ page }, testInfo) => {
    // This answers the metrics API in the browser, so the drawing itself (values, units, the
    // cursor, bands) is checked against known numbers.
    const now = Math.floor(Date.now() / 1000);
    // One deploy 20 min ago, so the charts mark it.
    await page.route(/\/admin\/v1\/deployments(\?.*)?$/, async (route) => {
      await route.fulfill({
        json: {
          items: [
            {
              id: "d_e2e_band",
              service: "platform_gateway",
              service_id: "svc",
              kind: "update",
              status: "completed",
              started_at: new Date((now - 1200) * 1000).toISOString(),
              finished_at: new Date((now - 1140) * 1000).toISOString(),
              from_image: "cloudlysis/gateway:1.4.1",
              to_image: "cloudlysis/gateway:1.4.2",
              timeline: [],
            },
          ],
          next_cursor: null,
        },
      });
    });
    await page.route(/\/admin\/v1\/metrics\/[a-z0-9_]+(\?.*)?$/, async (route) => {
      const name = new URL(route.request().url()).pathname.split("/").pop()!;
      const unit = name.includes("ratio") ? "ratio" : name.includes("p99") || name.includes("p50") ? "seconds" : "reqps";
      const points = (scale: number) => Array.from({ length: 120 }, (_, i) => [now - 3600 + i * 30, scale * (1 + Math.sin(i / 8))]);
      await route.fulfill({
        json: {
          query: name,
          title: name,
          unit,
          legend: "service version",
          start: now - 3600,
          end: now,
          step: 30,
          series: [
            { labels: { service: "gateway", version: "1.4.2" }, points: points(unit === "ratio" ? 0.01 : unit === "seconds" ? 0.12 : 40) },
            { labels: { service: "aggregate", version: "2.0.1" }, points: points(unit === "ratio" ? 0.002 : unit === "seconds" ? 0.03 : 15) },
          ],
        },
      });
    });
    await devLogin(page, "admin");
    await page.goto("/observability");
    await settle(page);
    const chart = page.getByTestId("metric-chart").first();
    await expect(chart).toHaveAttribute("data-state", "data");
    const canvas = chart.locator("canvas").first();
    await expect(canvas).toBeVisible();
    const box = (await canvas.boundingBox())!;
    expect(box.width).toBeGreaterThan(200);
    const legend = chart.getByRole("list", { name: "Legend" });
    await expect(legend).toContainText("gateway 1.4.2");
    await expect(legend).toContainText(/req\/s/);
    await expect(chart.getByText("Latest")).toBeVisible();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect(chart.getByText(/^At \d/)).toBeVisible();
    // The deploy in the window is a band on the chart, and named under it.
    await expect(chart.getByRole("list", { name: "Marked deploys" })).toContainText("deploy platform_gateway → 1.4.2");
    await expect(chart.getByRole("img")).toHaveAccessibleName(/1 deploys marked/);
    await expectNoSeriousA11yViolations(page, testInfo, "charts with data");
    await screenshot(page, testInfo, "charts-with-data");
  });
});
