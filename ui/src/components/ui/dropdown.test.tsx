import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Dropdown } from "./dropdown";

describe("Dropdown", () => {
  it("opens a menu, moves with the arrow keys, selects with Enter and closes on Escape", async () => {
    const settings = vi.fn();
    const signOut = vi.fn();
    render(
      <Dropdown
        label="Account"
        items={[
          { label: "Settings", onSelect: settings },
          { label: "Sign out", onSelect: signOut },
        ]}
      />,
    );
    const trigger = screen.getByRole("button", { name: /Account/ });
    await userEvent.click(trigger);
    expect(trigger).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByRole("menuitem", { name: "Settings" })).toHaveFocus();
    await userEvent.keyboard("{ArrowDown}");
    expect(screen.getByRole("menuitem", { name: "Sign out" })).toHaveFocus();
    await userEvent.keyboard("{Enter}");
    expect(signOut).toHaveBeenCalledOnce();
    expect(screen.queryByRole("menu")).not.toBeInTheDocument();

    await userEvent.click(trigger);
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("menu")).not.toBeInTheDocument();
    expect(trigger).toHaveFocus();
    expect(settings).not.toHaveBeenCalled();
  });
});
