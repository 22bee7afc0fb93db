import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { VIEWER_RIGHTS, whoami } from "@/test/fixtures";
import { demoInstances, demoPlacement, fleetOf, instance } from "@/test/ops-fixtures";
import { renderApp, signInForTest } from "@/test/render";

function rowOf(table: HTMLElement, name: string): string[] {
  const row = within(table).getByRole("rowheader", { name: new RegExp(`^${name}`) }).closest("tr")!;
  return within(row).getAllByRole("cell").map((c) => c.textContent ?? "");
}

describe("Overview: fleet health, versions in play, tenants per shard", () => {
  it("summarises a healthy single-version fleet by kind and counts tenants per shard, default shard included", async () => {
    installFakeApi({ fleet: fleetOf(demoInstances), placement: demoPlacement });
    signInForTest();
    renderApp("/");
    const health = await screen.findByRole("region", { name: "Fleet health" });
    const byKind = await within(health).findByRole("table", { name: "Health by kind" });
    expect(rowOf(byKind, "aggregate")).toEqual(["2", "2", "0", "0"]);
    expect(rowOf(byKind, "gateway")).toEqual(["1", "1", "0", "0"]);
    expect(within(health).getByText("7 instances: 7 healthy, 7 ready, 0 unreachable.")).toBeInTheDocument();
    expect(within(health).getByText("All instances are healthy and ready.")).toBeInTheDocument();
    expect(within(health).getByRole("link", { name: /Open Fleet/ })).toHaveAttribute("href", "/fleet");
    expect(within(health).queryByText(/^Stale:/)).not.toBeInTheDocument();

    const versions = screen.getByRole("region", { name: "Versions in play" });
    expect(within(versions).getByText("Every service runs a single version.")).toBeInTheDocument();
    const aggregate = within(within(versions).getByRole("list", { name: "Versions by service" })).getAllByRole("listitem")[1]!;
    expect(aggregate).toHaveTextContent("aggregate: 1.4.2 d3v7f1e × 2");
    expect(aggregate).not.toHaveTextContent("(mixed)");

    const shards = await screen.findByRole("region", { name: "Tenants per shard" });
    const runner = await within(shards).findByRole("table", { name: "Tenants per runner shard" });
    expect(rowOf(runner, "runner-1")).toEqual(["2 (2 by default)"]);
    expect(within(runner).getByRole("rowheader", { name: "runner-1 (default)" })).toBeInTheDocument();
    expect(rowOf(runner, "runner-2")).toEqual(["1"]);
    const aggregates = within(shards).getByRole("table", { name: "Tenants per aggregate shard" });
    expect(rowOf(aggregates, "aggregate-1")).toEqual(["1"]);
    expect(rowOf(aggregates, "aggregate-2")).toEqual(["2"]);
    expect(within(aggregates).getByText("aggregate · revision 1")).toBeInTheDocument();
    expect(within(shards).getByRole("link", { name: /Open Scale & Placement/ })).toHaveAttribute("href", "/placement");
  });

  it("makes a mixed-version fleet stand out, names the unhealthy instances and says the snapshot is stale", async () => {
    const instances = demoInstances.map((i) =>
      i.instance === "aggregate-2" ? { ...i, version: "1.5.0", git_sha: "c0ffee1" } : i.instance === "runner-2" ? { ...i, health: "unreachable" as const, ready: "unreachable" as const, version: null, git_sha: null } : i,
    );
    installFakeApi({ fleet: fleetOf(instances, { stale: true, age_s: 95 }), placement: { ...demoPlacement, stale: true, stale_for_s: 40 } });
    signInForTest();
    renderApp("/");
    const versions = await screen.findByRole("region", { name: "Versions in play" });
    expect(await within(versions).findByText("Mixed versions: aggregate runs 2 versions.")).toBeInTheDocument();
    const items = within(within(versions).getByRole("list", { name: "Versions by service" })).getAllByRole("listitem");
    const aggregate = items.find((li) => li.textContent?.startsWith("aggregate"))!;
    expect(aggregate).toHaveTextContent("aggregate(mixed): 1.4.2 d3v7f1e × 1, 1.5.0 c0ffee1 × 1");
    expect(items.find((li) => li.textContent?.startsWith("projection"))).not.toHaveTextContent("(mixed)");
    // An instance that did not answer has no version: listed, but it does not make the service mixed.
    expect(items.find((li) => li.textContent?.startsWith("runner"))).toHaveTextContent(/^runner: 1.4.2 d3v7f1e × 1, unknown × 1$/);
    expect(within(versions).getByText(/Stale: the fleet snapshot shown is the last known good, 1 min 35 s old/)).toBeInTheDocument();

    const health = screen.getByRole("region", { name: "Fleet health" });
    expect(rowOf(within(health).getByRole("table", { name: "Health by kind" }), "runner")).toEqual(["2", "1", "1", "1"]);
    expect(within(health).getByText("Needs attention: runner-2 (unreachable)")).toBeInTheDocument();
    expect(within(health).getByText("7 instances: 6 healthy, 6 ready, 1 unreachable.")).toBeInTheDocument();

    const shards = screen.getByRole("region", { name: "Tenants per shard" });
    expect(await within(shards).findByText(/Stale: the placement shown is the last known good, 40.0 s old/)).toBeInTheDocument();
  });

  it("says which right a card needs instead of loading it", async () => {
    const fake = installFakeApi({ whoami: whoami(VIEWER_RIGHTS, "viewer"), fleet: fleetOf([instance({ kind: "gateway", instance: "gw", url: "http://gw" })]) });
    signInForTest("viewer");
    renderApp("/");
    const shards = await screen.findByRole("region", { name: "Tenants per shard" });
    expect(await within(shards).findByText("Requires the right control.placement.read.")).toBeInTheDocument();
    const health = screen.getByRole("region", { name: "Fleet health" });
    expect(await within(health).findByText("1 instance: 1 healthy, 1 ready, 0 unreachable.")).toBeInTheDocument();
    expect(fake.requests.some((r) => new URL(r.url).pathname === "/admin/v1/placement")).toBe(false);
  });
});
