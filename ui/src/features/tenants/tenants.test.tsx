import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { emptyTenant, installFakeApi } from "@/test/fake-api";
import { makeJob } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";

describe("Tenants", () => {
  it("lists tenants with their shards and searches by id", async () => {
    const fake = installFakeApi({
      tenants: [
        { tenant_id: "acme", placement: { aggregate: { shard: "agg-1", explicit: true }, runner: { shard: "run-0", explicit: false } }, state: "drained", state_job_id: "job-drain-acme", health: "degraded", lag: 1234 },
        { tenant_id: "beta", placement: {}, state: "serving", health: "ok" },
      ],
    });
    signInForTest();
    renderApp("/tenants");
    expect(await screen.findByRole("link", { name: "acme" })).toHaveAttribute("href", "/tenants/acme");
    expect(screen.getByText("agg-1")).toBeInTheDocument();
    expect(screen.getByText("(default)")).toBeInTheDocument();
    expect(screen.getByText(/2 tenants named in the placement maps\./)).toBeInTheDocument();
    const acme = screen.getByRole("row", { name: /acme/ });
    expect(within(acme).getByText("drained")).toBeInTheDocument();
    expect(within(acme).getByRole("link", { name: "drained" })).toHaveAttribute("href", "/jobs/job-drain-acme");
    expect(within(acme).getByText("degraded")).toBeInTheDocument();
    expect(within(acme).getByText((1234).toLocaleString())).toBeInTheDocument();
    const beta = screen.getByRole("row", { name: /beta/ });
    expect(within(beta).getByText("serving")).toBeInTheDocument();
    expect(within(beta).queryByRole("link", { name: "serving" })).toBeNull();
    expect(within(beta).getByTitle(/Not in the metrics store/)).toHaveTextContent("—");
    await userEvent.type(screen.getByLabelText("Tenant id"), "ac");
    await waitFor(() => expect(fake.requests.some((r) => new URL(r.url).searchParams.get("q") === "ac")).toBe(true));
  });

  it("shows a tenant's placement, endpoints and recent activity, and can make it the current tenant", async () => {
    installFakeApi({
      tenant: (id) => ({
        ...emptyTenant(id),
        known: true,
        placement: [
          {
            kind: "aggregate",
            shard: "agg-1",
            explicit: true,
            revision: "7",
            endpoints: [{ url: "http://127.0.0.1:9001", instance: "agg-1a", health: "ok", ready: "ready", lag: 3 }],
          },
        ],
        recent_jobs: [makeJob({ id: "job-of-acme", tenant_id: id })],
      }),
    });
    signInForTest();
    const { router } = renderApp("/tenants/acme");
    expect(await screen.findByRole("heading", { level: 1, name: "Tenant acme" })).toBeInTheDocument();
    expect(await screen.findByText("agg-1a")).toBeInTheDocument();
    expect(screen.getByText("lag 3")).toBeInTheDocument();
    expect(screen.getByText("job-of-acme")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Use as current tenant" }));
    await waitFor(() => expect(router.state.location.search).toContain("tenant=acme"));
    expect(await screen.findByRole("combobox", { name: /Current tenant/ })).toHaveValue("acme");
  });
});

describe("Tenant selector", () => {
  it("keeps ?tenant= in the URL and sends x-tenant-id on IAM calls", async () => {
    const fake = installFakeApi({ iam: { users: [{ id: "u1", name: "Ada", roles: ["admin"] }] } });
    signInForTest();
    const { router } = renderApp("/users?tenant=acme");
    expect(await screen.findByText("Ada")).toBeInTheDocument();
    const call = fake.requests.find((r) => r.url.endsWith("/iam/users"))!;
    expect(call.headers.get("x-tenant-id")).toBe("acme");
    await userEvent.click(screen.getByRole("link", { name: "Sessions" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/sessions"));
    expect(router.state.location.search).toContain("tenant=acme");
  });
});
