import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Job } from "@/api";
import { installFakeApi, problem } from "@/test/fake-api";
import { makeJob, makeStep, VIEWER_RIGHTS, whoami } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";

/** The button waits for whoami before it knows whether the principal may run jobs. */
async function enabledRunButton() {
  const button = await screen.findByRole("button", { name: "Run platform verification" });
  await waitFor(() => expect(button).not.toHaveAttribute("aria-disabled"));
  return button;
}

describe("Run platform verification", () => {
  it("requires a reason, retries with the same Idempotency-Key, then follows the job", async () => {
    const created = makeJob({ id: "job-verify-1", status: "running", finished_at: null, steps: [] });
    const jobs: Job[] = [created];
    let attempts = 0;
    const fake = installFakeApi({
      jobs,
      routes: [
        [
          "POST",
          /^\/admin\/v1\/jobs\/kinds\/platform\.verify$/,
          () => {
            attempts += 1;
            return attempts === 1 ? problem(503, { title: "Unavailable", code: "upstream_unavailable" }) : { status: 202, body: created };
          },
        ],
      ],
    });
    signInForTest();
    const { router } = renderApp("/jobs");
    await userEvent.click(await enabledRunButton());
    const dialog = screen.getByRole("dialog", { name: "Run platform verification" });

    await userEvent.click(within(dialog).getByRole("button", { name: "Start verification" }));
    expect(within(dialog).getByText(/A reason is required/)).toBeInTheDocument();
    expect(fake.requests.filter((r) => r.method === "POST")).toHaveLength(0);

    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "pre-release check");
    await userEvent.click(within(dialog).getByRole("button", { name: "Start verification" }));
    expect(await within(dialog).findByText("The job could not be started")).toBeInTheDocument();
    expect(within(dialog).getByTestId("id-chip-request-id")).toHaveTextContent("req-from-problem");

    await userEvent.click(within(dialog).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-verify-1"));

    const posts = fake.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(2);
    const key = posts[0]!.headers.get("idempotency-key");
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts[1]!.headers.get("idempotency-key")).toBe(key);
    expect(await posts[1]!.clone().json()).toEqual({ reason: "pre-release check", params: {} });

    // The detail page polls the job, continuing the start request's correlation and trace.
    await screen.findByRole("heading", { name: "Job platform.verify" });
    jobs[0] = { ...created, status: "succeeded", finished_at: "2026-11-27T00:00:05Z", steps: [makeStep({ name: "check.gateway" })] };
    expect(await screen.findByText("check.gateway", {}, { timeout: 4000 })).toBeInTheDocument();
    const polls = fake.requests.filter((r) => r.method === "GET" && r.url.endsWith("/jobs/job-verify-1"));
    expect(polls.length).toBeGreaterThan(0);
    for (const poll of polls) {
      expect(poll.headers.get("x-correlation-id")).toMatch(/^corr-/);
      expect(poll.headers.get("traceparent")).toMatch(/^00-/);
    }
    expect(screen.getAllByTitle(/^2026-11-27 00:00:05 UTC/).map((t) => t.textContent)).toContainEqual(expect.stringMatching(/^Finished .* ago$/));
  });

  it("a new opening of the dialog uses a new Idempotency-Key", async () => {
    const created = makeJob({ id: "job-verify-2" });
    const fake = installFakeApi({
      jobs: [created],
      routes: [["POST", /^\/admin\/v1\/jobs\/kinds\/platform\.verify$/, () => ({ status: 202, body: created })]],
    });
    signInForTest();
    const { router } = renderApp("/");
    for (const reason of ["first", "second"]) {
      await enabledRunButton();
      // The page may re-render while its lazy chunks settle: click until the dialog is open.
      await waitFor(async () => {
        await userEvent.click(screen.getByRole("button", { name: "Run platform verification" }));
        expect(screen.getByRole("dialog")).toBeInTheDocument();
      });
      await userEvent.type(screen.getByLabelText("Reason (required)"), reason);
      await userEvent.click(screen.getByRole("button", { name: "Start verification" }));
      await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-verify-2"));
      await router.navigate("/");
    }
    const keys = fake.requests.filter((r) => r.method === "POST").map((r) => r.headers.get("idempotency-key"));
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it("is disabled, naming the right, for a viewer", async () => {
    installFakeApi({ whoami: whoami(VIEWER_RIGHTS, "viewer") });
    signInForTest("viewer");
    renderApp("/jobs");
    const button = await screen.findByRole("button", { name: "Run platform verification" });
    await waitFor(() => expect(button).toHaveAttribute("aria-disabled", "true"));
    expect(button).toHaveAccessibleDescription("Requires the right control.jobs.run");
    await userEvent.click(button);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});

describe("Jobs list", () => {
  it("sends filters and follows the cursor", async () => {
    const first = makeJob({ id: "job-page-1" });
    const second = makeJob({ id: "job-page-2" });
    const fake = installFakeApi({
      jobPage: (url) =>
        url.searchParams.get("cursor") === "c2" ? { items: [second], next_cursor: null, stale: false } : { items: [first], next_cursor: "c2", stale: false },
    });
    signInForTest();
    const { router } = renderApp("/jobs?status=failed&kind=platform.verify");
    expect(await screen.findByText("job-page-1")).toBeInTheDocument();
    const url = new URL(fake.requests.find((r) => r.url.includes("/admin/v1/jobs?"))!.url);
    expect(url.searchParams.get("status")).toBe("failed");
    expect(url.searchParams.get("kind")).toBe("platform.verify");
    await userEvent.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByText("job-page-2")).toBeInTheDocument();
    expect(router.state.location.search).toContain("cursor=c2");
    await userEvent.click(screen.getByRole("button", { name: "Previous" }));
    expect(await screen.findByText("job-page-1")).toBeInTheDocument();
  });

  it("shows a step's structured error on the detail page", async () => {
    const failed = makeJob({
      id: "job-failed",
      status: "failed",
      error: { code: "verify.failed", message: "1 of 3 checks failed", retryable: true },
      steps: [makeStep({ name: "check.nats", status: "failed", attempts: 3, error: { code: "timeout", message: "no reply in 2 s", retryable: true } })],
    });
    installFakeApi({ jobs: [failed] });
    signInForTest();
    renderApp("/jobs/job-failed");
    expect(await screen.findByText("check.nats")).toBeInTheDocument();
    expect(screen.getByText("3 attempts", { exact: false })).toBeInTheDocument();
    expect(screen.getByText(/no reply in 2 s/)).toBeInTheDocument();
    expect(screen.getByText(/1 of 3 checks failed/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Audit events of this job" })).toHaveAttribute(
      "href",
      `/audit?job_id=${failed.id}`,
    );
    expect(screen.getByRole("link", { name: "Investigate correlation id" })).toHaveAttribute("href", `/investigate?id=${failed.correlation_id}`);
  });
});

describe("Job detail actions", () => {
  it("cancels a running job after confirmation, continuing the job's ids", async () => {
    const running = makeJob({ id: "job-running", status: "running", finished_at: null });
    const fake = installFakeApi({
      jobs: [running],
      routes: [["POST", /^\/admin\/v1\/jobs\/job-running\/cancel$/, () => ({ status: 202, body: { ...running, status: "cancelling" } })]],
    });
    signInForTest();
    renderApp("/jobs/job-running");
    const button = await screen.findByRole("button", { name: "Cancel job" });
    await waitFor(() => expect(button).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(button);
    const dialog = screen.getByRole("dialog", { name: "Cancel job" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel job" }));
    await waitFor(() => expect(fake.requests.some((r) => r.method === "POST" && r.url.endsWith("/cancel"))).toBe(true));
    expect(await screen.findByText("Cancellation requested")).toBeInTheDocument();
  });

  it("offers the job kinds from the API as the kind filter", async () => {
    installFakeApi();
    signInForTest();
    renderApp("/jobs");
    const select = await screen.findByRole("combobox", { name: "Kind" });
    expect(within(select).getByRole("option", { name: "platform.verify" })).toBeInTheDocument();
  });
});

describe("Jobs list while the state store is unreachable", () => {
  it("says the list is stale and how long for", async () => {
    installFakeApi({ jobPage: () => ({ items: [makeJob({ id: "job-stale-1" })], next_cursor: null, stale: true, stale_for_s: 42 }) });
    signInForTest();
    renderApp("/jobs");
    expect(await screen.findByText("job-stale-1")).toBeInTheDocument();
    const notice = screen.getAllByRole("status").find((el) => /Stale:/.test(el.textContent ?? ""));
    expect(notice).toHaveTextContent(/Stale: the job list shown is the last known good, 42(\.0)? s old/);
  });
});
