import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { makeAuditEvent, VIEWER_RIGHTS, whoami } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";

describe("Audit Log", () => {
  it("highlights denials and passes filters to the API", async () => {
    const denied = makeAuditEvent({ actor: "viewer", action: "jobs.create", outcome: "denied" });
    const ok = makeAuditEvent({ actor: "admin" });
    const fake = installFakeApi({ audit: { items: [denied, ok], next_cursor: null, stale: false, total: 0, total_capped: false } });
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

  it("searches, includes and excludes outcomes, counts, collapses repeated denials and opens a row's detail", async () => {
    const flood = makeAuditEvent({ actor: "mallory", action: "authz.deny", target: "control.jobs.operate", outcome: "denied", repeat: 40, first_at: "2026-11-26T23:00:00Z" });
    const job = makeAuditEvent({ actor: "admin", action: "job.create.tenant.drain", target: "job:j_77", outcome: "accepted", job_id: "j_77", trace_id: "0af7651916cd43dd8448eb211c80319c", detail: { kinds: ["aggregate"] } });
    const fake = installFakeApi({ audit: { items: [flood, job], next_cursor: null, stale: false, total: 10000, total_capped: true } });
    signInForTest();
    const { router } = renderApp("/audit");
    const table = await screen.findByRole("table", { name: "Audit events" });
    expect(screen.getByTestId("audit-total")).toHaveTextContent((10000).toLocaleString() + "+ events match");
    const floodRow = within(table).getAllByRole("row").find((r) => r.textContent?.includes("mallory"))!;
    expect(within(floodRow).getByTestId("repeat")).toHaveTextContent("×40");
    // every list request asks for the count and the collapsed denials by default
    const first = new URL(fake.requests.find((r) => r.url.includes("/admin/v1/audit?"))!.url);
    expect(first.searchParams.get("count")).toBe("true");
    expect(first.searchParams.get("collapse_denials")).toBe("true");

    await userEvent.type(screen.getByLabelText("Search"), "drain");
    await userEvent.click(within(screen.getByRole("group", { name: "Only these outcomes" })).getByLabelText("accepted"));
    await userEvent.click(within(screen.getByRole("group", { name: "Only these outcomes" })).getByLabelText("failed"));
    await userEvent.click(within(screen.getByRole("group", { name: "Hide these outcomes" })).getByLabelText("denied"));
    await userEvent.click(screen.getByLabelText("One row per run of repeated denials"));
    await waitFor(() => {
      const last = new URL(fake.requests.filter((r) => r.url.includes("/admin/v1/audit?")).at(-1)!.url);
      expect(last.searchParams.get("q")).toBe("drain");
      expect(last.searchParams.getAll("outcome").sort()).toEqual(["accepted", "failed"]);
      expect(last.searchParams.getAll("exclude_outcome")).toEqual(["denied"]);
      expect(last.searchParams.get("collapse_denials")).toBe("false");
    });
    // the filters live in the URL
    expect(router.state.location.search).toContain("outcome=failed%2Caccepted"); // in the order outcomes are listed
    expect(router.state.location.search).toContain("exclude=denied");

    const jobRow = within(table).getAllByRole("row").find((r) => r.textContent?.includes("job.create.tenant.drain"))!;
    await userEvent.click(within(jobRow).getByRole("button", { name: /^Details of job.create.tenant.drain/ }));
    const drawer = await screen.findByRole("dialog", { name: "Audit event job.create.tenant.drain" });
    const fields = within(drawer).getByLabelText("Audit event fields");
    expect(fields).toHaveTextContent("job:j_77");
    expect(fields).toHaveTextContent(job.request_id!);
    expect(fields).toHaveTextContent("0af7651916cd43dd8448eb211c80319c");
    expect(within(drawer).getByRole("region", { name: "Detail" })).toHaveTextContent('"aggregate"');
    expect(within(drawer).getByRole("link", { name: "Open the job" })).toHaveAttribute("href", "/jobs/j_77");
    expect(within(drawer).getByRole("link", { name: "Investigate the correlation id" })).toHaveAttribute(
      "href",
      expect.stringContaining(encodeURIComponent(job.correlation_id!)),
    );
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("filters by job id from the URL (the job page's link) and shows it in the form", async () => {
    const fake = installFakeApi({ audit: { items: [makeAuditEvent({ actor: "admin" })], next_cursor: null, stale: false, total: 0, total_capped: false } });
    signInForTest();
    renderApp("/audit?job_id=j_0123");
    await screen.findByRole("table", { name: "Audit events" });
    expect(screen.getByLabelText("Job ID")).toHaveValue("j_0123");
    const url = new URL(fake.requests.find((r) => r.url.includes("/admin/v1/audit?"))!.url);
    expect(url.searchParams.get("job_id")).toBe("j_0123");
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
