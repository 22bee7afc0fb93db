import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Job, MigrationPlan, PreflightCheck, TenantDetail } from "@/api";
import { emptyTenant, installFakeApi, problem, type FakeReply } from "@/test/fake-api";
import { makeJob, makeStep, VIEWER_RIGHTS, whoami } from "@/test/fixtures";
import { demoPlacement } from "@/test/ops-fixtures";
import { renderApp, signInForTest } from "@/test/render";

const MIGRATE_PATH = /^\/admin\/v1\/tenants\/acme\/migrate$/;
const PLAN_PATH = /^\/admin\/v1\/plans\/tenants\/acme\/migrate$/;

function check(name: string, overrides: Partial<PreflightCheck> = {}): PreflightCheck {
  return { check: name, ok: true, value: 0, threshold: 100, detail: `${name} holds`, ...overrides };
}

function makePlan(overrides: Partial<MigrationPlan> = {}): MigrationPlan {
  const checks = overrides.preflight?.checks ?? [check("placement_revision", { value: "4", threshold: "4" }), check("source_lag", { value: 3 })];
  return {
    tenant_id: "acme",
    kind: "aggregate",
    source_shard: "aggregate-2",
    source_explicit: true,
    target_shard: "aggregate-1",
    placement_revision: "4",
    thresholds: { max_lag: 100, max_inflight: 10 },
    steps: [
      { name: "preflight", description: "Check the invariants again" },
      { name: "drain_source", description: "Drain the tenant on aggregate-2" },
      { name: "update_placement", description: "Move acme to aggregate-1" },
    ],
    compensation_steps: [{ name: "compensate:restore_placement", description: "Put acme back on aggregate-2" }],
    plan_hash: "hash-1",
    ok: checks.every((c) => c.ok),
    ...overrides,
    preflight: { ok: checks.every((c) => c.ok), checks },
  };
}

function acme(id: string): TenantDetail {
  return {
    ...emptyTenant(id),
    known: true,
    placement: [{ kind: "aggregate", shard: "aggregate-2", explicit: true, revision: "4", endpoints: [] }],
  };
}

interface Setup {
  plans?: () => MigrationPlan;
  migrate?: () => FakeReply;
  jobs?: Job[];
  rights?: string[];
}

function setup({ plans = () => makePlan(), migrate, jobs = [], rights }: Setup) {
  return installFakeApi({
    tenant: acme,
    placement: demoPlacement,
    jobs,
    ...(rights ? { whoami: whoami(rights, "viewer") } : {}),
    routes: [
      ["POST", PLAN_PATH, () => ({ body: plans() })],
      ["POST", MIGRATE_PATH, () => migrate?.() ?? problem(500)],
    ],
  });
}

async function openMigrate() {
  signInForTest();
  const view = renderApp("/tenants/acme");
  const button = await screen.findByRole("button", { name: "Migrate aggregate" }, { timeout: 5000 });
  await waitFor(() => expect(button).not.toHaveAttribute("aria-disabled"));
  await userEvent.click(button);
  const dialog = screen.getByRole("dialog", { name: "Migrate acme (aggregate)" });
  await within(dialog).findByRole("table", { name: "Preflight checks" });
  return { ...view, dialog };
}

async function confirmAndSubmit(dialog: HTMLElement) {
  await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "rebalance");
  await userEvent.type(within(dialog).getByLabelText("Type the tenant id (acme) to confirm"), "acme");
  await userEvent.click(within(dialog).getByRole("button", { name: "Start migration" }));
}

const posts = (fake: ReturnType<typeof installFakeApi>) =>
  fake.requests.filter((r) => r.method === "POST" && MIGRATE_PATH.test(new URL(r.url).pathname));

describe("Migrate modal", () => {
  it("plans on opening and shows source → target, the steps, the undo steps and every preflight check", async () => {
    const fake = setup({});
    const { dialog } = await openMigrate();
    const planPost = fake.requests.find((r) => r.method === "POST" && PLAN_PATH.test(new URL(r.url).pathname));
    expect(await planPost!.clone().json()).toEqual({ kind: "aggregate", target_shard: "aggregate-1" });
    expect(within(dialog).getByLabelText("Target shard")).toHaveValue("aggregate-1");
    expect(within(dialog).getByTestId("plan-move")).toHaveTextContent("aggregate-2 → aggregate-1");
    const steps = within(within(dialog).getByRole("list", { name: "Plan steps" })).getAllByRole("listitem");
    expect(steps.map((s) => s.textContent)).toEqual([
      "preflight: Check the invariants again",
      "drain_source: Drain the tenant on aggregate-2",
      "update_placement: Move acme to aggregate-1",
    ]);
    expect(within(dialog).getByRole("list", { name: "Compensation steps" })).toHaveTextContent("compensate:restore_placement");
    expect(within(dialog).getByText("Preflight: all checks pass")).toBeInTheDocument();
    expect(within(dialog).getByRole("checkbox", { name: /Dangerous: stop without compensation/ })).not.toBeChecked();
  });

  it("shows a failing preflight check in words with measured vs threshold, and cannot be submitted", async () => {
    setup({
      plans: () =>
        makePlan({
          preflight: {
            ok: false,
            checks: [check("target_healthy"), check("source_lag", { ok: false, value: 250, threshold: 100, detail: "lag 250 > 100" })],
          },
        }),
    });
    const { dialog } = await openMigrate();
    expect(within(dialog).getByText("Preflight: 1 of 2 checks fail")).toBeInTheDocument();
    const rows = within(within(dialog).getByRole("table", { name: "Preflight checks" })).getAllByRole("row");
    const lag = rows.find((row) => row.textContent?.includes("source_lag"))!;
    expect(within(lag).getByText("failed")).toBeInTheDocument();
    expect(lag).toHaveTextContent("250");
    expect(lag).toHaveTextContent("100");
    expect(lag).toHaveTextContent("lag 250 > 100");
    const healthy = rows.find((row) => row.textContent?.includes("target_healthy"))!;
    expect(within(healthy).getByText("ok")).toBeInTheDocument();
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "rebalance");
    await userEvent.type(within(dialog).getByLabelText("Type the tenant id (acme) to confirm"), "acme");
    expect(within(dialog).getByRole("button", { name: "Start migration" })).toBeDisabled();
    expect(within(dialog).getByText(/would be refused now/)).toBeInTheDocument();
  });

  it("enables submit only for the exact tenant id, sends the plan hash, retries with the same key and opens the job", async () => {
    const created = makeJob({ id: "job-migrate-1", kind: "tenant.migrate", tenant_id: "acme", status: "running", finished_at: null, steps: [] });
    let attempts = 0;
    const fake = setup({
      jobs: [created],
      migrate: () => {
        attempts += 1;
        return attempts === 1 ? problem(503, { title: "Unavailable", code: "upstream_unavailable" }) : { status: 202, body: created };
      },
    });
    const { dialog, router } = await openMigrate();
    const submit = within(dialog).getByRole("button", { name: "Start migration" });
    const confirm = within(dialog).getByLabelText("Type the tenant id (acme) to confirm");
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "rebalance");
    expect(submit).toBeDisabled();
    await userEvent.type(confirm, "acm");
    expect(submit).toBeDisabled();
    await userEvent.type(confirm, "E");
    expect(submit).toBeDisabled();
    await userEvent.clear(confirm);
    await userEvent.type(confirm, " acme");
    expect(submit).toBeDisabled();
    await userEvent.clear(confirm);
    await userEvent.type(confirm, "acme");
    expect(submit).toBeEnabled();
    await userEvent.click(submit);
    expect(await within(dialog).findByText("The migration could not be started")).toBeInTheDocument();

    await userEvent.click(within(dialog).getByRole("button", { name: "Retry migration" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-migrate-1"));
    const sent = posts(fake);
    expect(sent).toHaveLength(2);
    const key = sent[0]!.headers.get("idempotency-key");
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[1]!.headers.get("idempotency-key")).toBe(key);
    expect(await sent[1]!.clone().json()).toEqual({
      reason: "rebalance",
      kind: "aggregate",
      target_shard: "aggregate-1",
      plan_hash: "hash-1",
      compensate: true,
    });
  });

  it("a 422 preflight_refused lists every failed invariant (and the dangerous option sends compensate false)", async () => {
    const fake = setup({
      migrate: () =>
        problem(422, {
          code: "preflight_refused",
          title: "Preflight refused",
          failures: [
            { name: "source_inflight", ok: false, value: 12, threshold: 10, message: "inflight 12 > 10" },
            { name: "target_ready", ok: false, value: false, threshold: true, message: "aggregate-1 is not ready" },
          ],
        }),
    });
    const { dialog } = await openMigrate();
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /Dangerous: stop without compensation/ }));
    await confirmAndSubmit(dialog);
    const list = await within(dialog).findByRole("list", { name: "Failed checks" });
    const items = within(list).getAllByRole("listitem");
    expect(items.map((item) => item.textContent)).toEqual([
      "source_inflight: measured 12, threshold 10. inflight 12 > 10",
      "target_ready: measured false, threshold true. aggregate-1 is not ready",
    ]);
    expect(within(dialog).getByText(/Refused: the preflight fails/)).toBeInTheDocument();
    expect((await posts(fake)[0]!.clone().json()).compensate).toBe(false);
  });

  it("a 409 lock_held links to the job that holds the lock and stays on the dialog", async () => {
    setup({ migrate: () => problem(409, { code: "lock_held", title: "Lock held", job_id: "job-holder-7" }) });
    const { dialog, router } = await openMigrate();
    await confirmAndSubmit(dialog);
    const link = await within(dialog).findByRole("link", { name: "job-holder-7" });
    expect(link).toHaveAttribute("href", "/jobs/job-holder-7");
    expect(within(dialog).getByText(/another job holds the lock on this tenant/)).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/tenants/acme");
  });

  it("a 409 plan_stale offers Re-plan, which plans again and submits the new hash with a new key", async () => {
    let planned = 0;
    let attempts = 0;
    const fake = setup({
      plans: () => {
        planned += 1;
        return makePlan({ plan_hash: `hash-${planned}`, placement_revision: String(3 + planned) });
      },
      migrate: () => {
        attempts += 1;
        return attempts === 1 ? problem(409, { code: "plan_stale", title: "Plan stale" }) : problem(409, { code: "lock_held", title: "Lock held", job_id: "job-x" });
      },
    });
    const { dialog } = await openMigrate();
    await confirmAndSubmit(dialog);
    expect(await within(dialog).findByText(/The plan is stale — re-plan/)).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole("button", { name: "Re-plan" }));
    await waitFor(() => expect(within(dialog).getByText("5")).toBeInTheDocument());
    expect(within(dialog).queryByText(/The plan is stale/)).not.toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole("button", { name: "Start migration" }));
    await within(dialog).findByRole("link", { name: "job-x" });
    const sent = posts(fake);
    expect(sent).toHaveLength(2);
    expect((await sent[0]!.clone().json()).plan_hash).toBe("hash-1");
    expect((await sent[1]!.clone().json()).plan_hash).toBe("hash-2");
    expect(sent[1]!.headers.get("idempotency-key")).not.toBe(sent[0]!.headers.get("idempotency-key"));
  });
});

describe("Drain and resume", () => {
  it("requires a reason, sends only the chosen kinds with an Idempotency-Key and opens the job", async () => {
    const created = makeJob({ id: "job-drain-1", kind: "tenant.drain", tenant_id: "acme", status: "running", finished_at: null });
    const fake = installFakeApi({
      tenant: acme,
      placement: demoPlacement,
      jobs: [created],
      routes: [["POST", /^\/admin\/v1\/tenants\/acme\/drain$/, () => ({ status: 202, body: created })]],
    });
    signInForTest();
    const { router } = renderApp("/tenants/acme");
    const drain = await screen.findByRole("button", { name: "Drain" });
    await waitFor(() => expect(drain).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(drain);
    const dialog = screen.getByRole("dialog", { name: "Drain acme" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Drain all kinds" }));
    expect(within(dialog).getByText(/A reason is required/)).toBeInTheDocument();
    expect(fake.requests.filter((r) => r.method === "POST")).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole("checkbox", { name: "projection" }));
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "maintenance");
    await userEvent.click(within(dialog).getByRole("button", { name: "Drain aggregate, runner" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-drain-1"));
    const post = fake.requests.find((r) => r.method === "POST")!;
    expect(post.headers.get("idempotency-key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await post.clone().json()).toEqual({ reason: "maintenance", kinds: ["aggregate", "runner"] });
  });

  it("a refused drain lists every failed invariant and stays on the dialog", async () => {
    installFakeApi({
      tenant: acme,
      placement: demoPlacement,
      routes: [
        [
          "POST",
          /^\/admin\/v1\/tenants\/acme\/drain$/,
          () =>
            problem(422, {
              code: "preflight_refused",
              title: "Preflight refused",
              failures: [
                { name: "aggregate_reachable", ok: false, value: "1/2", threshold: "2/2", message: "aggregate-2b did not answer" },
                { name: "runner_reachable", ok: false, value: "0/1", threshold: "1/1", message: "runner-1 did not answer" },
              ],
            }),
        ],
      ],
    });
    signInForTest();
    const { router } = renderApp("/tenants/acme");
    const drain = await screen.findByRole("button", { name: "Drain" }, { timeout: 5000 });
    await waitFor(() => expect(drain).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(drain);
    const dialog = screen.getByRole("dialog", { name: "Drain acme" });
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "maintenance");
    await userEvent.click(within(dialog).getByRole("button", { name: "Drain all kinds" }));
    const items = within(await within(dialog).findByRole("list", { name: "Failed checks" })).getAllByRole("listitem");
    expect(items.map((item) => item.textContent)).toEqual([
      "aggregate_reachable: measured 1/2, threshold 2/2. aggregate-2b did not answer",
      "runner_reachable: measured 0/1, threshold 1/1. runner-1 did not answer",
    ]);
    expect(router.state.location.pathname).toBe("/tenants/acme");
  });

  it("resume of all kinds omits kinds", async () => {
    const created = makeJob({ id: "job-resume-1", kind: "tenant.resume", tenant_id: "acme" });
    const fake = installFakeApi({
      tenant: acme,
      placement: demoPlacement,
      jobs: [created],
      routes: [["POST", /^\/admin\/v1\/tenants\/acme\/resume$/, () => ({ status: 202, body: created })]],
    });
    signInForTest();
    const { router } = renderApp("/tenants/acme");
    const resume = await screen.findByRole("button", { name: "Resume" });
    await waitFor(() => expect(resume).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(resume);
    const dialog = screen.getByRole("dialog", { name: "Resume acme" });
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "done");
    await userEvent.click(within(dialog).getByRole("button", { name: "Resume all kinds" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-resume-1"));
    expect(await fake.requests.find((r) => r.method === "POST")!.clone().json()).toEqual({ reason: "done" });
  });

  it("Drain, Resume and Migrate are disabled for a viewer, naming the missing right", async () => {
    setup({ rights: [...VIEWER_RIGHTS, "control.tenants.read", "control.placement.read"] });
    signInForTest("viewer");
    renderApp("/tenants/acme");
    const migrate = await screen.findByRole("button", { name: "Migrate aggregate" });
    for (const button of [migrate, screen.getByRole("button", { name: "Drain" }), screen.getByRole("button", { name: "Resume" })]) {
      await waitFor(() => expect(button).toHaveAttribute("aria-disabled", "true"));
      expect(button).toHaveAccessibleDescription("Requires the right control.tenants.operate");
    }
    await userEvent.click(migrate);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});

describe("Job view of an operation", () => {
  it("shows the compensation outcome, the undo steps and the remediation, and links to the tenant's audit", async () => {
    const failed = makeJob({
      id: "job-migrate-failed",
      kind: "tenant.migrate",
      tenant_id: "acme",
      status: "failed",
      error: { code: "verify_timeout", message: "Gateway still routes to aggregate-2", retryable: false },
      compensation: { outcome: "failed", error: null },
      remediation: "Nothing changed in the end: acme is back on aggregate-2 and resumed there.",
      steps: [
        makeStep({ name: "update_placement" }),
        makeStep({ name: "verify_routing", status: "failed", attempts: 3, error: { code: "verify_timeout", message: "still aggregate-2", retryable: true } }),
        makeStep({ name: "compensate:restore_placement", output: { restored: "aggregate-2" } }),
        makeStep({ name: "compensate:resume_source" }),
      ],
    });
    installFakeApi({ jobs: [failed] });
    signInForTest();
    renderApp("/jobs/job-migrate-failed");
    const compensation = await screen.findByRole("region", { name: "Compensation" });
    expect(compensation).toHaveTextContent("The job is undoing its changes because it failed.");
    expect(compensation).toHaveTextContent("Every undo step completed.");
    const undo = within(compensation).getByRole("list", { name: "Compensation steps" });
    expect(within(undo).getAllByRole("listitem").map((li) => li.querySelector(".font-mono")?.textContent)).toEqual([
      "compensate:restore_placement",
      "compensate:resume_source",
    ]);
    const main = screen.getByRole("region", { name: "Steps" });
    expect(within(main).queryByText("compensate:restore_placement")).not.toBeInTheDocument();
    expect(within(main).getByText("3 attempts", { exact: false })).toBeInTheDocument();
    expect(screen.getByRole("note", { name: "Remediation" })).toHaveTextContent("acme is back on aggregate-2");
    expect(screen.getByRole("link", { name: "Audit events of tenant acme" })).toHaveAttribute("href", "/audit?tenant_id=acme");
    expect(screen.getByRole("link", { name: "acme" })).toHaveAttribute("href", "/tenants/acme");
    expect(screen.queryByRole("button", { name: "Cancel job" })).not.toBeInTheDocument();
  });

  it("a running migration offers Cancel, explaining that it will be undone", async () => {
    const running = makeJob({ id: "job-migrating", kind: "tenant.migrate", tenant_id: "acme", status: "running", finished_at: null });
    const fake = installFakeApi({
      jobs: [running],
      routes: [["POST", /^\/admin\/v1\/jobs\/job-migrating\/cancel$/, () => ({ status: 202, body: { ...running, status: "cancelling" } })]],
    });
    signInForTest();
    renderApp("/jobs/job-migrating");
    const button = await screen.findByRole("button", { name: "Cancel job" });
    await waitFor(() => expect(button).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(button);
    const dialog = screen.getByRole("dialog", { name: "Cancel job" });
    expect(dialog).toHaveTextContent(/undoes what it changed/);
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel job" }));
    await waitFor(() => expect(fake.requests.some((r) => r.method === "POST" && r.url.endsWith("/job-migrating/cancel"))).toBe(true));
  });
});
