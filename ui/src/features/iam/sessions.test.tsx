import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { VIEWER_RIGHTS, whoami } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";
import { filterSessions } from "./model";

const soon = Math.floor(Date.now() / 1000) + 600;
const later = Math.floor(Date.now() / 1000) + 8 * 3600;
const sessions = [
  { id: "ses_1", principal_id: "viewer", created_at: 1795740067, expires_at: later, status: "active", method: "password" },
  { id: "ses_2", principal_id: "viewer", created_at: 1795740000, expires_at: soon, status: "active", method: "sso" },
  { id: "ses_old", principal_id: "viewer", created_at: 1795700000, expires_at: later, status: "revoked", method: "dev" },
  { id: "sess-admin", principal_id: "admin", created_at: 1795740067, expires_at: later, status: "active", method: "dev" },
];

describe("Sessions", () => {
  it("revokes a session after confirmation and links the change's audit events", async () => {
    const fake = installFakeApi({
      iam: { sessions },
      routes: [["POST", /^\/admin\/v1\/iam\/sessions\/ses_1\/revoke$/, () => ({ body: { id: "ses_1", status: "revoked" }, headers: { "x-correlation-id": "corr-rev" } })]],
    });
    signInForTest();
    renderApp("/sessions");
    const revoke = await screen.findByRole("button", { name: "Revoke session ses_1" });
    await waitFor(() => expect(revoke).not.toHaveAttribute("aria-disabled"));
    // Relative, with the absolute time on hover.
    expect(screen.getAllByTitle(/^2026-11-27 00:41:07 UTC/)[0]).toHaveTextContent(/ago$/);
    await userEvent.click(revoke);
    const dialog = screen.getByRole("dialog", { name: "Revoke session" });
    expect(dialog).toHaveTextContent("ses_1");
    await userEvent.click(within(dialog).getByRole("button", { name: "Revoke session" }));
    await waitFor(() => expect(fake.requests.some((r) => r.method === "POST" && r.url.endsWith("/iam/sessions/ses_1/revoke"))).toBe(true));
    expect(await screen.findByText(/Session ses_1 revoked/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "view its audit events" })).toHaveAttribute("href", "/audit?correlation_id=corr-rev");
  });

  it("marks the current session and protects it from a one-click revoke", async () => {
    installFakeApi({ iam: { sessions } });
    signInForTest();
    renderApp("/sessions");
    const mine = await screen.findByRole("button", { name: "Revoke session sess-admin" });
    await waitFor(() => expect(mine).toHaveAccessibleDescription(/This is your own session/));
    expect(screen.getByText("This session")).toBeInTheDocument();
    // Revoked sessions offer no revoke at all.
    expect(screen.queryByRole("button", { name: "Revoke session ses_old" })).not.toBeInTheDocument();
  });

  it("revokes every session of a user only once the user id is typed", async () => {
    const fake = installFakeApi({
      iam: { sessions },
      routes: [["POST", /^\/admin\/v1\/iam\/users\/viewer\/sessions\/revoke$/, () => ({ body: { items: [] } })]],
    });
    signInForTest();
    renderApp("/sessions?user=viewer");
    const all = await screen.findByRole("button", { name: "Revoke all sessions of viewer" });
    await waitFor(() => expect(all).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(all);
    const dialog = screen.getByRole("dialog", { name: "Revoke all sessions" });
    expect(dialog).toHaveTextContent("2 active session(s) of viewer");
    const confirm = within(dialog).getByRole("button", { name: "Revoke all sessions" });
    expect(confirm).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText("Type viewer to confirm"), "viewer");
    await userEvent.click(confirm);
    await waitFor(() => expect(fake.requests.some((r) => r.url.endsWith("/iam/users/viewer/sessions/revoke"))).toBe(true));
  });

  it("filters by user, active and expiring soon", () => {
    const parsed = sessions.map((s) => ({
      id: s.id,
      principalId: s.principal_id,
      createdAt: null,
      expiresAt: new Date(s.expires_at * 1000).toISOString(),
      status: s.status,
    }));
    expect(filterSessions(parsed, { user: "viewer", active: "", soon: "" }).map((s) => s.id)).toEqual(["ses_1", "ses_2", "ses_old"]);
    expect(filterSessions(parsed, { user: "viewer", active: "1", soon: "" }).map((s) => s.id)).toEqual(["ses_1", "ses_2"]);
    expect(filterSessions(parsed, { user: "", active: "", soon: "1" }).map((s) => s.id)).toEqual(["ses_2"]);
  });

  it("disables revoke without control.iam.write", async () => {
    installFakeApi({ iam: { sessions }, whoami: whoami(VIEWER_RIGHTS, "viewer") });
    signInForTest("viewer");
    renderApp("/sessions");
    const revoke = await screen.findByRole("button", { name: "Revoke session sess-admin" });
    await waitFor(() => expect(revoke).toHaveAccessibleDescription("Requires the right control.iam.write"));
  });

  it("shows a permission panel naming the missing right when the API refuses", async () => {
    installFakeApi({
      routes: [
        [
          "GET",
          /^\/admin\/v1\/iam\/sessions$/,
          () => ({
            status: 403,
            headers: { "content-type": "application/problem+json" },
            body: { type: "about:blank", title: "Forbidden", status: 403, code: "forbidden", missing_right: "control.iam.read", scope: "platform", request_id: "r-403", correlation_id: "c-403" },
          }),
        ],
      ],
    });
    signInForTest();
    renderApp("/sessions");
    const panel = await screen.findByRole("alert", { name: "Permission denied" });
    expect(panel).toHaveTextContent("control.iam.read platform-wide");
    expect(panel).toHaveTextContent("r-403");
    expect(panel).toHaveTextContent("c-403");
  });
});
