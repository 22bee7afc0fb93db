import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { createMemoryRouter, RouterProvider, useParams } from "react-router";
import { describe, expect, it } from "vitest";
import { jobFlow } from "@/api";
import { createQueryClient } from "@/app/providers";
import { ToastProvider } from "@/components/ui";
import { installFakeApi, problem, type FakeReply } from "@/test/fake-api";
import { makeJob } from "@/test/fixtures";
import { signInForTest } from "@/test/render";
import { JobRefusal } from "./components/job-refusal";
import { useJobSubmission } from "./job-submission";
import { jobKeys, startJob, type StartJobInput } from "./queries";

/** A minimal form that starts platform.verify through the hook, with a changeable reason. */
function Form() {
  const [reason, setReason] = useState("first");
  const submission = useJobSubmission<StartJobInput>({
    start: startJob,
    startedTitle: (job) => `Started ${job.id}`,
  });
  return (
    <div>
      <button type="button" onClick={() => submission.submit({ kind: "platform.verify", reason, params: {} })}>
        Submit
      </button>
      <button type="button" onClick={() => setReason("second")}>
        Change reason
      </button>
      <button type="button" onClick={() => submission.reset()}>
        Reset
      </button>
      {submission.isError ? <JobRefusal error={submission.error} title="Could not start" locked="this tenant" /> : null}
    </div>
  );
}

function JobPage() {
  return <h1>Job page {useParams().jobId}</h1>;
}

function setup(reply: () => FakeReply) {
  const fake = installFakeApi({ routes: [["POST", /^\/admin\/v1\/jobs\/kinds\/platform\.verify$/, reply]] });
  signInForTest();
  const router = createMemoryRouter(
    [
      { path: "/", element: <Form /> },
      { path: "/jobs/:jobId", element: <JobPage /> },
    ],
    { initialEntries: ["/"] },
  );
  const client = createQueryClient();
  render(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>,
  );
  const posts = () => fake.requests.filter((r) => r.method === "POST");
  const keys = () => posts().map((r) => r.headers.get("idempotency-key"));
  const submit = async (count: number) => {
    await userEvent.click(screen.getByRole("button", { name: "Submit" }));
    await waitFor(() => expect(posts()).toHaveLength(count));
    // Let the answer settle (error shown, or navigation) before the next step.
    await waitFor(() => expect(screen.queryByRole("button", { name: "Submit" }) === null || !client.isMutating()).toBe(true));
  };
  return { fake, router, client, posts, keys, submit };
}

describe("useJobSubmission", () => {
  it("sends one Idempotency-Key per attempt: a retry of the same body reuses it, a new body or reset() gets a new one", async () => {
    const { keys, submit } = setup(() => problem(503, { title: "Unavailable", code: "upstream_unavailable" }));
    await submit(1);
    expect(await screen.findByText("Could not start")).toBeInTheDocument();
    await submit(2); // retry, same body
    await userEvent.click(screen.getByRole("button", { name: "Change reason" }));
    await submit(3); // a different body: a new attempt
    await submit(4); // its retry
    await userEvent.click(screen.getByRole("button", { name: "Reset" }));
    await submit(5); // same body after reset: a new attempt
    const sent = keys();
    for (const key of sent) expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[1]).toBe(sent[0]);
    expect(sent[2]).not.toBe(sent[0]);
    expect(sent[3]).toBe(sent[2]);
    expect(sent[4]).not.toBe(sent[2]);
    expect(new Set(sent).size).toBe(3);
  });

  it("a retry also continues the attempt's correlation id and trace", async () => {
    const { posts, submit } = setup(() => problem(503, { title: "Unavailable" }));
    await submit(1);
    await submit(2);
    const [first, second] = posts();
    expect(first!.headers.has("x-correlation-id")).toBe(false);
    expect(second!.headers.get("x-correlation-id")).toMatch(/^corr-/);
  });

  it("on success shows the toast, refetches the jobs lists and navigates to the job's live progress, continuing its flow", async () => {
    const created = makeJob({ id: "job-started-1", status: "running", finished_at: null });
    const { router, client, submit } = setup(() => ({ status: 202, body: created }));
    client.setQueryData(jobKeys.list({ limit: 10 }), { items: [], next_cursor: null });
    await submit(1);
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-started-1"));
    expect(screen.getByRole("heading", { name: "Job page job-started-1" })).toBeInTheDocument();
    expect(await screen.findByText("Started job-started-1")).toBeInTheDocument();
    expect(client.getQueryState(jobKeys.list({ limit: 10 }))?.isInvalidated).toBe(true);
    expect(jobFlow("job-started-1")?.correlationId).toMatch(/^corr-/);
  });

  it("a 409 lock_held shows the holder job with a link and stays on the form", async () => {
    const { router, submit } = setup(() =>
      problem(409, { code: "lock_held", title: "Another job holds the lock", detail: "tenant acme is locked", job_id: "job-holder-7" }),
    );
    await submit(1);
    const refusal = await screen.findByRole("alert", { name: "Refused" });
    expect(refusal).toHaveTextContent("another job holds the lock on this tenant");
    expect(refusal).toHaveTextContent("tenant acme is locked");
    expect(within(refusal).getByRole("link", { name: "job-holder-7" })).toHaveAttribute("href", "/jobs/job-holder-7");
    expect(within(refusal).getByTestId("id-chip-request-id")).toHaveTextContent("req-from-problem");
    expect(router.state.location.pathname).toBe("/");
  });

  it("a 409 naming the job this key already started follows that job", async () => {
    const { router, submit } = setup(() => problem(409, { code: "idempotency_key_reused", title: "Conflict", job_id: "job-existing-3" }));
    await submit(1);
    await waitFor(() => expect(router.state.location.pathname).toBe("/jobs/job-existing-3"));
  });

  it("a 422 refusal lists every failed check with its value and threshold, in each shape the API sends", async () => {
    const { router, submit } = setup(() =>
      problem(422, {
        code: "preflight_refused",
        title: "Preflight checks refused the operation",
        failures: [
          { name: "source_inflight", ok: false, measured: 12, threshold: 10, message: "inflight 12 > 10" },
          { check: "replicas_running", detail: "1 of 2 replicas running" },
          { check: "target_lag", ok: false, value: 250, threshold: 100, detail: "lag 250 > 100" },
          { check: "target_ready", ok: false, value: false, threshold: true, detail: "" },
        ],
      }),
    );
    await submit(1);
    const list = await screen.findByRole("list", { name: "Failed checks" });
    expect(within(list).getAllByRole("listitem").map((item) => item.textContent)).toEqual([
      "source_inflight: measured 12, threshold 10. inflight 12 > 10",
      "replicas_running: 1 of 2 replicas running",
      "target_lag: measured 250, threshold 100. lag 250 > 100",
      "target_ready: measured false, threshold true.",
    ]);
    expect(screen.getByRole("alert", { name: "Refused" })).toHaveTextContent("Refused: the preflight fails. Nothing was changed.");
    expect(router.state.location.pathname).toBe("/");
  });
});
