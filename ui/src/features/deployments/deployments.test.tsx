import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { emptyFleet, installFakeApi, problem, type FakeReply } from "@/test/fake-api";
import { makeJob, makeStep, VIEWER_RIGHTS, whoami } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";
import type { Deployment, DeploymentDetail, SwarmService } from "./types";

// Payloads shaped like the API's answers in file mode (config/swarm/example.json).
function runnerService(overrides: Partial<SwarmService> = {}): SwarmService {
  return {
    id: "ff3c8d1e2b7a4c90a1b2c3d4e",
    service: "platform_runner",
    stack: "platform",
    kind: "runner",
    mode: "replicated",
    image: "cloudlysis/runner",
    image_tag: "0.7.3",
    image_digest: null,
    version: "0.7.3",
    git_sha: "5d1f0c2e9a77",
    spec_version: 1012,
    created_at: "2026-11-20T09:00:00Z",
    updated_at: "2026-11-26T15:21:30Z",
    update_state: "rollback_completed",
    update_message: "rollback completed",
    update_started_at: "2026-11-26T15:20:00Z",
    update_completed_at: "2026-11-26T15:21:30Z",
    replicas_desired: 2,
    replicas_running: 2,
    admin_url: "http://127.0.0.1:8716",
    labels: { "com.docker.stack.namespace": "platform", "cloudlysis.kind": "runner" },
    tasks: [
      { id: "t1", slot: 1, state: "running", desired_state: "running", node: "swarm-manager-1", image: "cloudlysis/runner:0.7.3", error: null, updated_at: "2026-11-26T15:21:20Z" },
      { id: "t2", slot: 2, state: "running", desired_state: "running", node: "swarm-worker-1", image: "cloudlysis/runner:0.7.3", error: null, updated_at: "2026-11-26T15:21:25Z" },
      { id: "t3", slot: 1, state: "failed", desired_state: "shutdown", node: "swarm-worker-1", image: "cloudlysis/runner:0.7.4", error: "task: non-zero exit (1)", updated_at: "2026-11-26T15:20:40Z" },
    ],
    ...overrides,
  };
}

function makeDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: "dep-runner-1012",
    service: "platform_runner",
    service_id: "ff3c8d1e2b7a4c90a1b2c3d4e",
    stack: "platform",
    kind: "update",
    status: "rolled_back",
    started_at: "2026-11-26T15:20:00Z",
    finished_at: "2026-11-26T15:21:30Z",
    duration_s: 90,
    from_spec_version: 1011,
    to_spec_version: 1012,
    from_image: "cloudlysis/runner:0.7.3",
    to_image: "cloudlysis/runner:0.7.4",
    version: "0.7.4",
    git_sha: "e41b2a09c3d1",
    job_id: "job-deploy-runner",
    message: "rollback completed",
    timeline: [
      { type: "started", at: "2026-11-26T15:20:00Z", spec_version: 1012, message: "update in progress", source: "event" },
      { type: "rollback_started", at: "2026-11-26T15:20:45Z", spec_version: 1012, message: "update rolled back due to failure", source: "event" },
      { type: "rollback_completed", at: "2026-11-26T15:21:30Z", spec_version: 1013, message: "rollback completed", source: "event" },
    ],
    ...overrides,
  };
}

const detail: DeploymentDetail = {
  deployment: makeDeployment(),
  changes_available: true,
  changes: [
    { path: "image", change: "changed", before: "cloudlysis/runner:0.7.3", after: "cloudlysis/runner:0.7.4" },
    { path: "env.DATABASE_PASSWORD", change: "changed", before: "<redacted>", after: "<redacted>" },
    { path: "env.FEATURE_FLAGS", change: "added", before: null, after: "<redacted>" },
    { path: "labels.cloudlysis.version", change: "changed", before: "0.7.3", after: "0.7.4" },
    { path: "replicas", change: "changed", before: "2", after: "3" },
  ],
};

const swarmOff = () => problem(503, { title: "Docker Swarm engine unavailable", code: "swarm_unavailable", detail: "CONTROL_SWARM_MODE=off" });

function swarmRoutes(extra: Array<[string, RegExp, (r: Request) => FakeReply | Promise<FakeReply>]> = []) {
  return [
    ...extra,
    ["GET", /^\/admin\/v1\/deployments\/dep-runner-1012$/, () => ({ body: detail })],
    ["GET", /^\/admin\/v1\/deployments$/, () => ({ body: { items: [makeDeployment()], next_cursor: null } })],
    ["GET", /^\/admin\/v1\/swarm\/services\/platform_runner$/, () => ({ body: runnerService() })],
    ["GET", /^\/admin\/v1\/swarm\/services$/, () => ({ body: { source: "file", fetched_at: "2026-11-27T00:00:00Z", items: [runnerService()] } })],
    [
      "GET",
      /^\/admin\/v1\/swarm\/nodes$/,
      () => ({ body: { source: "file", fetched_at: "2026-11-27T00:00:00Z", items: [{ id: "n1", hostname: "swarm-manager-1", role: "manager", availability: "active", state: "ready", addr: "10.0.0.2", leader: true, labels: {} }] } }),
    ],
  ] as Array<[string, RegExp, (r: Request) => FakeReply | Promise<FakeReply>]>;
}

async function enabled(name: string) {
  const button = await screen.findByRole("button", { name });
  await waitFor(() => expect(button).not.toHaveAttribute("aria-disabled"));
  return button;
}

describe("Deployments list", () => {
  it("lists deployments with status in words, links to the detail, and keeps filters in the URL", async () => {
    const fake = installFakeApi({ routes: swarmRoutes() });
    signInForTest();
    const { router } = renderApp("/deployments?status=rolled_back");
    const table = await screen.findByRole("table", { name: "Deployments" });
    const row = (await within(table).findAllByRole("row")).find((r) => r.textContent?.includes("platform_runner"))!;
    expect(within(row).getByText("rolled back")).toHaveAttribute("data-status", "rolled_back");
    expect(row).toHaveTextContent("cloudlysis/runner:0.7.3 → cloudlysis/runner:0.7.4");
    expect(row).toHaveTextContent("1011 → 1012");
    const list = fake.requests.find((r) => r.url.includes("/admin/v1/deployments?"))!;
    expect(new URL(list.url).searchParams.get("status")).toBe("rolled_back");

    await userEvent.selectOptions(screen.getByLabelText("Kind"), "rollback");
    await waitFor(() => expect(router.state.location.search).toContain("kind=rollback"));
    await waitFor(() => expect(fake.requests.some((r) => new URL(r.url).searchParams.get("kind") === "rollback")).toBe(true));

    await userEvent.click(within(row).getByRole("link"));
    await waitFor(() => expect(router.state.location.pathname).toBe("/deployments/dep-runner-1012"));
  });

  it("says the Swarm integration is off on 503 swarm_unavailable, not an error page", async () => {
    installFakeApi({ routes: [["GET", /^\/admin\/v1\/deployments$/, swarmOff]] });
    signInForTest();
    renderApp("/deployments");
    const notice = await screen.findByRole("status", { name: "Swarm integration unavailable" });
    expect(notice).toHaveTextContent("Swarm integration is off or unreachable");
    expect(screen.queryByRole("alert", { name: "Error" })).not.toBeInTheDocument();
  });
});

describe("Deployment detail", () => {
  it("shows the header, timeline, what changed with env values redacted, and the current tasks", async () => {
    installFakeApi({ routes: swarmRoutes() });
    signInForTest();
    renderApp("/deployments/dep-runner-1012");
    expect(await screen.findByRole("heading", { level: 1, name: "Deployment of platform_runner" })).toBeInTheDocument();
    const header = screen.getByLabelText("Deployment");
    expect(header).toHaveTextContent("Statusrolled back");
    expect(header).toHaveTextContent("Kindupdate");
    expect(header).toHaveTextContent("cloudlysis/runner:0.7.3 → cloudlysis/runner:0.7.4");
    expect(header).toHaveTextContent("Git SHAe41b2a09c3d1");
    expect(screen.getByRole("link", { name: "job-deploy-runner" })).toHaveAttribute("href", "/jobs/job-deploy-runner");
    expect(screen.getByText("1011 → 1012")).toBeInTheDocument();
    expect(screen.getByText("1 min 30 s")).toBeInTheDocument();

    const timeline = screen.getByRole("list", { name: "Timeline" });
    expect(within(timeline).getAllByRole("listitem")).toHaveLength(3);
    expect(timeline).toHaveTextContent("rollback completed");

    const changes = screen.getByRole("table", { name: "What changed" });
    const image = within(changes).getByText("image").closest("tr")!;
    expect(image).toHaveTextContent("cloudlysis/runner:0.7.3");
    expect(image).toHaveTextContent("cloudlysis/runner:0.7.4");
    const secret = within(changes).getByText("env.DATABASE_PASSWORD").closest("tr")!;
    expect(within(secret).getAllByText("redacted")).toHaveLength(2);
    const added = within(changes).getByText("env.FEATURE_FLAGS").closest("tr")!;
    expect(added).toHaveTextContent("added");
    expect(added).toHaveTextContent("(none)");
    // Raw values of env paths never reach the page, even the API's own placeholder.
    expect(changes).not.toHaveTextContent("<redacted>");

    const tasks = await screen.findByRole("table", { name: "Tasks of platform_runner" });
    const failed = within(tasks).getByText("task: non-zero exit (1)").closest("tr")!;
    expect(failed).toHaveTextContent("failed");
    expect(failed).toHaveTextContent("shutdown");
    expect(failed).toHaveTextContent("swarm-worker-1");
  });

  it("charts the service's 5xx ratio and p99 by version around a recent deploy, the deploy as a band", async () => {
    const started = new Date(Date.now() - 20 * 60_000).toISOString();
    const recent: DeploymentDetail = { ...detail, deployment: makeDeployment({ started_at: started, finished_at: started }) };
    const fake = installFakeApi({
      routes: [
        ["GET", /^\/admin\/v1\/deployments\/dep-runner-1012$/, () => ({ body: recent })],
        ["GET", /^\/admin\/v1\/metrics\//, () => problem(503, { code: "metrics_unavailable", title: "Metrics unavailable" })],
        ...swarmRoutes(),
      ],
    });
    signInForTest();
    renderApp("/deployments/dep-runner-1012");
    const section = await screen.findByRole("region", { name: "Before and after (by version)" });
    await waitFor(() => expect(within(section).getAllByTestId("chart-unavailable")).toHaveLength(2));
    expect(within(section).getByText("5xx ratio of runner by version")).toBeInTheDocument();
    const sent = fake.requests.map((r) => new URL(r.url)).filter((u) => u.pathname.startsWith("/admin/v1/metrics/"));
    expect(sent.map((u) => u.pathname.split("/").pop()).sort()).toEqual(["error_ratio_by_version", "p99_of_service_by_version"]);
    // Half an hour before a deploy 20 min ago is less than an hour: the hour is the least.
    expect(sent.every((u) => u.searchParams.get("service") === "runner" && u.searchParams.get("range") === "3600")).toBe(true);
  });

  it("says when a deploy is older than the metrics history the API serves, and asks for no chart", async () => {
    const started = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const old: DeploymentDetail = { ...detail, deployment: makeDeployment({ started_at: started, finished_at: started }) };
    const fake = installFakeApi({ routes: [["GET", /^\/admin\/v1\/deployments\/dep-runner-1012$/, () => ({ body: old })], ...swarmRoutes()] });
    signInForTest();
    renderApp("/deployments/dep-runner-1012");
    const section = await screen.findByRole("region", { name: "Before and after (by version)" });
    expect(await within(section).findByText(/older than the 7 days of metrics history/)).toBeInTheDocument();
    expect(fake.requests.some((r) => new URL(r.url).pathname.startsWith("/admin/v1/metrics/"))).toBe(false);
  });

  it("never shows an env value even if one arrives unredacted", async () => {
    const leaked: DeploymentDetail = { ...detail, changes: [{ path: "env.API_TOKEN", change: "changed", before: "s3cr3t-old", after: "s3cr3t-new" }] };
    installFakeApi({ routes: [["GET", /^\/admin\/v1\/deployments\/dep-runner-1012$/, () => ({ body: leaked })], ...swarmRoutes()] });
    signInForTest();
    renderApp("/deployments/dep-runner-1012");
    const changes = await screen.findByRole("table", { name: "What changed" });
    expect(changes).not.toHaveTextContent("s3cr3t");
    expect(within(changes).getAllByText("redacted")).toHaveLength(2);
  });
});

/** The POSTs that start jobs (the modal's plan requests change nothing and are left out). */
function jobPosts(fake: { requests: Request[] }): Request[] {
  return fake.requests.filter((r) => r.method === "POST" && !new URL(r.url).pathname.endsWith("/plan"));
}

describe("Deploy and rollback", () => {
  it("shows what the deploy will change before submit, and a preflight that would refuse it disables submit", async () => {
    const plans: string[] = [];
    installFakeApi({
      routes: swarmRoutes([
        [
          "POST",
          /^\/admin\/v1\/swarm\/services\/platform_runner\/deploy\/plan$/,
          async (request) => {
            const body = (await request.clone().json()) as { tag?: string };
            plans.push(body.tag ?? "");
            const bad = body.tag === "9.9.9";
            return {
              body: {
                service: "platform_runner",
                spec_version: 1012,
                from_image: "cloudlysis/runner:0.7.4",
                to_image: `cloudlysis/runner:${body.tag}`,
                changes_available: true,
                changes: [
                  { path: "image", change: "changed", before: "cloudlysis/runner:0.7.4", after: `cloudlysis/runner:${body.tag}` },
                  { path: "labels.cloudlysis.version", change: "changed", before: "0.7.4", after: body.tag },
                ],
                failures: bad
                  ? [{ check: "image_exists", ok: false, value: "cloudlysis/runner:9.9.9", threshold: null, detail: "the engine cannot resolve image cloudlysis/runner:9.9.9" }]
                  : [],
              },
            };
          },
        ],
      ]),
    });
    signInForTest();
    renderApp("/deployments/dep-runner-1012");
    await userEvent.click(await enabled("Deploy platform_runner"));
    const dialog = screen.getByRole("dialog", { name: "Deploy platform_runner" });
    const section = within(dialog).getByRole("region", { name: "What will change" });
    expect(section).toHaveTextContent("Give a tag or an image");
    await userEvent.type(within(dialog).getByLabelText("New tag"), "0.8.1");
    const planned = await within(section).findByRole("table", { name: "Planned changes" });
    expect(within(planned).getByText("labels.cloudlysis.version")).toBeInTheDocument();
    expect(section).toHaveTextContent("cloudlysis/runner:0.7.4 → cloudlysis/runner:0.8.1");
    expect(section).toHaveTextContent("The preflight passes now");
    expect(plans).toEqual(["0.8.1"]); // asked once the typing settled, not per key
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "ship");
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), "platform_runner");
    expect(within(dialog).getByRole("button", { name: "Deploy" })).toBeEnabled();

    await userEvent.clear(within(dialog).getByLabelText("New tag"));
    await userEvent.type(within(dialog).getByLabelText("New tag"), "9.9.9");
    const verdict = await within(section).findByRole("list", { name: "Preflight" });
    expect(verdict).toHaveTextContent("image_exists");
    expect(verdict).toHaveTextContent("the engine cannot resolve image cloudlysis/runner:9.9.9");
    expect(within(dialog).getByRole("button", { name: "Deploy" })).toBeDisabled();
  });

  it("deploy: submit stays disabled until the service name is typed exactly, then follows the job", async () => {
    const created = makeJob({ id: "job-deploy-1", kind: "service.deploy", status: "running", finished_at: null, steps: [] });
    const fake = installFakeApi({
      jobs: [created],
      routes: swarmRoutes([["POST", /^\/admin\/v1\/swarm\/services\/platform_runner\/deploy$/, () => ({ status: 202, body: created })]]),
    });
    signInForTest();
    const { router } = renderApp("/deployments/dep-runner-1012");
    await userEvent.click(await enabled("Deploy platform_runner"));
    const dialog = screen.getByRole("dialog", { name: "Deploy platform_runner" });
    const submit = within(dialog).getByRole("button", { name: "Deploy" });
    expect(submit).toBeDisabled();

    await userEvent.type(within(dialog).getByLabelText("New tag"), "0.7.5");
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "ship the retry fix");
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), "platform_runne");
    expect(submit).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), "r ");
    expect(submit).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), "{Backspace}");
    expect(submit).toBeEnabled();
    expect(jobPosts(fake)).toHaveLength(0);

    await userEvent.click(submit);
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-deploy-1"));
    const post = jobPosts(fake)[0]!;
    expect(post.headers.get("idempotency-key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await post.clone().json()).toEqual({ reason: "ship the retry fix", confirm: "platform_runner", tag: "0.7.5" });
  });

  it("a 422 preflight refusal lists every failure; the retry keeps the Idempotency-Key", async () => {
    const fake = installFakeApi({
      routes: swarmRoutes([
        [
          "POST",
          /^\/admin\/v1\/swarm\/services\/platform_runner\/deploy$/,
          () =>
            problem(422, {
              title: "Preflight checks refused the operation",
              code: "preflight_refused",
              detail: "platform_runner: update in progress; 1 of 2 replicas running",
              failures: [
                { check: "no_update_in_progress", detail: "update state is updating" },
                { check: "replicas_running", detail: "1 of 2 replicas running" },
              ],
            }),
        ],
      ]),
    });
    signInForTest();
    renderApp("/deployments/dep-runner-1012");
    await userEvent.click(await enabled("Deploy platform_runner"));
    const dialog = screen.getByRole("dialog", { name: "Deploy platform_runner" });
    await userEvent.type(within(dialog).getByLabelText("New tag"), "0.7.5");
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "ship");
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), "platform_runner");
    await userEvent.click(within(dialog).getByRole("button", { name: "Deploy" }));

    const failures = await within(dialog).findByRole("list", { name: "Failed checks" });
    const items = within(failures).getAllByRole("listitem");
    expect(items.map((item) => item.textContent)).toEqual([
      "no_update_in_progress: update state is updating",
      "replicas_running: 1 of 2 replicas running",
    ]);
    expect(within(dialog).getByTestId("id-chip-request-id")).toHaveTextContent("req-from-problem");

    await userEvent.click(within(dialog).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(jobPosts(fake)).toHaveLength(2));
    const [first, second] = jobPosts(fake);
    expect(second!.headers.get("idempotency-key")).toBe(first!.headers.get("idempotency-key"));
  });

  it("rollback: a 409 lock_held links the job holding the service; a chosen spec version is sent", async () => {
    const fake = installFakeApi({
      routes: swarmRoutes([
        [
          "POST",
          /^\/admin\/v1\/swarm\/services\/platform_runner\/rollback$/,
          () => problem(409, { title: "Another job holds the lock", code: "lock_held", detail: "service platform_runner is locked", job_id: "job-holder-7" }),
        ],
      ]),
    });
    signInForTest();
    const { router } = renderApp("/deployments/dep-runner-1012");
    await userEvent.click(await enabled("Roll back platform_runner"));
    const dialog = screen.getByRole("dialog", { name: "Roll back platform_runner" });
    // The recorded spec versions other than the current one (1012) are offered.
    const select = within(dialog).getByLabelText("Roll back to");
    await waitFor(() => expect(within(select).getByRole("option", { name: "Spec version 1011" })).toBeInTheDocument());
    expect(within(select).queryByRole("option", { name: "Spec version 1012" })).not.toBeInTheDocument();
    await userEvent.selectOptions(select, "1011");
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "0.7.4 leaks memory");
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), "platform_runner");
    await userEvent.click(within(dialog).getByRole("button", { name: "Roll back" }));

    const refusal = await within(dialog).findByRole("alert", { name: "Refused" });
    expect(refusal).toHaveTextContent("another job holds the lock on this service");
    expect(refusal).toHaveTextContent("service platform_runner is locked");
    expect(within(refusal).getByRole("link", { name: "job-holder-7" })).toHaveAttribute("href", "/jobs/job-holder-7");
    // A refusal does not navigate away.
    expect(router.state.location.pathname).toBe("/deployments/dep-runner-1012");
    const post = jobPosts(fake)[0]!;
    expect(await post.clone().json()).toEqual({ reason: "0.7.4 leaks memory", confirm: "platform_runner", to_spec_version: 1011 });
  });

  it("is disabled, naming the right, without control.deployments.operate", async () => {
    installFakeApi({ whoami: whoami([...VIEWER_RIGHTS, "control.deployments.read"], "viewer"), routes: swarmRoutes() });
    signInForTest("viewer");
    renderApp("/deployments/dep-runner-1012");
    for (const name of ["Deploy platform_runner", "Roll back platform_runner", "Run playbook again"]) {
      const button = await screen.findByRole("button", { name });
      await waitFor(() => expect(button).toHaveAttribute("aria-disabled", "true"));
      expect(button).toHaveAccessibleDescription("Requires the right control.deployments.operate");
      await userEvent.click(button);
      expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    }
  });
});

describe("Fleet → Swarm", () => {
  it("lists Swarm services with replicas and update state, expands tasks, and shows the nodes", async () => {
    installFakeApi({ routes: swarmRoutes() });
    signInForTest();
    renderApp("/fleet?view=swarm");
    expect(await screen.findByRole("tab", { name: "Swarm" })).toHaveAttribute("aria-selected", "true");
    const table = await screen.findByRole("table", { name: "Swarm services" });
    const row = within(table).getByRole("rowheader", { name: /platform_runner/ }).closest("tr")!;
    expect(row).toHaveTextContent("0.7.3");
    expect(row).toHaveTextContent("2/2 running");
    expect(within(row).getByText("0.7.3", { selector: "code" })).toHaveAttribute("title", "cloudlysis/runner:0.7.3");
    expect(within(row).getByText("rollback completed")).toHaveAttribute("data-status", "rollback_completed");
    expect(screen.queryByRole("table", { name: "Tasks of platform_runner" })).not.toBeInTheDocument();

    const toggle = within(row).getByRole("button", { name: "platform_runner tasks" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    const tasks = screen.getByRole("table", { name: "Tasks of platform_runner" });
    expect(within(tasks).getAllByRole("row")).toHaveLength(4);
    expect(tasks).toHaveTextContent("task: non-zero exit (1)");

    const nodes = await screen.findByRole("table", { name: "Swarm nodes" });
    expect(nodes).toHaveTextContent("swarm-manager-1");
    expect(nodes).toHaveTextContent("manager (leader)");
  });

  it("marks a fleet instance that reports another version than the tag Swarm runs", async () => {
    const instance = (name: string, version: string) => ({
      instance: name,
      service: "platform_runner",
      kind: "runner",
      url: `http://runner-${name}:8080`,
      health: "ok" as const,
      ready: "ready" as const,
      version,
      metrics: {},
      metrics_source: "store" as const,
    });
    const fleet = { ...emptyFleet, instances: [instance("r1", "0.7.3"), instance("r2", "0.7.4")] };
    installFakeApi({ fleet, routes: swarmRoutes() });
    signInForTest();
    renderApp("/fleet?view=swarm");
    const table = await screen.findByRole("table", { name: "Swarm services" });
    const row = within(table).getByRole("rowheader", { name: /platform_runner/ }).closest("tr")!;
    const flag = await within(row).findByText("reports 0.7.3, 0.7.4");
    expect(flag).toHaveAttribute("title", "Swarm runs the tag 0.7.3; the fleet instance reports 0.7.3, 0.7.4");
    expect(row).toHaveTextContent("2/2 healthy");
  });

  it("says the Swarm integration is off or unreachable on 503 swarm_unavailable", async () => {
    installFakeApi({ routes: [["GET", /^\/admin\/v1\/swarm\/services$/, swarmOff]] });
    signInForTest();
    renderApp("/fleet?view=swarm");
    const notice = await screen.findByRole("status", { name: "Swarm integration unavailable" });
    expect(notice).toHaveTextContent("Swarm integration is off or unreachable");
    expect(notice).toHaveTextContent("CONTROL_SWARM_MODE=off");
  });
});

describe("Verification playbook", () => {
  // The verify step's output of a deploy that failed playbook.post_deploy and was rolled back.
  const report = {
    playbook: "post_deploy",
    service: "platform_runner",
    ok: false,
    checks: [
      { check: "tasks_converged", ok: true, value: 2, threshold: 2, detail: "2 replica(s) running cloudlysis/runner:0.7.4 (completed)" },
      { check: "error_rate", ok: false, value: 0.31, threshold: 0.02, detail: "5xx ratio 31.00% after (812 requests) vs 0.00% before (905 requests)" },
      { check: "no_new_drift", ok: true, value: null, threshold: null, detail: "drift not configured" },
    ],
    before: [1_795_000_000, 1_795_000_300],
    after: [1_795_000_330, 1_795_000_630],
    from_version: "0.7.3",
    to_version: "0.7.4",
    rolled_back: true,
  };
  const deployJob = () =>
    makeJob({
      id: "job-deploy-runner",
      kind: "service.deploy",
      status: "failed",
      steps: [makeStep({ name: "converge" }), makeStep({ name: "verify", status: "failed", output: report, error: { code: "deploy_failed_rolled_back", message: "rolled back", retryable: false } })],
    });

  it("shows each check of the deploy's playbook with its value and threshold", async () => {
    installFakeApi({ jobs: [deployJob()], routes: swarmRoutes() });
    signInForTest();
    renderApp("/deployments/dep-runner-1012");
    const section = await screen.findByRole("region", { name: "Verification playbook" });
    const table = await within(section).findByRole("table", { name: "Playbook checks" });
    const row = within(table).getByText("error_rate").closest("tr")!;
    expect(within(row).getByText("failed")).toHaveAttribute("data-status", "failed");
    expect(row).toHaveTextContent("0.31");
    expect(row).toHaveTextContent("0.02");
    expect(row).toHaveTextContent("31.00% after (812 requests)");
    const converged = within(table).getByText("tasks_converged").closest("tr")!;
    expect(within(converged).getByText("ok")).toHaveAttribute("data-status", "ok");
    expect(section).toHaveTextContent("playbook.post_deploy");
    expect(section).toHaveTextContent("0.7.3 → 0.7.4");
    expect(section).toHaveTextContent("rolled back");
  });

  it("says so when the deployment's job holds no playbook result", async () => {
    installFakeApi({ jobs: [makeJob({ id: "job-deploy-runner", kind: "service.deploy", status: "failed", steps: [makeStep({ name: "converge", status: "failed" })] })], routes: swarmRoutes() });
    signInForTest();
    renderApp("/deployments/dep-runner-1012");
    const section = await screen.findByRole("region", { name: "Verification playbook" });
    expect(await within(section).findByText(/has no playbook result/)).toBeInTheDocument();
    expect(within(section).queryByRole("table")).not.toBeInTheDocument();
  });

  it("runs the playbook again over this deployment through the job flow: reason, then the job's progress", async () => {
    const created = makeJob({ id: "job-playbook-1", kind: "playbook.post_deploy", status: "running", finished_at: null, steps: [] });
    const fake = installFakeApi({
      jobs: [deployJob(), created],
      routes: swarmRoutes([["POST", /^\/admin\/v1\/jobs\/kinds\/playbook\.post_deploy$/, () => ({ status: 202, body: created })]]),
    });
    signInForTest();
    const { router } = renderApp("/deployments/dep-runner-1012");
    await userEvent.click(await enabled("Run playbook again"));
    const dialog = screen.getByRole("dialog", { name: "Run playbook.post_deploy again" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Run playbook" }));
    expect(jobPosts(fake)).toHaveLength(0); // a reason is required
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "error rate looked odd");
    await userEvent.click(within(dialog).getByRole("button", { name: "Run playbook" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-playbook-1"));
    const post = jobPosts(fake)[0]!;
    expect(new URL(post.url).pathname).toBe("/admin/v1/jobs/kinds/playbook.post_deploy");
    expect(post.headers.get("idempotency-key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await post.clone().json()).toEqual({
      reason: "error rate looked odd",
      params: { service: "platform_runner", deployment_id: "dep-runner-1012" },
    });
  });
});
