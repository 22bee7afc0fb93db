import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFakeApi } from "../../test/fake-api";
import { makeJob } from "../../test/fixtures";
import { renderApp, signInForTest } from "../../test/render";

describe("Tenant selector", () => {
  it("keeps ?tenant= in the URL and sends x-tenant-id on IAM calls", async () => {
    const fake = installFakeApi({ iam: { users: [{ id: "u1", name: "Ada", roles: ["admin"] }] } });
    signInForTest();
    const { router } = renderApp("/users?tenant=acme");
    expect(await screen.findByText("Ada")).toBeInTheDocument();
    const call = fake.requests.find((r) => r.url.endsWith("/iam/users"))!;
    expect(call.headers.get("x-tenant-id")).toBe("acme");
    await userEvent.click(screen.getByRole("link", { name: "Sessions" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/sessions"));
    expect(router.state.location.search).toContain("tenant=acme");
  });
});

describe("Tenants", () => {
  it("says the tenant list is not available and shows the chosen tenant's activity", async () => {
    const job = makeJob({ id: "job-tenant", tenant_id: "acme" });
    const fake = installFakeApi({ jobs: [job] });
    signInForTest();
    renderApp("/tenants?tenant=acme");
    expect(await screen.findByText("Not available yet: this page needs the Tenants API.")).toBeInTheDocument();
    expect(await screen.findByText("job-tenant")).toBeInTheDocument();
    const call = fake.requests.find((r) => r.url.endsWith("/tenant/activity"))!;
    expect(call.headers.get("x-tenant-id")).toBe("acme");
  });
});
