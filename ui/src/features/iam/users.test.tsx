import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFakeApi, problem } from "@/test/fake-api";
import { VIEWER_RIGHTS, whoami } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";

const users = Array.from({ length: 30 }, (_, i) => ({
  id: `user-${String(i).padStart(2, "0")}`,
  name: `User ${i}`,
  roles: ["viewer"],
  bindings: [{ role: "viewer", tenants: null }],
  disabled: false,
  has_password: i % 2 === 0,
}));
const kim = {
  id: "kim",
  name: "Kim",
  roles: ["tenant-operator"],
  bindings: [{ role: "tenant-operator", tenants: ["acme-eu"] }],
  disabled: false,
  has_password: true,
};
const roles = [
  { name: "viewer", rights: ["control.access"] },
  { name: "tenant-operator", rights: ["control.tenants.operate"] },
];

function body(request: Request): Promise<unknown> {
  return request.clone().json();
}

describe("Users", () => {
  it("searches and pages the Gateway's users", async () => {
    installFakeApi({ iam: { users: { items: users } } });
    signInForTest();
    renderApp("/users");
    expect(await screen.findByText("Page 1 of 2 · 30 users")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "user-24" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "user-25" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByRole("link", { name: "user-29" })).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Search users"), "User 7");
    expect(await screen.findByText("Page 1 of 1 · 1 users")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "user-07" })).toHaveAttribute("href", "/users/user-07");
  });

  it("creates a user, then opens it with a link to the audit events", async () => {
    const fake = installFakeApi({
      iam: { users: { items: [] }, roles },
      routes: [
        ["POST", /^\/admin\/v1\/iam\/users$/, () => ({ status: 201, body: kim, headers: { "x-correlation-id": "corr-new" } })],
        ["GET", /^\/admin\/v1\/iam\/users\/kim$/, () => ({ body: kim })],
      ],
    });
    signInForTest();
    renderApp("/users");
    const create = await screen.findByRole("button", { name: "Create user" });
    await waitFor(() => expect(create).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(create);
    const dialog = screen.getByRole("dialog", { name: "Create user" });
    await userEvent.type(within(dialog).getByLabelText("User id"), "kim");
    await userEvent.type(within(dialog).getByLabelText("Display name"), "Kim");
    await userEvent.type(within(dialog).getByLabelText("Initial password (optional)"), "a long password");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create user" }));
    expect(await screen.findByRole("heading", { level: 1, name: "User" })).toBeInTheDocument();
    expect(await screen.findByText(/User kim created/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "view its audit events" })).toHaveAttribute("href", "/audit?correlation_id=corr-new");
    const sent = fake.requests.find((r) => r.method === "POST" && r.url.endsWith("/iam/users"))!;
    expect(await body(sent)).toEqual({ id: "kim", name: "Kim", password: "a long password" });
  });

  it("binds a role on some tenants and shows the Gateway's refusal text", async () => {
    const fake = installFakeApi({
      iam: { roles },
      routes: [
        ["GET", /^\/admin\/v1\/iam\/users\/kim$/, () => ({ body: kim })],
        ["PUT", /^\/admin\/v1\/iam\/users\/kim\/bindings\/viewer$/, () => ({ status: 201, body: { role: "viewer", tenants: ["acme-us", "globex"] } })],
        [
          "DELETE",
          /^\/admin\/v1\/iam\/users\/kim\/bindings\/tenant-operator$/,
          () => problem(409, { title: "Conflict", code: "self_lockout", detail: "a principal cannot change its own role bindings" }),
        ],
      ],
    });
    signInForTest();
    renderApp("/users/kim");
    expect(await screen.findByText("tenants acme-eu")).toBeInTheDocument();
    const form = screen.getByRole("form", { name: "Bind a role" });
    await within(form).findByRole("option", { name: "viewer" });
    await userEvent.selectOptions(within(form).getByLabelText("Role"), "viewer");
    await userEvent.click(within(form).getByLabelText("Only these tenants"));
    await userEvent.type(within(form).getByLabelText("Tenants"), "acme-us, globex acme-us");
    await userEvent.click(within(form).getByRole("button", { name: "Bind role" }));
    await waitFor(() => expect(fake.requests.some((r) => r.method === "PUT")).toBe(true));
    expect(await body(fake.requests.find((r) => r.method === "PUT")!)).toEqual({ tenants: ["acme-us", "globex"] });
    expect(await screen.findByText(/Role viewer bound to kim \(tenants acme-us, globex\)/)).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Unbind tenant-operator" }));
    const dialog = screen.getByRole("dialog", { name: "Unbind role" });
    await userEvent.type(within(dialog).getByLabelText("Type kim to confirm"), "kim");
    await userEvent.click(within(dialog).getByRole("button", { name: "Unbind role" }));
    expect(await within(dialog).findByText(/a principal cannot change its own role bindings/)).toBeInTheDocument();
    expect(within(dialog).getByText("(self_lockout)")).toBeInTheDocument();
  });

  it("disables a user only once the user id is typed", async () => {
    const fake = installFakeApi({
      iam: { roles, sessions: [] },
      routes: [
        ["GET", /^\/admin\/v1\/iam\/users\/kim$/, () => ({ body: kim })],
        ["PATCH", /^\/admin\/v1\/iam\/users\/kim$/, () => ({ body: { ...kim, disabled: true } })],
      ],
    });
    signInForTest();
    renderApp("/users/kim");
    const disable = await screen.findByRole("button", { name: "Disable user" });
    await waitFor(() => expect(disable).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(disable);
    const dialog = screen.getByRole("dialog", { name: "Disable user" });
    const confirm = within(dialog).getByRole("button", { name: "Disable user" });
    await userEvent.type(within(dialog).getByLabelText("Type kim to confirm"), "ki");
    expect(confirm).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText("Type kim to confirm"), "m");
    await userEvent.click(confirm);
    await waitFor(() => expect(fake.requests.some((r) => r.method === "PATCH")).toBe(true));
    expect(await body(fake.requests.find((r) => r.method === "PATCH")!)).toEqual({ disabled: true });
    expect(await screen.findByText(/User kim disabled; every session revoked/)).toBeInTheDocument();
  });

  it("renames a user", async () => {
    const fake = installFakeApi({
      iam: { roles, sessions: [] },
      routes: [
        ["GET", /^\/admin\/v1\/iam\/users\/kim$/, () => ({ body: kim })],
        ["PATCH", /^\/admin\/v1\/iam\/users\/kim$/, () => ({ body: { ...kim, name: "Kim Lee" } })],
      ],
    });
    signInForTest();
    renderApp("/users/kim");
    const rename = await screen.findByRole("button", { name: "Rename" });
    await waitFor(() => expect(rename).not.toHaveAttribute("aria-disabled"));
    await userEvent.click(rename);
    const dialog = screen.getByRole("dialog", { name: "Rename user" });
    await userEvent.clear(within(dialog).getByLabelText("Display name"));
    await userEvent.type(within(dialog).getByLabelText("Display name"), "Kim Lee");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save name" }));
    await waitFor(() => expect(fake.requests.some((r) => r.method === "PATCH")).toBe(true));
    expect(await body(fake.requests.find((r) => r.method === "PATCH")!)).toEqual({ name: "Kim Lee" });
    expect(await screen.findByText(/kim renamed to Kim Lee/)).toBeInTheDocument();
  });

  it("offers a viewer every page and no change control", async () => {
    installFakeApi({
      whoami: whoami(VIEWER_RIGHTS, "viewer"),
      iam: { roles, sessions: [] },
      routes: [["GET", /^\/admin\/v1\/iam\/users\/kim$/, () => ({ body: kim })]],
    });
    signInForTest("viewer");
    renderApp("/users/kim");
    for (const name of ["Disable user", "Rename", "Set password", "Unbind tenant-operator"]) {
      const button = await screen.findByRole("button", { name });
      await waitFor(() => expect(button).toHaveAccessibleDescription("Requires the right control.iam.write"));
    }
  });
});
