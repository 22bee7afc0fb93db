import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { installFakeApi } from "../../test/fake-api";
import { makeAuditEvent, makeJob, VIEWER_RIGHTS, whoami } from "../../test/fixtures";
import { renderApp, signInForTest } from "../../test/render";

describe("Audit Log", () => {
  it("highlights denials and passes filters to the API", async () => {
    const denied = makeAuditEvent({ actor: "viewer", action: "jobs.create", outcome: "denied" });
    const ok = makeAuditEvent({ actor: "admin" });
    const fake = installFakeApi({ audit: { items: [denied, ok], next_cursor: null } });
    signInForTest();
    renderApp("/audit?outcome=denied&actor=viewer");
    const table = await screen.findByRole("table", { name: "Audit events" });
    const rows = within(table).getAllByRole("row").filter((r) => r.getAttribute("aria-rowindex"));
    expect(rows).toHaveLength(2);
    const deniedRow = rows.find((r) => r.textContent?.includes("viewer"))!;
    expect(deniedRow.className).toContain("bg-red-50");
    expect(within(deniedRow).getByText("Denied:")).toBeInTheDocument();
    expect(screen.getByText("1 denied request on this page (highlighted).")).toBeInTheDocument();
    const url = new URL(fake.requests.find((r) => r.url.includes("/admin/v1/audit?"))!.url);
    expect(url.searchParams.get("outcome")).toBe("denied");
    expect(url.searchParams.get("actor")).toBe("viewer");
  });

  it("exports through the client with the auth header and the filters", async () => {
    const createObjectURL = vi.fn(() => "blob:x");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const fake = installFakeApi({
      routes: [
        [
          "GET",
          /^\/admin\/v1\/audit\/export$/,
          () => ({ body: undefined, headers: { "content-type": "application/x-ndjson" } }),
        ],
      ],
    });
    signInForTest();
    renderApp("/audit?action=jobs.create");
    const button = await screen.findByRole("button", { name: "Export NDJSON" });
    await waitFor(() => expect(button).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(button);
    await waitFor(() => expect(fake.requests.some((r) => r.url.includes("/audit/export"))).toBe(true));
    const request = fake.requests.find((r) => r.url.includes("/audit/export"))!;
    expect(request.headers.get("authorization")).toBe("Bearer token-admin");
    const url = new URL(request.url);
    expect(url.searchParams.get("format")).toBe("ndjson");
    expect(url.searchParams.get("action")).toBe("jobs.create");
  });

  it("disables export for a principal without control.audit.export", async () => {
    installFakeApi({ whoami: whoami(VIEWER_RIGHTS, "viewer") });
    signInForTest("viewer");
    renderApp("/audit");
    const button = await screen.findByRole("button", { name: "Export CSV" });
    await waitFor(() => expect(button).toHaveAccessibleDescription("Requires the right control.audit.export"));
    expect(button).toHaveAttribute("aria-disabled", "true");
  });
});

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
