import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { installFakeApi, problem } from "@/test/fake-api";
import { renderApp, signInForTest } from "@/test/render";

const operator = {
  principal_id: "acme-operator",
  session_id: "sess-acme-operator",
  rights: ["control.access"],
  tenant_rights: {
    "control.tenants.read": ["acme-eu", "acme-us"],
    "control.tenants.operate": ["acme-eu", "acme-us"],
    "control.jobs.read": ["acme-eu", "acme-us"],
    "control.jobs.run": ["acme-eu", "acme-us"],
  },
};

describe("A tenant-scoped operator", () => {
  it("may operate a tenant in scope", async () => {
    installFakeApi({ whoami: operator });
    signInForTest("acme-operator");
    renderApp("/tenants/acme-eu");
    const drain = await screen.findByRole("button", { name: "Drain" });
    await waitFor(() => expect(drain).not.toHaveAttribute("aria-disabled"));
  });

  it("is refused another tenant's page with a message naming the tenant", async () => {
    installFakeApi({
      whoami: operator,
      routes: [
        [
          "GET",
          /^\/admin\/v1\/tenants\/hooli-eu$/,
          () => problem(403, { title: "Missing right", code: "forbidden", missing_right: "control.tenants.read", scope: "tenant:hooli-eu" }),
        ],
      ],
    });
    signInForTest("acme-operator");
    renderApp("/tenants/hooli-eu");
    const panel = await screen.findByRole("alert", { name: "Permission denied" });
    expect(panel).toHaveTextContent("control.tenants.read on tenant hooli-eu (this tenant is outside your scope)");
  });

  it("sees platform-wide actions disabled, naming the tenants it holds the right on", async () => {
    installFakeApi({ whoami: operator });
    signInForTest("acme-operator");
    renderApp("/jobs");
    const run = await screen.findByRole("button", { name: /Run platform verification/ });
    await waitFor(() =>
      expect(run).toHaveAccessibleDescription("Requires the right control.jobs.run platform-wide (you hold it on acme-eu, acme-us)"),
    );
  });
});
