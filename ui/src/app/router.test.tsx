import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { installFakeApi, problem } from "@/test/fake-api";
import { makeAuditEvent, makeJob } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";
import { PAGE_ROUTES } from "./pages";

// Pages still waiting for their API (none today): each says so instead of failing.
const NOT_AVAILABLE: Record<string, string> = {};

describe("every route renders against a mocked API", () => {
  const job = makeJob({ id: "job-route-test" });
  const concrete = (path: string) => path.replace(":jobId", job.id).replace(":tenantId", "acme").replace(":deploymentId", "dep-route-test").replace(":domain", "routing").replace(":name", "gateway");

  it.each(PAGE_ROUTES.map((p) => [p.path, p.heading] as const))("%s shows its heading", async (path, heading) => {
    const errors = vi.spyOn(console, "error");
    installFakeApi({ jobs: [job], audit: { items: [makeAuditEvent()], next_cursor: null, stale: false, total: 0, total_capped: false } });
    signInForTest();
    renderApp(concrete(path));
    const h1 = await screen.findByRole("heading", { level: 1 }, { timeout: 5000 });
    await waitFor(() => expect(h1.textContent).toContain(heading));
    expect(screen.queryByText("This page failed to render")).not.toBeInTheDocument();
    if (NOT_AVAILABLE[path]) {
      expect(screen.getByText(`Not available yet: this page needs the ${NOT_AVAILABLE[path]} API.`)).toBeInTheDocument();
    }
    expect(errors).not.toHaveBeenCalled();
  });

  it("sends visitors without a token to the login page", async () => {
    installFakeApi();
    renderApp("/jobs");
    expect(await screen.findByRole("button", { name: "Sign in as admin" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Sign in as viewer" })).toBeInTheDocument();
  });

  it("hides dev login when the API disables it", async () => {
    installFakeApi({ uiConfig: { dev_login_enabled: false, version: "1", git_sha: "x", grafana_base_url: null, password_login_enabled: false } });
    renderApp("/login");
    expect(await screen.findByLabelText("Access token")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Sign in as admin" })).not.toBeInTheDocument();
  });

  it("on 401 clears the token and returns to /login with a message", async () => {
    installFakeApi({
      routes: [["GET", /^\/admin\/v1\/whoami$/, () => problem(401, { title: "Unauthorized", code: "token_expired" })]],
    });
    signInForTest();
    const { router } = renderApp("/settings");
    expect(await screen.findByText(/Your session is no longer valid/)).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
    expect(sessionStorage.length).toBe(0);
  });

  it("shows a not-found page for unknown paths", async () => {
    installFakeApi();
    signInForTest();
    renderApp("/no-such-page");
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();
  });
});
