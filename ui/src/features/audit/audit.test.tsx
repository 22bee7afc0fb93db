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
