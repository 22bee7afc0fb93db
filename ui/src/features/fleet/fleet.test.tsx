import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { emptyFleet, emptyPlacement, installFakeApi, problem } from "@/test/fake-api";
import { renderApp, signInForTest } from "@/test/render";

describe("Fleet", () => {
  it("summarises the snapshot, lists instances and flags unhealthy ones and staleness", async () => {
    installFakeApi({
      fleet: {
        ...emptyFleet,
        stale: true,
        age_s: 90,
        summary: { healthy: 1, instances: 2, ready: 1, unreachable: 1, versions: { "1.2.0": 2 } },
        instances: [
          { service: "gateway", kind: "gateway", instance: "gw-1", url: "http://127.0.0.1:8701", health: "ok", ready: "ready", version: "1.2.0", metrics: {}, metrics_source: "store" },
          { service: "runner", kind: "runner", instance: "run-1", url: "http://127.0.0.1:8702", health: "unreachable", ready: "unreachable", error: "connection refused", metrics: {}, metrics_source: "probe" },
        ],
      },
    });
    signInForTest();
    renderApp("/fleet");
    const table = await screen.findByRole("table", { name: "Instances" });
    const rows = within(table).getAllByRole("row").filter((r) => r.getAttribute("aria-rowindex"));
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.textContent?.includes("run-1"))!.className).toContain("bg-red-50");
    expect(screen.getByText(/Stale: the fleet snapshot shown is the last known good, 1 min 30 s old/)).toBeInTheDocument();
    expect(screen.getByText("Versions: 1.2.0 × 2")).toBeInTheDocument();
  });
});

describe("Fleet → Nodes", () => {
  const inventory = {
    observed_at: "2026-12-06T12:00:00Z",
    source: "engine",
    stale: false,
    services_total: 8,
    tasks_running: 9,
    nodes: [
      {
        id: "n1",
        hostname: "swarm-manager-1",
        role: "manager",
        availability: "active",
        status: "ready",
        leader: true,
        addr: "10.0.0.2",
        engine_version: "27.3.1",
        labels: {},
        cpus: 4,
        memory_bytes: 8 * 1024 ** 3,
        tasks_running: 9,
        services: ["platform_gateway-1", "platform_runner-1"],
        tasks: [],
      },
      { id: "n2", hostname: "swarm-worker-1", role: "worker", availability: "drain", status: "down", leader: false, addr: null, engine_version: null, labels: {}, cpus: null, memory_bytes: null, tasks_running: 0, services: [], tasks: [] },
    ],
  };

  it("lists every node with role, availability, status, engine, CPUs, memory, tasks and services", async () => {
    installFakeApi({ routes: [["GET", /^\/admin\/v1\/platform\/inventory$/, () => ({ body: inventory })]] });
    signInForTest();
    const { router } = renderApp("/fleet");
    await userEvent.click(await screen.findByRole("tab", { name: "Nodes" }));
    expect(router.state.location.search).toBe("?view=nodes");
    const table = await screen.findByRole("table", { name: "Node inventory" });
    const [, manager, worker] = within(table).getAllByRole("row");
    expect(within(manager!).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "manager (leader)",
      "active",
      "ready",
      "27.3.1",
      "4",
      "8 GiB",
      "9",
      "platform_gateway-1platform_runner-1",
    ]);
    expect(within(manager!).getByRole("list", { name: "Services on swarm-manager-1" }).children).toHaveLength(2);
    expect(within(worker!).getAllByRole("cell").map((c) => c.textContent)).toEqual(["worker", "drain", "down", "—", "—", "—", "0", "—"]);
    expect(screen.getByText(/2 nodes, 8 services, 9 tasks running/)).toBeInTheDocument();
  });

  it("says so when Swarm is off", async () => {
    installFakeApi({
      routes: [["GET", /^\/admin\/v1\/platform\/inventory$/, () => problem(503, { title: "Docker Swarm engine unavailable", code: "swarm_unavailable" })]],
    });
    signInForTest();
    renderApp("/fleet?view=nodes");
    expect(await screen.findByRole("status", { name: "Swarm integration unavailable" })).toBeInTheDocument();
    expect(screen.queryByRole("table", { name: "Node inventory" })).not.toBeInTheDocument();
  });
});

describe("Scale & Placement", () => {
  it("shows each map's shards and tenants, and the routing config", async () => {
    installFakeApi({
      placement: {
        ...emptyPlacement,
        maps: [
          {
            kind: "aggregate",
            key: "placement.aggregate",
            present: true,
            revision: "12",
            source: "nats",
            stale: false,
            stale_for_s: null,
            age_s: 2,
            updated_at: "2026-11-27T00:00:00Z",
            default_shard: "agg-0",
            last_error: null,
            shards: { "agg-0": { endpoints: ["http://127.0.0.1:9000"] } },
            tenant_count: 1,
            tenants: { acme: "agg-0" },
          },
        ],
        routing: {
          ...emptyPlacement.routing,
          present: true,
          revision: "3",
          config: { schema_version: 1, upstream_timeout_ms: 5000, overrides: [], routes: [{ kind: "aggregate", path_prefix: "/aggregates/" }] },
        },
      },
    });
    signInForTest();
    renderApp("/placement");
    const map = await screen.findByRole("region", { name: "Placement map aggregate" });
    expect(within(map).getByText("http://127.0.0.1:9000")).toBeInTheDocument();
    expect(within(map).getByRole("link", { name: "acme" })).toHaveAttribute("href", "/tenants/acme");
    expect(screen.getByText("/aggregates/")).toBeInTheDocument();
  });
});
