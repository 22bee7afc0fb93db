import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFakeApi, type FakeReply } from "@/test/fake-api";
import { makeJob, VIEWER_RIGHTS, whoami } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";
import { driftKeys, driftQueries, DRIFT_REFETCH_MS } from "./queries";
import type { DriftItem, DriftReport } from "./types";

type Route = [string, RegExp, (r: Request) => FakeReply | Promise<FakeReply>];

const NOW = "2026-12-06T12:00:00Z";

// Items shaped like the demo's seeded drift (api/devfleet world.seed_drift).
function item(overrides: Partial<DriftItem> & Pick<DriftItem, "id" | "category" | "service" | "field">): DriftItem {
  return {
    severity: "warning",
    stack: "platform",
    instance: null,
    desired: null,
    observed: null,
    detail: `${overrides.service} differs`,
    first_seen: "2026-12-06T11:00:00Z",
    last_seen: NOW,
    acknowledged: null,
    remedies: [],
    ...overrides,
  };
}

const missing = item({
  id: "dr_00000000000000000001",
  category: "missing",
  severity: "critical",
  service: "platform_runner-3",
  field: "service",
  desired: "cloudlysis/runner:0.7.3",
  detail: "platform_runner-3 is in stack platform but does not run",
  remedies: [
    { kind: "reapply", label: "Create it from the stack file", job_kind: "drift.reapply", params: { service: "platform_runner-3", field: "service", confirm: "platform_runner-3" }, danger: false },
    { kind: "adopt", label: "Adopt what runs as desired", job_kind: "drift.adopt", params: { service: "platform_runner-3", field: "service", observed: null }, danger: false },
  ],
});
const extra = item({
  id: "dr_00000000000000000002",
  category: "extra",
  service: "platform_legacy-exporter",
  field: "service",
  observed: "cloudlysis/legacy-exporter:0.1.0",
  detail: "platform_legacy-exporter runs in stack platform but its stack file does not have it",
  remedies: [
    { kind: "reapply", label: "Remove platform_legacy-exporter", job_kind: "drift.reapply", params: { service: "platform_legacy-exporter", field: "service", confirm: "platform_legacy-exporter" }, danger: true },
    { kind: "adopt", label: "Adopt what runs as desired", job_kind: "drift.adopt", params: { service: "platform_legacy-exporter", field: "service", observed: "cloudlysis/legacy-exporter:0.1.0" }, danger: false },
  ],
});
const version = item({
  id: "dr_00000000000000000003",
  category: "version",
  service: "platform_projection-1",
  field: "image",
  desired: "cloudlysis/projection:1.9.1",
  observed: "cloudlysis/projection:1.9.0",
  detail: "platform_projection-1 runs cloudlysis/projection:1.9.0; desired (stack) is cloudlysis/projection:1.9.1",
  remedies: [
    { kind: "reapply", label: "Deploy cloudlysis/projection:1.9.1", job_kind: "service.deploy", params: { service: "platform_projection-1", image: "cloudlysis/projection:1.9.1", confirm: "platform_projection-1" }, endpoint: "POST /admin/v1/swarm/services/{name}/deploy", danger: false },
    { kind: "adopt", label: "Adopt what runs as desired", job_kind: "drift.adopt", params: { service: "platform_projection-1", field: "image", observed: "cloudlysis/projection:1.9.0" }, danger: false },
  ],
});
const config = item({
  id: "dr_00000000000000000004",
  category: "config",
  severity: "critical",
  service: "platform_runner-1",
  instance: "runner-1",
  field: "revision:routing/gateway",
  desired: "13",
  observed: "12",
  detail: "runner-1 serves routing/gateway revision 12; the registry holds 13",
  acknowledged: { by: "alice", reason: "known, fixed tomorrow", at: "2026-12-06T11:30:00Z", expires_at: "2026-12-07T11:30:00Z", job_id: "job-ack-1" },
  remedies: [
    { kind: "reapply", label: "Reload runner-1", job_kind: "config.reload", params: { services: ["runner-1"] }, endpoint: "POST /admin/v1/config/reload", danger: false },
    { kind: "adopt", label: "Plan a rollback of routing/gateway to revision 12", job_kind: "config.rollback", params: { domain: "routing", name: "gateway", scope: "platform", target_revision: "12" }, danger: false },
  ],
});

function report(items: DriftItem[] = [missing, extra, version, config], overrides: Partial<DriftReport> = {}): DriftReport {
  const open = items.filter((i) => !i.acknowledged);
  const count = (key: "category" | "severity") =>
    open.reduce<Record<string, number>>((acc, i) => ({ ...acc, [i[key]]: (acc[i[key]] ?? 0) + 1 }), {});
  return {
    observed_at: NOW,
    source: "engine",
    stale: false,
    desired_source: "/srv/stacks",
    stacks: ["platform"],
    desired_errors: [],
    summary: { total: open.length, by_category: count("category"), by_severity: count("severity"), acknowledged: items.length - open.length },
    items,
    ...overrides,
  };
}

function driftRoute(reply: () => DriftReport): Route {
  return ["GET", /^\/admin\/v1\/platform\/drift$/, () => ({ body: reply() })];
}

const jobPosts = (fake: { requests: Request[] }) =>
  fake.requests.filter((r) => r.method === "POST" && !new URL(r.url).pathname.endsWith("/plan"));

async function enabled(name: string, container: HTMLElement = document.body) {
  const button = await within(container).findByRole("button", { name });
  await waitFor(() => expect(button).not.toHaveAttribute("aria-disabled"));
  return button;
}

function rowOf(service: string): HTMLElement {
  const table = screen.getByRole("table", { name: "Drift items" });
  return within(table)
    .getAllByRole("row")
    .find((r) => within(r).queryByRole("button", { name: service }))!;
}

describe("Drift page", () => {
  it("counts open items per category as chips that filter the list; severity and acknowledged filters too", async () => {
    installFakeApi({ routes: [driftRoute(() => report())] });
    signInForTest();
    const { router } = renderApp("/drift");
    const table = await screen.findByRole("table", { name: "Drift items" });
    expect(within(table).getAllByRole("row")).toHaveLength(5); // header + 4 items
    const chips = screen.getByRole("group", { name: "Categories" });
    expect(within(chips).getByRole("button", { name: "All 3" })).toHaveAttribute("aria-pressed", "true");
    expect(within(chips).getByRole("button", { name: "missing 1" })).toBeInTheDocument();
    expect(within(chips).getByRole("button", { name: "config 0" })).toBeInTheDocument(); // the only config item is acknowledged

    await userEvent.click(within(chips).getByRole("button", { name: "version 1" }));
    await waitFor(() => expect(router.state.location.search).toContain("category=version"));
    expect(within(chips).getByRole("button", { name: "version 1" })).toHaveAttribute("aria-pressed", "true");
    expect(within(table).getAllByRole("row")).toHaveLength(2);
    expect(rowOf("platform_projection-1")).toHaveTextContent("cloudlysis/projection:1.9.0; desired (stack) is cloudlysis/projection:1.9.1");

    await userEvent.click(within(chips).getByRole("button", { name: "All 3" }));
    await userEvent.click(within(screen.getByRole("group", { name: "Severities" })).getByRole("button", { name: "critical 1" }));
    expect(within(table).getAllByRole("row").slice(1).map((r) => r.getAttribute("data-category"))).toEqual(["missing", "config"]);
    expect(within(rowOf("platform_runner-1")).getByText("acknowledged")).toBeInTheDocument();
    expect(rowOf("platform_runner-1")).toHaveTextContent("runner-1");

    await userEvent.click(screen.getByLabelText(/Show acknowledged/));
    await waitFor(() => expect(router.state.location.search).toContain("ack=hide"));
    expect(within(table).getAllByRole("row").slice(1).map((r) => r.getAttribute("data-category"))).toEqual(["missing"]);
  });

  it("says when the observation is stale, where the desired state comes from and what could not be read", async () => {
    installFakeApi({ routes: [driftRoute(() => report([version], { stale: true, desired_errors: ["stacks/broken.yml: not valid YAML"] }))] });
    signInForTest();
    renderApp("/drift");
    expect(await screen.findByText(/Stale: the Swarm could not be observed just now/)).toBeInTheDocument();
    const source = screen.getByRole("region", { name: "Desired state" });
    expect(source).toHaveTextContent("/srv/stacks");
    expect(source).toHaveTextContent("stacks platform");
    expect(within(source).getByRole("list", { name: "Desired state errors" })).toHaveTextContent("stacks/broken.yml: not valid YAML");
  });

  it("shows the empty state when nothing drifts", async () => {
    installFakeApi({ routes: [driftRoute(() => report([]))] });
    signInForTest();
    renderApp("/drift");
    expect(await screen.findByText("No drift")).toBeInTheDocument();
    expect(screen.queryByRole("table", { name: "Drift items" })).not.toBeInTheDocument();
  });

  it("selecting an item shows desired vs observed side by side, since when, and its remedies", async () => {
    installFakeApi({ routes: [driftRoute(() => report())] });
    signInForTest();
    const { router } = renderApp("/drift");
    await screen.findByRole("table", { name: "Drift items" });
    expect(screen.queryByRole("region", { name: "Desired vs observed" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "platform_projection-1" }));
    await waitFor(() => expect(router.state.location.search).toContain(`item=${version.id}`));
    const diff = screen.getByRole("region", { name: "Desired vs observed" });
    const [desired, observed] = within(diff).getAllByRole("heading").map((h) => h.parentElement!);
    expect(desired).toHaveTextContent("Desiredcloudlysis/projection:1.9.1");
    expect(observed).toHaveTextContent("Observedcloudlysis/projection:1.9.0");
    const remedies = screen.getByRole("group", { name: "Remedies" });
    expect(within(remedies).getAllByRole("button").map((b) => b.textContent)).toEqual([
      "Deploy cloudlysis/projection:1.9.1",
      "Adopt what runs as desired",
      "Acknowledge",
    ]);
    expect(screen.getByRole("region", { name: "Drift item" })).toHaveTextContent("First seen");

    // An acknowledged item says who and why, and offers no second acknowledgement.
    await userEvent.click(screen.getByRole("button", { name: "platform_runner-1" }));
    expect(screen.getByRole("note")).toHaveTextContent("Acknowledged by alice");
    expect(screen.getByRole("note")).toHaveTextContent("known, fixed tomorrow");
    expect(within(screen.getByRole("group", { name: "Remedies" })).queryByRole("button", { name: "Acknowledge" })).not.toBeInTheDocument();
    // The config rollback needs a plan: it links to the config's page, which proposes the revision.
    expect(screen.getByRole("link", { name: /Plan a rollback of routing\/gateway to revision 12/ })).toHaveAttribute(
      "href",
      "/config/routing/gateway?rollback=12",
    );
  });

  it("the version item's re-apply opens the guarded deploy flow prefilled with the desired image", async () => {
    const created = makeJob({ id: "job-deploy-9", kind: "service.deploy", status: "running", finished_at: null, steps: [] });
    const plans: unknown[] = [];
    const fake = installFakeApi({
      jobs: [created],
      routes: [
        driftRoute(() => report()),
        [
          "POST",
          /^\/admin\/v1\/swarm\/services\/platform_projection-1\/deploy\/plan$/,
          async (request) => {
            plans.push(await request.clone().json());
            return {
              body: {
                service: "platform_projection-1",
                spec_version: 7,
                from_image: "cloudlysis/projection:1.9.0",
                to_image: "cloudlysis/projection:1.9.1",
                changes_available: true,
                changes: [{ path: "image", change: "changed", before: "cloudlysis/projection:1.9.0", after: "cloudlysis/projection:1.9.1" }],
                failures: [],
              },
            };
          },
        ],
        ["POST", /^\/admin\/v1\/swarm\/services\/platform_projection-1\/deploy$/, () => ({ status: 202, body: created })],
      ],
    });
    signInForTest();
    const { router } = renderApp(`/drift?item=${version.id}`);
    await userEvent.click(await enabled("Deploy cloudlysis/projection:1.9.1"));
    const dialog = screen.getByRole("dialog", { name: "Deploy cloudlysis/projection:1.9.1 on platform_projection-1" });
    expect(within(dialog).getByLabelText("Or a full image reference")).toHaveValue("cloudlysis/projection:1.9.1");
    expect(within(dialog).getByLabelText("New tag")).toHaveValue("");
    const section = within(dialog).getByRole("region", { name: "What will change" });
    await waitFor(() => expect(section).toHaveTextContent("cloudlysis/projection:1.9.0 → cloudlysis/projection:1.9.1"));
    expect(plans).toEqual([{ image: "cloudlysis/projection:1.9.1" }]);

    const submit = within(dialog).getByRole("button", { name: "Deploy" });
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "re-apply the stack's version");
    expect(submit).toBeDisabled(); // the service name is not typed yet
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), "platform_projection-1");
    await userEvent.click(submit);
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-deploy-9"));
    const post = jobPosts(fake)[0]!;
    expect(post.headers.get("idempotency-key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await post.clone().json()).toEqual({ reason: "re-apply the stack's version", confirm: "platform_projection-1", image: "cloudlysis/projection:1.9.1" });
  });

  it("removing an orphan asks for the service name typed again, then starts drift.reapply", async () => {
    const created = makeJob({ id: "job-reapply-1", kind: "drift.reapply", status: "running", finished_at: null, steps: [] });
    const fake = installFakeApi({
      jobs: [created],
      routes: [driftRoute(() => report()), ["POST", /^\/admin\/v1\/platform\/drift\/[^/]+\/reapply$/, () => ({ status: 202, body: created })]],
    });
    signInForTest();
    const { router } = renderApp(`/drift?item=${extra.id}`);
    await userEvent.click(await enabled("Remove platform_legacy-exporter"));
    const dialog = screen.getByRole("dialog", { name: "Remove platform_legacy-exporter" });
    const start = within(dialog).getByRole("button", { name: "Start" });
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "orphan from the old stack");
    expect(start).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), "platform_legacy-exporte");
    expect(start).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), "r");
    await userEvent.click(start);
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-reapply-1"));
    const post = jobPosts(fake)[0]!;
    expect(new URL(post.url).pathname).toBe(`/admin/v1/platform/drift/${extra.id}/reapply`);
    expect(post.headers.get("idempotency-key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await post.clone().json()).toEqual({ reason: "orphan from the old stack", confirm: "platform_legacy-exporter" });
  });

  it("a config revision's reload starts config.reload on that instance", async () => {
    const created = makeJob({ id: "job-reload-1", kind: "config.reload", status: "running", finished_at: null, steps: [] });
    const fake = installFakeApi({
      jobs: [created],
      routes: [driftRoute(() => report()), ["POST", /^\/admin\/v1\/config\/reload$/, () => ({ status: 202, body: created })]],
    });
    signInForTest();
    const { router } = renderApp(`/drift?item=${config.id}`);
    await userEvent.click(await enabled("Reload runner-1"));
    const dialog = screen.getByRole("dialog", { name: "Reload runner-1" });
    expect(dialog).toHaveTextContent("Instances: runner-1");
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "pick up revision 13");
    await userEvent.click(within(dialog).getByRole("button", { name: "Start" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-reload-1"));
    expect(await jobPosts(fake)[0]!.clone().json()).toEqual({ reason: "pick up revision 13", services: ["runner-1"] });
  });

  it("acknowledge needs a reason and sends the chosen expiry", async () => {
    const created = makeJob({ id: "job-ack-2", kind: "drift.acknowledge", status: "running", finished_at: null, steps: [] });
    const fake = installFakeApi({
      jobs: [created],
      routes: [driftRoute(() => report()), ["POST", /^\/admin\/v1\/platform\/drift\/[^/]+\/acknowledge$/, () => ({ status: 202, body: created })]],
    });
    signInForTest();
    const { router } = renderApp(`/drift?item=${missing.id}`);
    await userEvent.click(await enabled("Acknowledge", await screen.findByRole("group", { name: "Remedies" })));
    const dialog = screen.getByRole("dialog", { name: "Acknowledge" });
    const expiry = within(dialog).getByLabelText("Acknowledge for");
    expect(within(expiry).getAllByRole("option").map((o) => o.textContent)).toEqual(["1 h", "24 h", "7 d", "30 d"]);
    expect(expiry).toHaveValue("86400");
    await userEvent.click(within(dialog).getByRole("button", { name: "Acknowledge" }));
    expect(within(dialog).getByText(/A reason is required/)).toBeInTheDocument();
    expect(jobPosts(fake)).toHaveLength(0);

    await userEvent.selectOptions(expiry, "7 d");
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "runner-3 is being rebuilt");
    await userEvent.click(within(dialog).getByRole("button", { name: "Acknowledge" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-ack-2"));
    const post = jobPosts(fake)[0]!;
    expect(new URL(post.url).pathname).toBe(`/admin/v1/platform/drift/${missing.id}/acknowledge`);
    expect(await post.clone().json()).toEqual({ reason: "runner-3 is being rebuilt", expires_in_s: 604800 });
  });

  it("remedies and acknowledgement are disabled, naming the right, without control.deployments.operate", async () => {
    installFakeApi({ whoami: whoami([...VIEWER_RIGHTS]), routes: [driftRoute(() => report())] });
    signInForTest();
    renderApp(`/drift?item=${missing.id}`);
    const group = await screen.findByRole("group", { name: "Remedies" });
    const create = await within(group).findByRole("button", { name: "Create it from the stack file" });
    await waitFor(() => expect(create).toHaveAttribute("aria-disabled", "true"));
    expect(create).toHaveAttribute("title", "Requires the right control.deployments.operate");
    expect(within(group).getByRole("button", { name: "Acknowledge" })).toHaveAttribute("aria-disabled", "true");
  });

  it("polls, and a resolved item leaves the list without a reload", async () => {
    let items = [missing, version];
    installFakeApi({ routes: [driftRoute(() => report(items))] });
    signInForTest();
    const { client } = renderApp(`/drift?item=${version.id}`);
    expect(driftQueries.report().refetchInterval).toBe(DRIFT_REFETCH_MS);
    await screen.findByRole("region", { name: "Desired vs observed" });
    items = [missing];
    await client.invalidateQueries({ queryKey: driftKeys.all });
    await waitFor(() => expect(screen.queryByRole("button", { name: "platform_projection-1" })).not.toBeInTheDocument());
    expect(screen.getByText(/That item is gone/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "platform_runner-3" })).toBeInTheDocument();
  });
});
