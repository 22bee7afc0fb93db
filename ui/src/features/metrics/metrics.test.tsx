import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { MetricsRange } from "@/api";
import { installFakeApi, problem, type FakeReply } from "@/test/fake-api";
import { demoInstances, fleetOf } from "@/test/ops-fixtures";
import { renderApp, signInForTest } from "@/test/render";

const NOW = Math.floor(Date.now() / 1000);

function range(name: string, series: MetricsRange["series"], extra: Partial<MetricsRange> = {}): MetricsRange {
  const units: Record<string, MetricsRange["unit"]> = { error_ratio_by_service: "ratio", p99_by_service: "seconds", p50_by_service: "seconds" };
  return { query: name, title: name, unit: units[name] ?? "reqps", legend: name.includes("instance") ? "instance" : "service version", start: NOW - 3600, end: NOW, step: 12, series, ...extra };
}

const unavailable = () => problem(503, { code: "metrics_unavailable", title: "Metrics unavailable", detail: "No metrics store is configured (CONTROL_METRICS_URL)." });

function metricsRoute(reply: (name: string, url: URL) => FakeReply): [string, RegExp, (r: Request, u: URL, m: RegExpMatchArray) => FakeReply] {
  return ["GET", /^\/admin\/v1\/metrics\/([a-z0-9_]+)$/, (_r, url, m) => reply(m[1]!, url)];
}

const metricRequests = (requests: Request[]) => requests.filter((r) => new URL(r.url).pathname.startsWith("/admin/v1/metrics/"));

describe("charts", () => {
  it("say clearly that there is no metrics history when the API has no metrics store, and do not retry", async () => {
    const fake = installFakeApi({ routes: [metricsRoute(unavailable)] });
    signInForTest();
    renderApp("/");
    const golden = await screen.findByRole("region", { name: "Golden signals (last hour)" });
    await waitFor(() => expect(within(golden).getAllByTestId("chart-unavailable")).toHaveLength(3));
    expect(within(golden).getAllByText("No metrics history available.")).toHaveLength(3);
    expect(within(golden).getAllByText(/CONTROL_METRICS_URL/).length).toBeGreaterThan(0);
    expect(within(golden).getAllByTestId("metric-chart").map((c) => c.getAttribute("data-state"))).toEqual(["unavailable", "unavailable", "unavailable"]);
    expect(metricRequests(fake.requests).map((r) => new URL(r.url).pathname).sort()).toEqual([
      "/admin/v1/metrics/error_ratio_by_service",
      "/admin/v1/metrics/p99_by_service",
      "/admin/v1/metrics/request_rate_by_service",
    ]);
  });

  it("plot the series with units in the legend and a summary, and mark the deploys of the window", async () => {
    const fake = installFakeApi({
      routes: [
        metricsRoute((name) => ({
          body: range(name, [
            { labels: { service: "gateway", version: "1.4.2" }, points: [[NOW - 120, 0.5], [NOW - 60, 12.34]] },
            { labels: { service: "aggregate", version: "2.0.1" }, points: [[NOW - 120, 3], [NOW - 60, null]] },
          ]),
        })),
        [
          "GET",
          /^\/admin\/v1\/deployments$/,
          () => ({
            body: {
              items: [
                { id: "d1", service: "platform_gateway", service_id: "s", kind: "update", status: "completed", started_at: new Date((NOW - 600) * 1000).toISOString(), finished_at: new Date((NOW - 540) * 1000).toISOString(), to_image: "cloudlysis/gateway:1.4.3", timeline: [] },
                { id: "d0", service: "platform_runner", service_id: "s", kind: "update", status: "completed", started_at: "2020-01-01T00:00:00Z", finished_at: "2020-01-01T00:01:00Z", timeline: [] },
              ],
              next_cursor: null,
            },
          }),
        ],
      ],
    });
    signInForTest();
    renderApp("/");
    const golden = await screen.findByRole("region", { name: "Golden signals (last hour)" });
    const charts = await waitFor(() => {
      const all = within(golden).getAllByTestId("metric-chart");
      expect(all.map((c) => c.getAttribute("data-state"))).toEqual(["data", "data", "data"]);
      return all;
    });
    const rate = charts[0]!;
    expect(within(rate).getByText("Request rate by service")).toBeInTheDocument();
    const legend = within(rate).getByRole("list", { name: "Legend" });
    expect(within(legend).getByText("gateway 1.4.2")).toBeInTheDocument();
    expect(within(legend).getByText("12.3 req/s")).toBeInTheDocument();
    // The latest sample, not a gap turned into zero.
    expect(within(legend).getByText("3 req/s")).toBeInTheDocument();
    // ... and a series without a sample at the chart's end says it has ended (a version gone).
    const items = within(legend).getAllByRole("listitem");
    expect(items.map((li) => [li.getAttribute("data-series"), li.getAttribute("data-current"), li.textContent?.includes("(ended)")])).toEqual([
      ["gateway 1.4.2", "12.34", false],
      ["aggregate 2.0.1", "", true],
    ]);
    expect(within(rate).getByRole("img")).toHaveAccessibleName(/Request rate by service, last hour: gateway 1.4.2 12.3 req\/s; aggregate 2.0.1 3 req\/s; 1 deploys marked/);
    expect(within(rate).getByRole("list", { name: "Marked deploys" })).toHaveTextContent("deploy platform_gateway → 1.4.3");
    const ratio = charts[1]!;
    expect(within(ratio).getByText("1234 %")).toBeInTheDocument();
    const p99 = charts[2]!;
    expect(within(p99).getByText("3 s")).toBeInTheDocument();
    const sent = metricRequests(fake.requests).map((r) => new URL(r.url));
    expect(sent.every((url) => url.searchParams.get("range") === "3600")).toBe(true);
  });

  it("say when the store has no samples, and offer a retry on other errors", async () => {
    let failures = 0;
    installFakeApi({
      routes: [
        metricsRoute((name) => {
          if (name === "error_ratio_by_service") {
            failures += 1;
            return problem(502, { title: "Metrics store error", code: "upstream_error" });
          }
          return { body: range(name, name === "p99_by_service" ? [{ labels: { service: "gateway" }, points: [[NOW, null]] }] : []) };
        }),
      ],
    });
    signInForTest();
    renderApp("/");
    const golden = await screen.findByRole("region", { name: "Golden signals (last hour)" });
    await waitFor(() => expect(within(golden).getAllByTestId("chart-empty")).toHaveLength(2));
    expect(within(golden).getAllByText("No data in the last hour.")).toHaveLength(2);
    const error = await within(golden).findByTestId("chart-error");
    expect(error).toHaveTextContent("The chart could not be loaded: Metrics store error (HTTP 502)");
    const before = failures;
    await userEvent.click(within(error).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(failures).toBe(before + 1));
  });

  it("show each fleet instance's request rate as a sparkline, matched by instance name or address", async () => {
    installFakeApi({
      fleet: fleetOf(demoInstances),
      routes: [
        metricsRoute((name, url) => {
          const service = url.searchParams.get("service");
          if (service === "runner") return unavailable();
          return {
            body: range(name, [
              { labels: { instance: "aggregate-1" }, points: [[NOW - 30, 4], [NOW, 5.5]] },
              { labels: { instance: "127.0.0.1:8712" }, points: [[NOW, 1.25]] },
            ]),
          };
        }),
      ],
    });
    signInForTest();
    renderApp("/fleet");
    const table = await screen.findByRole("table", { name: "Instances" });
    expect(await within(table).findByRole("img", { name: "Request rate of aggregate-1, last 30 min: latest 5.5 req/s" })).toBeInTheDocument();
    expect(within(table).getByRole("img", { name: "Request rate of aggregate-2, last 30 min: latest 1.25 req/s" })).toBeInTheDocument();
    await waitFor(() => expect(within(table).getAllByTestId("sparkline-unavailable")).toHaveLength(2));
    expect(within(table).getAllByText("no data").length).toBeGreaterThan(0); // projection: no matching series
  });
});

describe("tenant and deployment charts", () => {
  it("chart a tenant's inflight work and lag, with its drains marked", async () => {
    const fake = installFakeApi({
      tenant: (id) => ({
        tenant_id: id,
        known: true,
        stale: false,
        fleet_snapshot_age_s: 1,
        placement: [],
        recent_jobs: [
          {
            id: "job-drain",
            kind: "tenant.drain",
            status: "succeeded",
            reason: "maintenance",
            params: {},
            tenant_id: id,
            created_by: "admin",
            created_at: new Date((NOW - 300) * 1000).toISOString(),
            started_at: new Date((NOW - 300) * 1000).toISOString(),
            finished_at: new Date((NOW - 290) * 1000).toISOString(),
            steps: [],
            runs: 1,
          },
        ],
        recent_audit_events: [],
        status_source: "service-admin",
      }),
      routes: [metricsRoute((name, url) => ({ body: range(name, [{ labels: { tenant: url.searchParams.get("tenant") ?? "?" }, points: [[NOW - 60, 7]] }], { unit: "count", legend: "tenant" }) }))],
    });
    signInForTest();
    renderApp("/tenants/acme");
    const section = await screen.findByRole("heading", { name: /Over time/ });
    const charts = await waitFor(() => {
      const all = within(section.parentElement!).getAllByTestId("metric-chart");
      expect(all.map((c) => c.getAttribute("data-state"))).toEqual(["data", "data", "data"]);
      return all;
    });
    expect(within(charts[2]!).getByText("Projection lag (events)")).toBeInTheDocument();
    expect(within(charts[0]!).getByRole("list", { name: "Marked operations" })).toHaveTextContent("tenant.drain");
    const sent = metricRequests(fake.requests).map((r) => new URL(r.url));
    expect(sent.map((u) => u.pathname.split("/").pop()).sort()).toEqual(["tenant_aggregate_inflight", "tenant_gateway_inflight", "tenant_projection_lag"]);
    expect(sent.every((u) => u.searchParams.get("tenant") === "acme")).toBe(true);
  });
});
