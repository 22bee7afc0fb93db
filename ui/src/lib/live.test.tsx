import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fleetKeys } from "@/features/fleet";
import { placementKeys } from "@/features/placement";
import { tenantKeys } from "@/features/tenants";
import { installFakeApi, problem } from "@/test/fake-api";
import { demoInstances, demoPlacement, fleetOf } from "@/test/ops-fixtures";
import { renderApp, signInForTest } from "@/test/render";
import { fallbackInterval, formatAgo, LIVE_REFETCH_MS, liveStream, OFF_STREAM, pollingQueryOptions } from "./live";

describe("formatAgo", () => {
  it("says how long ago, in the largest whole unit", () => {
    const t = Date.parse("2026-11-27T03:00:00Z");
    expect(formatAgo(t, t + 400)).toBe("just now");
    expect(formatAgo(t, t + 12_900)).toBe("12 s ago");
    expect(formatAgo(t, t + 185_000)).toBe("3 min ago");
    expect(formatAgo(t, t + 2 * 3600_000 + 5)).toBe("2 h ago");
    expect(formatAgo(t + 5000, t)).toBe("just now");
    expect(formatAgo(t, t + 3 * 86_400_000)).toBe("3 d ago");
  });
});

describe("live refresh", () => {
  it("polls fleet and placement only while the event stream is down, never while the tab is hidden", async () => {
    installFakeApi({ fleet: fleetOf(demoInstances), placement: demoPlacement });
    signInForTest();
    const { client } = renderApp("/");
    await screen.findByRole("table", { name: "Health by kind" });
    await screen.findByRole("table", { name: "Tenants per runner shard" });
    for (const [key, queryKey] of [
      ["fleet", fleetKeys.snapshot()],
      ["placement", placementKeys.overview()],
    ] as const) {
      const options = client.getQueryCache().find({ queryKey })!.options as { refetchInterval?: () => number | false; refetchIntervalInBackground?: boolean };
      expect(options.refetchIntervalInBackground, key).toBe(false);
      liveStream.set({ ...OFF_STREAM, status: "retrying" });
      expect(options.refetchInterval!(), key).toBe(LIVE_REFETCH_MS);
      liveStream.set({ ...OFF_STREAM, status: "live" });
      expect(options.refetchInterval!(), key).toBe(false);
    }
    expect(screen.getAllByTestId("updated-ago")[0]).toHaveTextContent(/^Updated (just now|\d+ s ago)/);
  });

  it("keeps polling what no event announces (Swarm's task states)", () => {
    liveStream.set({ ...OFF_STREAM, status: "live" });
    expect(pollingQueryOptions.refetchInterval).toBe(LIVE_REFETCH_MS);
    expect(fallbackInterval(2000)).toBe(false);
    liveStream.set({ ...OFF_STREAM, status: "connecting" });
    expect(fallbackInterval(2000)).toBe(2000);
    liveStream.set(OFF_STREAM);
    expect(fallbackInterval(false)).toBe(false);
  });

  it("keeps the last fleet on screen when a refresh fails, and says so", async () => {
    let fail = false;
    installFakeApi({
      routes: [["GET", /^\/admin\/v1\/fleet$/, () => (fail ? problem(503, { title: "Fleet unavailable" }) : { body: fleetOf(demoInstances) })]],
    });
    signInForTest();
    const { client } = renderApp("/fleet");
    const table = await screen.findByRole("table", { name: "Instances" });
    expect(within(table).getAllByText("aggregate-2").length).toBeGreaterThan(0);
    fail = true;
    await client.refetchQueries({ queryKey: fleetKeys.all });
    expect(await screen.findByText(/Refresh failed \(HTTP 503\); showing the data from the last successful refresh\./)).toBeInTheDocument();
    expect(within(screen.getByRole("table", { name: "Instances" })).getAllByText("aggregate-2").length).toBeGreaterThan(0);
    expect(screen.queryByRole("alert", { name: "Error" })).not.toBeInTheDocument();
  });

  it("keeps the tenant list on screen when a refresh fails", async () => {
    let fail = false;
    installFakeApi({
      routes: [
        [
          "GET",
          /^\/admin\/v1\/tenants$/,
          () =>
            fail
              ? problem(502, { title: "Placement unavailable" })
              : { body: { items: [{ tenant_id: "acme", placement: { aggregate: { shard: "aggregate-2", explicit: true } }, state: "serving", health: "ok" }], next_cursor: null, revisions: {}, stale: false, total: 1 } },
        ],
      ],
    });
    signInForTest();
    const { client } = renderApp("/tenants");
    expect(await screen.findByRole("link", { name: "acme" })).toBeInTheDocument();
    fail = true;
    await client.refetchQueries({ queryKey: tenantKeys.lists() });
    expect(await screen.findByText(/Refresh failed \(HTTP 502\)/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "acme" })).toBeInTheDocument();
  });
});
