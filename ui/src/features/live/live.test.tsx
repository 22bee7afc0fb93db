import { QueryClient } from "@tanstack/react-query";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuditEvent, Job } from "@/api";
import { auditKeys } from "@/features/audit";
import { deploymentKeys, swarmKeys } from "@/features/deployments";
import { driftKeys } from "@/features/drift";
import { fleetKeys } from "@/features/fleet";
import { investigateKeys } from "@/features/investigate";
import { jobKeys } from "@/features/jobs";
import { placementKeys } from "@/features/placement";
import { tenantKeys } from "@/features/tenants";
import { LIVE_REFETCH_MS, liveStream, OFF_STREAM } from "@/lib";
import { installFakeApi } from "@/test/fake-api";
import { makeAuditEvent, makeJob } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";
import { coveredKeys, createInvalidator, keysForEvent } from "./invalidation";

afterEach(() => liveStream.set(OFF_STREAM));

describe("keysForEvent", () => {
  it("maps a job event to the jobs lists, the job's page, investigations, drift and the job's tenant", () => {
    expect(keysForEvent({ topic: "job", data: { id: "j1", kind: "tenant.drain", status: "running", tenant_id: "acme" } })).toEqual([
      jobKeys.lists(),
      jobKeys.detail("j1"),
      investigateKeys.all,
      driftKeys.all,
      tenantKeys.detail("acme"),
    ]);
    expect(keysForEvent({ topic: "job", data: { id: "j2", kind: "platform.verify", status: "pending", tenant_id: null } })).toEqual([
      jobKeys.lists(),
      jobKeys.detail("j2"),
      investigateKeys.all,
      driftKeys.all,
    ]);
  });

  it("maps audit, deployment, placement and fleet events to the pages that show them", () => {
    expect(keysForEvent({ topic: "audit", data: { id: "a", action: "x", outcome: "denied", job_id: null, tenant_id: "acme" } })).toEqual([
      auditKeys.lists(),
      investigateKeys.all,
      tenantKeys.detail("acme"),
    ]);
    expect(keysForEvent({ topic: "deployment", data: { id: "d1", service: "s", status: "completed", job_id: null } })).toEqual([
      deploymentKeys.lists(),
      deploymentKeys.detail("d1"),
      swarmKeys.all,
      driftKeys.all,
    ]);
    expect(keysForEvent({ topic: "placement", data: { generation: 3, revisions: {} } })).toEqual([placementKeys.all, tenantKeys.lists(), tenantKeys.details()]);
    expect(keysForEvent({ topic: "fleet", data: { taken_at: "", instances: 1, healthy: 1, ready: 1 } })).toEqual([fleetKeys.all, tenantKeys.details()]);
  });

  it("refetches every covered family on resync, but never a migration plan", () => {
    const keys = keysForEvent({ topic: "resync" });
    expect(keys).toEqual(coveredKeys());
    const client = new QueryClient();
    client.setQueryData(tenantKeys.migrationPlan("acme", "aggregate", "aggregate-2"), { plan_hash: "h" });
    client.setQueryData(tenantKeys.detail("acme"), { tenant_id: "acme" });
    const invalidator = createInvalidator(client);
    invalidator.add(keys);
    invalidator.flush();
    expect(client.getQueryState(tenantKeys.detail("acme"))!.isInvalidated).toBe(true);
    expect(client.getQueryState(tenantKeys.migrationPlan("acme", "aggregate", "aggregate-2"))!.isInvalidated).toBe(false);
  });
});

describe("createInvalidator", () => {
  it("turns a burst of events into one invalidation per query family", async () => {
    const client = new QueryClient();
    const invalidate = vi.spyOn(client, "invalidateQueries");
    const invalidator = createInvalidator(client, 20);
    for (let i = 0; i < 50; i += 1) {
      invalidator.add(keysForEvent({ topic: "audit", data: { id: `a${i}`, action: "authz.deny", outcome: "denied", job_id: null, tenant_id: null } }));
    }
    expect(invalidate).not.toHaveBeenCalled();
    await waitFor(() => expect(invalidate).toHaveBeenCalledTimes(2));
    expect(invalidate.mock.calls.map(([filters]) => filters!.queryKey)).toEqual([auditKeys.lists(), investigateKeys.all]);
    invalidator.dispose();
  });
});

describe("live updates in the app", () => {
  it("shows a job another client created without polling, and says the stream is live", async () => {
    const jobs: Job[] = [makeJob({ id: "job-first", reason: "first" })];
    const fake = installFakeApi({ events: "open", jobPage: () => ({ items: [...jobs], next_cursor: null, stale: false, stale_for_s: null }) });
    signInForTest();
    const { client } = renderApp("/jobs");
    const table = await screen.findByRole("table", { name: "Jobs" });
    expect(within(table).getByText("first")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("live-status")).toHaveAttribute("data-state", "live"));
    expect(screen.getByRole("status", { name: /Live updates: connected/ })).toBeInTheDocument();

    // Live: the list does not poll.
    const listQuery = client.getQueryCache().findAll({ queryKey: jobKeys.lists() })[0]!;
    const interval = (listQuery.options as { refetchInterval: (q: typeof listQuery) => number | false }).refetchInterval;
    expect(interval(listQuery)).toBe(false);

    const before = fake.requests.filter((r) => new URL(r.url).pathname === "/admin/v1/jobs").length;
    jobs.unshift(makeJob({ id: "job-second", reason: "made elsewhere", status: "pending", finished_at: null }));
    act(() => fake.emit("job", { id: "job-second", kind: "platform.verify", status: "pending", tenant_id: null }));
    expect(await within(table).findByText("made elsewhere")).toBeInTheDocument();
    expect(fake.requests.filter((r) => new URL(r.url).pathname === "/admin/v1/jobs").length).toBe(before + 1);
  });

  it("refreshes a job page's own audit table when the job's audit events arrive", async () => {
    const job = makeJob({ id: "job-live", status: "running", finished_at: null });
    const events: AuditEvent[] = [];
    const fake = installFakeApi({
      events: "open",
      jobs: [job],
      routes: [["GET", /^\/admin\/v1\/audit$/, () => ({ body: { items: [...events], next_cursor: null } })]],
    });
    signInForTest();
    renderApp("/jobs/job-live");
    const audit = await screen.findByRole("table", { name: "Audit events" });
    expect(within(audit).getByText("No audit events match.")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("live-status")).toHaveAttribute("data-state", "live"));
    events.push(makeAuditEvent({ action: "job.finished", job_id: "job-live", correlation_id: job.correlation_id }));
    act(() => fake.emit("audit", { id: events[0]!.id, action: "job.finished", outcome: "succeeded", job_id: "job-live", tenant_id: null }));
    expect(await within(audit).findByText("job.finished")).toBeInTheDocument();
  });

  it("falls back to polling while the stream is down, and says so", async () => {
    const fake = installFakeApi({ events: "down", jobs: [makeJob()] });
    signInForTest();
    const { client } = renderApp("/jobs");
    await screen.findByRole("table", { name: "Jobs" });
    await waitFor(() => expect(screen.getByTestId("live-status")).toHaveAttribute("data-state", "retrying"));
    expect(screen.getByTestId("live-status")).toHaveTextContent(`Polling every ${LIVE_REFETCH_MS / 1000} s`);
    expect(screen.getByRole("status", { name: /Live updates are down \(HTTP 503/ })).toBeInTheDocument();
    const attempts = () => fake.requests.filter((r) => new URL(r.url).pathname === "/admin/v1/events").length;
    const before = attempts();
    await userEvent.click(screen.getByRole("button", { name: "Reconnect" }));
    await waitFor(() => expect(attempts()).toBeGreaterThan(before));
    const listQuery = client.getQueryCache().findAll({ queryKey: jobKeys.lists() })[0]!;
    const interval = (listQuery.options as { refetchInterval: (q: typeof listQuery) => number | false }).refetchInterval;
    expect(interval(listQuery)).toBe(LIVE_REFETCH_MS);
  });

  it("refetches what is on screen the moment the stream drops", async () => {
    const fake = installFakeApi({ events: "open", jobs: [makeJob()] });
    signInForTest();
    renderApp("/jobs");
    await screen.findByRole("table", { name: "Jobs" });
    await waitFor(() => expect(screen.getByTestId("live-status")).toHaveAttribute("data-state", "live"));
    const lists = () => fake.requests.filter((r) => new URL(r.url).pathname === "/admin/v1/jobs").length;
    const before = lists();
    act(() => fake.endStreams());
    await waitFor(() => expect(lists()).toBe(before + 1));
    // It reconnects by itself (the fake accepts again) and is live once more.
    await waitFor(() => expect(screen.getByTestId("live-status")).toHaveAttribute("data-state", "live"), { timeout: 5000 });
  });

  it("opens one stream for the signed-in shell and closes it on sign-out", async () => {
    const fake = installFakeApi({ events: "open" });
    signInForTest();
    const view = renderApp("/");
    await waitFor(() => expect(fake.openStreams()).toBe(1));
    const stream = fake.requests.find((r) => new URL(r.url).pathname === "/admin/v1/events")!;
    expect(stream.headers.get("authorization")).toBe("Bearer token-admin");
    view.unmount();
    await waitFor(() => expect(fake.openStreams()).toBe(0));
    expect(liveStream.get().status).toBe("off");
  });
});
