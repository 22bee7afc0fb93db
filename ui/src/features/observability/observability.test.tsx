import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { currentTenant } from "@/lib";
import { defaultUiConfig, installFakeApi, problem } from "@/test/fake-api";
import { renderApp, signInForTest } from "@/test/render";
import { DASHBOARDS } from "@/lib";

const metricsDown: [string, RegExp, () => ReturnType<typeof problem>] = ["GET", /^\/admin\/v1\/metrics\//, () => problem(503, { code: "metrics_unavailable", title: "Metrics unavailable" })];

describe("Observability page", () => {
  it("shows the golden signals natively, and lists the 12 dashboards with a clear note when Grafana is unset", async () => {
    const fake = installFakeApi({ routes: [metricsDown] });
    signInForTest();
    renderApp("/observability?kind=aggregate&range=21600");
    await waitFor(() => expect(screen.getAllByTestId("chart-unavailable")).toHaveLength(7));
    const sent = fake.requests.map((r) => new URL(r.url)).filter((u) => u.pathname.startsWith("/admin/v1/metrics/"));
    expect(sent.filter((u) => u.searchParams.get("kind") === "aggregate").map((u) => u.pathname.split("/").pop()).sort()).toEqual([
      "error_ratio_by_service",
      "p50_by_service",
      "p99_by_service",
      "request_rate_by_service",
    ]);
    expect(sent.every((u) => u.searchParams.get("range") === "21600")).toBe(true);
    expect(screen.getByLabelText("Service kind")).toHaveValue("aggregate");

    expect(screen.getByRole("note")).toHaveTextContent(/Grafana is not configured.*CONTROL_GRAFANA_URL/);
    const list = screen.getByRole("list", { name: "Dashboards" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(12);
    expect(within(list).queryAllByRole("link")).toHaveLength(0);
    expect(within(list).getByText("Cloudlysis / Noisy neighbor & tenant health")).toBeInTheDocument();
  });

  it("deep-links every dashboard when Grafana is set, with the current tenant where a dashboard takes one", async () => {
    currentTenant.set("acme");
    installFakeApi({ uiConfig: { ...defaultUiConfig, grafana_base_url: "https://grafana.test/" }, routes: [metricsDown] });
    signInForTest();
    renderApp("/observability?tenant=acme");
    const list = await screen.findByRole("list", { name: "Dashboards" });
    const links = await within(list).findAllByRole("link");
    expect(links).toHaveLength(DASHBOARDS.length);
    expect(within(list).getByRole("link", { name: /Noisy neighbor/ })).toHaveAttribute("href", "https://grafana.test/d/cl-noisy-neighbor?from=now-1h&to=now&var-tenant=acme");
    expect(within(list).getByRole("link", { name: /Operations overview/ })).toHaveAttribute("href", "https://grafana.test/d/cl-ops-overview?from=now-1h&to=now");
    expect(screen.queryByRole("note")).not.toBeInTheDocument();
  });

  it("gives the API's Explore links for a correlation id", async () => {
    const fake = installFakeApi({
      uiConfig: { ...defaultUiConfig, grafana_base_url: "https://grafana.test" },
      routes: [metricsDown],
      investigate: { id: "corr-abc-123", kinds: ["correlation_id"], jobs: [], audit_events: [], links: { loki: "https://grafana.test/explore?loki-pane", tempo: null } },
    });
    signInForTest();
    const { router } = renderApp("/observability");
    await userEvent.type(await screen.findByLabelText("Correlation id (or request id)"), "corr-abc-123");
    await userEvent.click(screen.getByRole("button", { name: "Show links" }));
    const explore = await screen.findByRole("list", { name: "Explore links" });
    expect(within(explore).getByRole("link", { name: /Logs of corr-abc-123 in Loki/ })).toHaveAttribute("href", "https://grafana.test/explore?loki-pane");
    expect(within(explore).getByRole("link", { name: /Investigate/ })).toHaveAttribute("href", "/investigate?id=corr-abc-123");
    expect(router.state.location.search).toContain("correlation_id=corr-abc-123");
    expect(fake.requests.some((r) => new URL(r.url).pathname === "/admin/v1/investigate")).toBe(true);
    // The logs dashboard takes the correlation id.
    expect(screen.getByRole("link", { name: /Cloudlysis \/ Logs/ })).toHaveAttribute("href", expect.stringContaining("var-correlation_id=corr-abc-123"));
  });
});
