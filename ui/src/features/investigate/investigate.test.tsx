import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { makeAuditEvent, makeJob } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";

describe("Investigate", () => {
  it("shows the jobs, audit events and Grafana links for an id", async () => {
    const job = makeJob({ id: "job-inv" });
    installFakeApi({
      investigate: {
        id: job.correlation_id!,
        kinds: ["correlation_id"],
        jobs: [job],
        audit_events: [makeAuditEvent({ correlation_id: job.correlation_id, job_id: job.id })],
        links: { loki: "http://grafana.test/explore?loki", tempo: null },
      },
    });
    signInForTest();
    renderApp(`/investigate?id=${job.correlation_id}`);
    expect(await screen.findByText("Matched as correlation id")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Jobs (1)" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Audit events (1)" })).toBeInTheDocument();
    expect(screen.getAllByRole("link", { name: "job-inv" })[0]).toHaveAttribute("href", "/jobs/job-inv");
    expect(screen.getByRole("link", { name: /Logs in Loki/ })).toHaveAttribute("href", "http://grafana.test/explore?loki");
  });

  it("the header search takes a traceparent to its trace id", async () => {
    installFakeApi();
    signInForTest();
    const { router } = renderApp("/");
    const search = await screen.findByRole("searchbox", { name: /Investigate an id/ });
    await userEvent.type(search, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01{Enter}");
    await waitFor(() => expect(router.state.location.pathname).toBe("/investigate"));
    expect(router.state.location.search).toBe("?id=4bf92f3577b34da6a3ce929d0e0e4736");
  });
});
