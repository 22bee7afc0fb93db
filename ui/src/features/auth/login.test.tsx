import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { defaultUiConfig, installFakeApi, problem } from "@/test/fake-api";
import { renderApp, signInForTest } from "@/test/render";
import { session, signOut } from "@/session";

afterEach(() => signOut());

const answer = () => ({
  access_token: "pw-token",
  token_type: "Bearer",
  expires_at: Math.floor(Date.now() / 1000) + 900,
  session_id: "ses_pw",
  principal_id: "pat",
  refresh_expires_at: Math.floor(Date.now() / 1000) + 3600,
});

describe("Login", () => {
  it("signs in with a password and keeps only the access token", async () => {
    const fake = installFakeApi({ routes: [["POST", /^\/admin\/v1\/session\/login$/, () => ({ body: answer() })]] });
    renderApp("/login");
    await userEvent.type(await screen.findByLabelText("User name"), "pat");
    await userEvent.type(screen.getByLabelText("Password"), "a long password");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Overview" })).toBeInTheDocument();
    const sent = await fake.requests.find((r) => r.url.endsWith("/session/login"))!.clone().json();
    expect(sent).toEqual({ username: "pat", password: "a long password" });
    expect(session.get()).toMatchObject({ token: "pw-token", refreshable: true });
    expect(JSON.stringify({ ...sessionStorage, ...localStorage })).not.toContain("refresh_token");
  });

  it("shows the Gateway's refusal text (rate limited)", async () => {
    installFakeApi({
      routes: [
        [
          "POST",
          /^\/admin\/v1\/session\/login$/,
          () => problem(429, { title: "Too many failed sign-ins", code: "too_many_attempts", detail: "try again in 300 s" }),
        ],
      ],
    });
    renderApp("/login");
    await userEvent.type(await screen.findByLabelText("User name"), "pat");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText(/try again in 300 s/)).toBeInTheDocument();
    expect(session.get()).toBeNull();
  });

  it("offers SSO and the demo's principals when the API says so", async () => {
    installFakeApi({ uiConfig: { ...defaultUiConfig, sso: { authorize_url: "http://gw/auth/v1/sso/authorize", client_id: "c" } } });
    renderApp("/login");
    expect(await screen.findByRole("button", { name: "Sign in with single sign-on" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Sign in as acme-operator" })).toBeInTheDocument();
    expect(screen.getByText("Advanced: paste an access token")).toBeInTheDocument();
  });

  it("signs out by revoking the session through the API", async () => {
    const fake = installFakeApi({ routes: [["POST", /^\/admin\/v1\/session\/logout$/, () => ({ status: 204 })]] });
    signInForTest();
    renderApp("/settings");
    await userEvent.click(await screen.findByRole("button", { name: "Sign out" }));
    await waitFor(() => expect(session.get()).toBeNull());
    const logout = fake.requests.find((r) => r.url.endsWith("/session/logout"))!;
    expect(logout.headers.get("authorization")).toBe("Bearer token-admin");
    expect(await screen.findByText("You signed out.")).toBeInTheDocument();
  });
});
