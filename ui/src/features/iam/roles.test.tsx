import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { renderApp, signInForTest } from "@/test/render";

const catalog = [
  { right: "control.access", area: "Console", description: "Use the control plane at all" },
  { right: "control.tenants.read", area: "Tenants", description: "Read tenants" },
  { right: "control.tenants.operate", area: "Tenants", description: "Drain, resume and migrate tenants" },
];
const roles = [
  { name: "viewer", rights: ["control.access"], description: "Read-only" },
  { name: "auditor", rights: ["control.access"], description: "" },
];
const users = [{ id: "ann", roles: ["viewer"], bindings: [{ role: "viewer", tenants: null }] }];

describe("Roles", () => {
  it("shows the catalog by area, who holds each role, and deletes only unbound roles", async () => {
    const fake = installFakeApi({
      iam: { roles: { items: roles }, users: { items: users } },
      routes: [
        ["GET", /^\/admin\/v1\/rights$/, () => ({ body: catalog })],
        ["DELETE", /^\/admin\/v1\/iam\/roles\/auditor$/, () => ({ status: 204 })],
      ],
    });
    signInForTest();
    renderApp("/roles");
    const catalogSection = await screen.findByRole("heading", { name: "Rights catalog" });
    expect(catalogSection).toBeInTheDocument();
    expect(await screen.findByText("Drain, resume and migrate tenants")).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 3, name: "Tenants" })).toBeInTheDocument();
    const deleteViewer = await screen.findByRole("button", { name: "Delete viewer" });
    await waitFor(() => expect(deleteViewer).toHaveAccessibleDescription("Still bound to ann: unbind it first"));
    await userEvent.click(screen.getByRole("button", { name: "Delete auditor" }));
    const dialog = screen.getByRole("dialog", { name: "Delete role" });
    await userEvent.type(within(dialog).getByLabelText("Type auditor to confirm"), "auditor");
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete role" }));
    await waitFor(() => expect(fake.requests.some((r) => r.method === "DELETE")).toBe(true));
    expect(await screen.findByText(/Role auditor deleted/)).toBeInTheDocument();
  });

  it("creates a role from the checklist", async () => {
    const fake = installFakeApi({
      iam: { roles: { items: roles }, users: { items: users } },
      routes: [
        ["GET", /^\/admin\/v1\/rights$/, () => ({ body: catalog })],
        ["POST", /^\/admin\/v1\/iam\/roles$/, () => ({ status: 201, body: {} })],
      ],
    });
    signInForTest();
    renderApp("/roles");
    const create = await screen.findByRole("button", { name: "Create role" });
    await waitFor(() => expect(create).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(create);
    const dialog = screen.getByRole("dialog", { name: "Create role" });
    await userEvent.type(within(dialog).getByLabelText("Role name"), "acme-ops");
    await userEvent.type(within(dialog).getByLabelText("Description"), "Operates Acme");
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /control\.tenants\.operate/ }));
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /control\.tenants\.read/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Create role" }));
    await waitFor(() => expect(fake.requests.some((r) => r.method === "POST")).toBe(true));
    const sent = await fake.requests.find((r) => r.method === "POST")!.clone().json();
    expect(sent).toEqual({ name: "acme-ops", rights: ["control.tenants.operate", "control.tenants.read"], description: "Operates Acme" });
  });
});
