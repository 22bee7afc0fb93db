import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ApiError } from "@/api";
import { ErrorState } from "./states";
import { ToastProvider } from "./toast";
import { useToast } from "./toast-context";

const forbidden = new ApiError({
  status: 403,
  title: "Forbidden",
  requestId: "req-123",
  correlationId: "corr-456",
  missingRight: "control.jobs.run",
});

describe("error UX", () => {
  it("names the missing right on 403 and shows copyable ids", async () => {
    render(<ErrorState error={forbidden} />);
    const panel = screen.getByRole("alert", { name: "Permission denied" });
    expect(panel).toHaveTextContent("control.jobs.run");
    expect(panel).toHaveTextContent("req-123");
    expect(panel).toHaveTextContent("corr-456");
    await userEvent.click(screen.getByRole("button", { name: "Copy Request ID" }));
    expect(navigator.clipboard.writeText).toHaveBeenCalledWith("req-123");
    expect(await screen.findAllByText("Copied")).toHaveLength(1);
    await userEvent.click(screen.getByRole("button", { name: "Copy Correlation ID" }));
    expect(navigator.clipboard.writeText).toHaveBeenCalledWith("corr-456");
  });

  it("shows title, detail, code and ids for other API errors, with a retry", async () => {
    let retried = 0;
    const error = new ApiError({ status: 502, title: "Upstream unavailable", detail: "Gateway down", code: "upstream_unavailable", requestId: "r1", correlationId: "c1" });
    render(<ErrorState error={error} onRetry={() => (retried += 1)} />);
    const panel = screen.getByRole("alert", { name: "Error" });
    expect(panel).toHaveTextContent("Upstream unavailable");
    expect(panel).toHaveTextContent("Gateway down");
    expect(panel).toHaveTextContent("upstream_unavailable");
    expect(screen.getByTestId("id-chip-request-id")).toHaveTextContent("r1");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(retried).toBe(1);
  });

  it("error toasts carry the request and correlation ids and stay until dismissed", async () => {
    function Trigger() {
      const toast = useToast();
      return <button onClick={() => toast.error(forbidden, "Could not start")}>Fail</button>;
    }
    render(
      <ToastProvider>
        <Trigger />
      </ToastProvider>,
    );
    await userEvent.click(screen.getByRole("button", { name: "Fail" }));
    const toast = screen.getByRole("alert");
    expect(toast).toHaveTextContent("Could not start");
    expect(toast).toHaveTextContent("Missing right control.jobs.run");
    expect(toast).toHaveTextContent("req-123");
    expect(toast).toHaveTextContent("corr-456");
    await userEvent.click(screen.getByRole("button", { name: "Dismiss notification" }));
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});
