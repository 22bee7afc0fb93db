import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { VIEWER_RIGHTS, whoami } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";

const sessions = [{ id: "ses_1", principal_id: "viewer", created_at: 1795740067, expires_at: 1795743667, status: "active" }];

describe("Sessions", () => {
  it("revokes a session through the IAM pass-through after confirmation", async () => {
    const fake = installFakeApi({
      iam: { sessions },
      routes: [["POST", /^\/admin\/v1\/iam\/sessions\/ses_1\/revoke$/, () => ({ body: { revoked: true } })]],
    });
    signInForTest();
    renderApp("/sessions");
    const revoke = await screen.findByRole("button", { name: "Revoke" });
    await waitFor(() => expect(revoke).not.toHaveAttribute("aria-disabled"));
    // Relative, with the absolute time on hover.
    expect(screen.getByTitle(/^2026-11-27 00:41:07 UTC/)).toHaveTextContent(/ago$/);
    await userEvent.click(revoke);
    const dialog = screen.getByRole("dialog", { name: "Revoke session" });
    expect(dialog).toHaveTextContent("ses_1");
    await userEvent.click(within(dialog).getByRole("button", { name: "Revoke session" }));
    await waitFor(() => expect(fake.requests.some((r) => r.method === "POST" && r.url.endsWith("/iam/sessions/ses_1/revoke"))).toBe(true));
    expect(await screen.findByText("Session revoked")).toBeInTheDocument();
  });

  it("disables revoke without control.iam.write", async () => {
    installFakeApi({ iam: { sessions }, whoami: whoami(VIEWER_RIGHTS, "viewer") });
    signInForTest("viewer");
    renderApp("/sessions");
    const revoke = await screen.findByRole("button", { name: "Revoke" });
    await waitFor(() => expect(revoke).toHaveAccessibleDescription("Requires the right control.iam.write"));
  });

  it("shows a permission panel naming the missing right when the Gateway refuses", async () => {
    installFakeApi({
      routes: [
        [
          "GET",
          /^\/admin\/v1\/iam\/sessions$/,
          () => ({
            status: 403,
            headers: { "content-type": "application/problem+json" },
            body: { type: "about:blank", title: "Forbidden", status: 403, code: "forbidden", missing_right: "control.iam.read", request_id: "r-403", correlation_id: "c-403" },
          }),
        ],
      ],
    });
    signInForTest();
    renderApp("/sessions");
    const panel = await screen.findByRole("alert", { name: "Permission denied" });
    expect(panel).toHaveTextContent("control.iam.read");
    expect(panel).toHaveTextContent("r-403");
    expect(panel).toHaveTextContent("c-403");
  });
});
