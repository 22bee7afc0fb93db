import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { VIEWER_RIGHTS, whoami } from "@/test/fixtures";
import { demoInstances, demoPlacement, fleetOf } from "@/test/ops-fixtures";
import { renderApp, signInForTest } from "@/test/render";

/** The rows of a shard table as "shard | tenants | endpoint | instance" strings (row-spanned cells carried down). */
function shardRows(table: HTMLElement): string[] {
  let shard = "";
  let tenants = "";
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((row) => {
      const header = within(row).queryByRole("rowheader");
      const cells = within(row).getAllByRole("cell").map((c) => c.textContent?.replace(/\s+/g, " ").trim() ?? "");
      if (header) {
        shard = header.textContent ?? "";
        tenants = cells.shift() ?? "";
      }
      return [shard, tenants, ...cells].join(" | ");
    });
}

describe("Fleet topology", () => {
  it("shows Gateway → routes → shards → endpoints joined with fleet health, flagging endpoints without an instance", async () => {
    const instances = demoInstances.map((i) =>
      i.instance === "aggregate-2" ? { ...i, url: "http://127.0.0.1:9712" } : i.instance === "runner-1" ? { ...i, health: "unreachable" as const, ready: "unreachable" as const, version: null, git_sha: null } : i,
    );
    const placement = { ...demoPlacement, maps: demoPlacement.maps.map((m) => (m.kind === "runner" ? { ...m, stale: true, stale_for_s: 30 } : m)) };
    installFakeApi({ fleet: fleetOf(instances), placement });
    signInForTest();
    const { router } = renderApp("/fleet");
    expect(await screen.findByRole("table", { name: "Instances" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("tab", { name: "Topology" }));
    await waitFor(() => expect(router.state.location.search).toBe("?view=topology"));
    expect(screen.getByRole("tab", { name: "Topology" })).toHaveAttribute("aria-selected", "true");
    expect(screen.queryByRole("table", { name: "Instances" })).not.toBeInTheDocument();

    const byKind = screen.getByRole("region", { name: "Services by kind" });
    expect(within(byKind).getByRole("heading", { name: "Runner · 1 of 2 healthy, 1 not ready" })).toBeInTheDocument();
    expect(within(byKind).getByRole("list", { name: "Instances of kind aggregate" })).toHaveTextContent("aggregate-1 ok ready version 1.4.2 d3v7f1e http://127.0.0.1:8711");

    const gateway = await screen.findByRole("list", { name: "Gateway instances" });
    expect(gateway).toHaveTextContent("gateway ok ready version 0.0.0-devfleet devfleet http://127.0.0.1:8701");

    const aggregate = screen.getByRole("region", { name: "Topology aggregate" });
    expect(within(aggregate).getByRole("heading", { name: "Aggregate · revision 1 · source nats" })).toBeInTheDocument();
    expect(aggregate).toHaveTextContent("Routed by the Gateway from /v1/tenants/{tenant}/commands");
    expect(shardRows(within(aggregate).getByRole("table", { name: "Shards of aggregate" }))).toEqual([
      "aggregate-1 (default) | 1 | http://127.0.0.1:8711 | aggregate-1 ok ready version 1.4.2 d3v7f1e",
      "aggregate-2 | 2 | http://127.0.0.1:8712/ | No fleet instance at this URL; health unknown.",
      "aggregate-2 | 2 | http://127.0.0.1:9712 (reports this shard; not one of its endpoints) | aggregate-2 ok ready version 1.4.2 d3v7f1e",
    ]);

    const projection = screen.getByRole("region", { name: "Topology projection" });
    // The shard directory lists projection-2 with a trailing slash: still the same instance.
    expect(shardRows(within(projection).getByRole("table", { name: "Shards of projection" }))[1]).toBe(
      "projection-2 | 2 | http://127.0.0.1:8714/ | projection-2 ok ready version 1.4.2 d3v7f1e",
    );

    const runner = screen.getByRole("region", { name: "Topology runner" });
    expect(within(runner).getByText(/Stale: the runner map shown is the last known good, 30.0 s old/)).toBeInTheDocument();
    expect(shardRows(within(runner).getByRole("table", { name: "Shards of runner" }))).toEqual([
      "runner-1 (default) | 2 (2 by default) | http://127.0.0.1:8715 | runner-1 unreachable unreachable version unknown",
      "runner-2 | 1 | http://127.0.0.1:8716/ | runner-2 ok ready version 1.4.2 d3v7f1e",
    ]);
  });

  it("opens on the topology from the URL and names the right the shard view needs", async () => {
    installFakeApi({ whoami: whoami(VIEWER_RIGHTS, "viewer"), fleet: fleetOf(demoInstances) });
    signInForTest("viewer");
    renderApp("/fleet?view=topology");
    const byKind = await screen.findByRole("region", { name: "Services by kind" });
    expect(within(byKind).getByRole("heading", { name: "Gateway · 1 of 1 healthy" })).toBeInTheDocument();
    const shards = screen.getByRole("region", { name: "Gateway → shards" });
    expect(await within(shards).findByText("Requires the right control.placement.read.")).toBeInTheDocument();
  });
});
