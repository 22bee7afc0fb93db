import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { TenantSummary } from "@/api";
import { currentTenant } from "@/lib";
import { installFakeApi } from "@/test/fake-api";
import { renderApp, signInForTest } from "@/test/render";

const TENANTS = ["acme", "acme-labs", "hooli-eu", "stark-sa"];

function tenantsRoute(): [string, RegExp, (r: Request, url: URL) => { body: unknown }] {
  return [
    "GET",
    /^\/admin\/v1\/tenants$/,
    (_r, url) => {
      const q = url.searchParams.get("q") ?? "";
      const items: TenantSummary[] = TENANTS.filter((t) => t.includes(q)).map((tenant_id) => ({ tenant_id, placement: {} }) as TenantSummary);
      return { body: { items, next_cursor: null, revisions: {}, stale: false, total: items.length } };
    },
  ];
}

const pathOf = (r: Request) => new URL(r.url).pathname;

describe("header tenant picker", () => {
  it("suggests tenants as you type (substring search) and sets the one picked with the keyboard", async () => {
    const fake = installFakeApi({ routes: [tenantsRoute()] });
    signInForTest();
    const { router } = renderApp("/jobs");
    const picker = await screen.findByRole("combobox", { name: /Current tenant/ });
    await userEvent.click(picker);
    await userEvent.type(picker, "acm");
    const list = await screen.findByRole("listbox", { name: "Tenants" });
    await waitFor(() => expect(within(list).getAllByRole("option").map((o) => o.textContent)).toEqual(["acme", "acme-labs"]));
    const search = fake.requests.filter((r) => pathOf(r) === "/admin/v1/tenants").map((r) => new URL(r.url).searchParams).at(-1)!;
    expect(search.get("q")).toBe("acm");
    expect(search.get("match")).toBe("substring");
    await userEvent.keyboard("{ArrowDown}{ArrowDown}");
    expect(picker).toHaveAttribute("aria-activedescendant", within(list).getAllByRole("option")[1]!.id);
    await userEvent.keyboard("{Enter}");
    await waitFor(() => expect(router.state.location.search).toContain("tenant=acme-labs"));
    expect(currentTenant.get()).toBe("acme-labs");
    expect(picker).toHaveValue("acme-labs");
    expect(screen.queryByRole("listbox")).not.toBeInTheDocument();
  });

  it("scopes Jobs, Audit and the Overview to the chosen tenant, and clears back to all", async () => {
    const fake = installFakeApi({ routes: [tenantsRoute()] });
    signInForTest();
    currentTenant.set("hooli-eu");
    const { router } = renderApp("/jobs?tenant=hooli-eu");
    await screen.findByRole("table", { name: "Jobs" });
    const lastQuery = (path: string) => new URL(fake.requests.filter((r) => pathOf(r) === path).at(-1)!.url).searchParams;
    await waitFor(() => expect(lastQuery("/admin/v1/jobs").get("tenant_id")).toBe("hooli-eu"));
    expect(screen.getByText("From the header")).toBeInTheDocument();

    await router.navigate("/audit?tenant=hooli-eu");
    await screen.findByRole("table", { name: "Audit events" });
    await waitFor(() => expect(lastQuery("/admin/v1/audit").get("tenant_id")).toBe("hooli-eu"));

    await router.navigate("/?tenant=hooli-eu");
    expect(await screen.findByRole("region", { name: "Recent jobs of hooli-eu" })).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Recent denials of hooli-eu" })).toBeInTheDocument();
    expect(lastQuery("/admin/v1/jobs").get("tenant_id")).toBe("hooli-eu");

    await userEvent.click(screen.getByRole("button", { name: "Clear tenant hooli-eu (show all tenants)" }));
    await waitFor(() => expect(router.state.location.search).not.toContain("tenant="));
    expect(await screen.findByRole("region", { name: "Recent jobs" })).toBeInTheDocument();
    await waitFor(() => expect(lastQuery("/admin/v1/jobs").get("tenant_id")).toBeNull());
  });

  it("lets the page's own Tenant filter override the header's", async () => {
    const fake = installFakeApi({ routes: [tenantsRoute()] });
    signInForTest();
    currentTenant.set("hooli-eu");
    renderApp("/jobs?tenant=hooli-eu&tenant_id=stark-sa");
    await screen.findByRole("table", { name: "Jobs" });
    await waitFor(() => expect(new URL(fake.requests.filter((r) => pathOf(r) === "/admin/v1/jobs").at(-1)!.url).searchParams.get("tenant_id")).toBe("stark-sa"));
  });
});
