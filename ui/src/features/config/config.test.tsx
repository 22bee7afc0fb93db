import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFakeApi, problem } from "@/test/fake-api";
import { makePlan, routingDetail } from "@/test/config-fixtures";
import { makeJob, whoami } from "@/test/fixtures";
import { renderApp, signInForTest } from "@/test/render";
import { sideBySide } from "./components/diff-rows";

const PLAN = /^\/admin\/v1\/plans\/config\/routing\/gateway$/;
const APPLY = /^\/admin\/v1\/config\/routing\/gateway\/apply$/;

describe("config registry pages", () => {
  it("lists configs with their revision, sha256 and who changed them, filters in the URL", async () => {
    installFakeApi();
    signInForTest();
    const { router } = renderApp("/config?domain=routing");
    const link = await screen.findByRole("link", { name: "Config routing/gateway (platform)" });
    const row = link.closest("tr")!;
    expect(within(row).getByText("12")).toBeInTheDocument();
    expect(within(row).getByText("abababababab")).toBeInTheDocument();
    expect(within(row).getByText("alice")).toBeInTheDocument();
    expect(router.state.location.search).toContain("domain=routing");
  });

  it("shows the history with the job, the reason and a rollback for earlier revisions", async () => {
    installFakeApi();
    signInForTest();
    renderApp("/config/routing/gateway");
    const history = await screen.findByRole("list", { name: "History" });
    const newest = within(history).getByRole("listitem", { name: "Revision 12" });
    expect(within(newest).getByText("Reason: route acme to shard 2")).toBeInTheDocument();
    expect(within(newest).queryByRole("button", { name: /Roll back/ })).not.toBeInTheDocument();
    expect(within(history).getByRole("button", { name: "Roll back to revision 9" })).toBeInTheDocument();
    expect(screen.getByTestId("config-revision")).toHaveTextContent("12");
  });

  it("proposes the rollback a link names (?rollback=, from a drift item) and plans it only on click", async () => {
    const api = installFakeApi({
      routes: [["POST", /^\/admin\/v1\/plans\/config\/routing\/gateway\/rollback$/, () => ({ body: makePlan({ target_revision: "9" }) })]],
    });
    signInForTest();
    renderApp("/config/routing/gateway?rollback=9");
    const proposal = await screen.findByRole("region", { name: "Proposed rollback" });
    expect(proposal).toHaveTextContent("roll back to revision 9");
    const planned = () => api.requests.filter((r) => new URL(r.url).pathname.endsWith("/rollback"));
    expect(planned()).toHaveLength(0);
    await userEvent.click(within(proposal).getByRole("button", { name: "Plan the rollback to revision 9" }));
    await waitFor(() => expect(planned()).toHaveLength(1));
    expect(await planned()[0]!.clone().json()).toMatchObject({ target_revision: "9" });
  });

  it("plans the edited document and applies the plan's patch with an Idempotency-Key", async () => {
    const job = makeJob({ id: "j_" + "2".repeat(32), kind: "config.apply" });
    const api = installFakeApi({
      jobs: [job],
      routes: [
        ["POST", PLAN, () => ({ body: makePlan() })],
        ["POST", APPLY, () => ({ status: 202, body: job })],
      ],
    });
    signInForTest();
    const { router } = renderApp("/config/routing/gateway");
    await userEvent.click(await screen.findByRole("button", { name: "Plan" }));
    const result = await screen.findByRole("region", { name: "Plan result" });
    expect(within(result).getByText(/Ready to apply/)).toBeInTheDocument();
    const changes = within(result).getByRole("table", { name: "Routing changes" });
    expect(within(changes).getByText("aggregate-2 (placement)")).toBeInTheDocument();
    expect(within(result).getByRole("table", { name: "Diff, side by side" })).toHaveTextContent("globex");
    const planRequest = api.requests.find((r) => PLAN.test(new URL(r.url).pathname))!;
    expect(await planRequest.clone().json()).toMatchObject({ base_revision: "12", format: "json", document: routingDetail.document });

    await userEvent.click(within(result).getByRole("button", { name: "Apply…" }));
    const dialog = await screen.findByRole("dialog", { name: /^Apply: routing\/gateway/ });
    const submit = within(dialog).getByRole("button", { name: "Apply" });
    await userEvent.type(within(dialog).getByLabelText("Reason (required)"), "route globex");
    await userEvent.type(within(dialog).getByLabelText("Type the config's name (gateway) to confirm"), "gatewa");
    expect(submit).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText("Type the config's name (gateway) to confirm"), "y");
    await userEvent.click(submit);
    await waitFor(() => expect(router.state.location.pathname).toBe(`/jobs/${job.id}`));
    const apply = api.requests.find((r) => APPLY.test(new URL(r.url).pathname))!;
    expect(apply.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await apply.clone().json()).toEqual({
      reason: "route globex",
      confirm: "gateway",
      base_revision: "12",
      patch: makePlan().patch,
      plan_hash: makePlan().plan_hash,
    });
  });

  it("shows the findings of an invalid document and a stale plan's way out", async () => {
    let calls = 0;
    let details = 0;
    const moved = { ...routingDetail, revision: "13", document: '{"moved_by": "someone else"}' };
    installFakeApi({
      routes: [
        ["GET", /^\/admin\/v1\/config\/routing\/gateway$/, () => ({ body: ++details === 1 ? routingDetail : moved })],
        [
          "POST",
          PLAN,
          () =>
            ++calls === 1
              ? problem(422, {
                  title: "The config is invalid",
                  code: "config_invalid",
                  findings: [{ code: "config.routing.empty_directory", pointer: "/routes", message: "the route directory is empty", severity: "error" }],
                })
              : problem(409, { title: "Plan stale", code: "plan_stale", current_revision: "13" }),
        ],
      ],
    });
    signInForTest();
    renderApp("/config/routing/gateway");
    await userEvent.click(await screen.findByRole("button", { name: "Plan" }));
    expect(await screen.findByText("the route directory is empty", { exact: false })).toBeInTheDocument();
    expect(screen.getAllByRole("status").some((s) => s.textContent?.includes("Invalid: 1 error(s)."))).toBe(true);
    await userEvent.click(screen.getByRole("button", { name: "Plan" }));
    expect(await screen.findByText(/The config moved since you started editing/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Plan against the current revision" })).toBeInTheDocument();
    // Three ways, "Current" fetched again after the 409 (it showed the cached detail: the very
    // value the plan was made from).
    const three = await screen.findByRole("region", { name: "Three-way view" });
    await waitFor(() => expect(within(three).getByRole("heading", { name: "Current" }).parentElement).toHaveTextContent("moved_by"));
    expect(within(three).getByRole("heading", { name: "Your base" }).parentElement).not.toHaveTextContent("moved_by");
    expect(within(three).getByRole("heading", { name: "Yours" })).toBeInTheDocument();
    expect(details).toBeGreaterThanOrEqual(2);
  });

  it("lets a viewer plan but not apply", async () => {
    const viewer = whoami(["control.access", "control.config.read"], "viewer");
    installFakeApi({ whoami: viewer, routes: [["POST", PLAN, () => ({ body: makePlan() })]] });
    signInForTest();
    renderApp("/config/routing/gateway");
    await userEvent.click(await screen.findByRole("button", { name: "Plan" }));
    const result = await screen.findByRole("region", { name: "Plan result" });
    expect(within(result).getByRole("button", { name: "Apply…" })).toHaveAttribute("aria-disabled", "true");
    expect(screen.getByRole("button", { name: "Roll back to revision 9" })).toHaveAttribute("aria-disabled", "true");
  });

  it("pairs deletes and inserts side by side", () => {
    const rows = sideBySide({
      old_start: 1,
      old_lines: 3,
      new_start: 1,
      new_lines: 2,
      lines: [
        { op: "equal", old: 1, new: 1, text: "a" },
        { op: "delete", old: 2, new: null, text: "b" },
        { op: "delete", old: 3, new: null, text: "c" },
        { op: "insert", old: null, new: 2, text: "B" },
      ],
    });
    expect(rows.map((r) => [r.oldText, r.newText])).toEqual([
      ["a", "a"],
      ["b", "B"],
      ["c", null],
    ]);
  });
});

describe("definitions page", () => {
  it("lists each definition with its sha256 and where it is active", async () => {
    installFakeApi();
    signInForTest();
    renderApp("/definitions");
    const name = await screen.findByRole("button", { name: "Document of saga order-fulfilment v2" });
    const row = name.closest("tr")!;
    expect(within(row).getByText("777777777777")).toBeInTheDocument();
    expect(within(row).getByRole("link", { name: "platform" })).toHaveAttribute("href", "/config/runner.activation/activation");
    expect(screen.getByText(/runner-1: platform at revision 3/)).toBeInTheDocument();
  });
});
