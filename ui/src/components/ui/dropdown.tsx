import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { cn } from "@/lib";

export interface DropdownItem {
  label: string;
  onSelect: () => void;
  disabled?: boolean;
}

/** A menu button: arrow keys move, Enter selects, Esc or a click outside closes. */
export function Dropdown({
  label,
  items,
  header,
  align = "right",
}: {
  label: ReactNode;
  items: readonly DropdownItem[];
  header?: ReactNode;
  align?: "left" | "right";
}) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onPointer);
    root.current?.querySelector<HTMLElement>('[role="menuitem"]:not([aria-disabled="true"])')?.focus();
    return () => document.removeEventListener("mousedown", onPointer);
  }, [open]);

  const onMenuKeyDown = (event: React.KeyboardEvent) => {
    const entries = Array.from(
      root.current?.querySelectorAll<HTMLElement>('[role="menuitem"]:not([aria-disabled="true"])') ?? [],
    );
    const index = entries.indexOf(document.activeElement as HTMLElement);
    if (event.key === "ArrowDown") {
      event.preventDefault();
      entries[(index + 1) % entries.length]?.focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      entries[(index - 1 + entries.length) % entries.length]?.focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      setOpen(false);
      trigger.current?.focus();
    } else if (event.key === "Tab") {
      setOpen(false);
    }
  };

  return (
    <div ref={root} className="relative">
      <button
        ref={trigger}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        className="inline-flex h-9 items-center gap-1 rounded-md px-2 text-sm hover:bg-zinc-200 dark:hover:bg-zinc-800"
        onClick={() => setOpen((value) => !value)}
      >
        {label}
        <span aria-hidden="true">▾</span>
      </button>
      {open ? (
        <div
          id={menuId}
          role="menu"
          onKeyDown={onMenuKeyDown}
          className={cn(
            "absolute z-40 mt-1 min-w-48 rounded-md border border-zinc-200 bg-white p-1 shadow-lg dark:border-zinc-700 dark:bg-zinc-900",
            align === "right" ? "right-0" : "left-0",
          )}
        >
          {header ? <div className="px-2 py-1.5 text-xs text-zinc-600 dark:text-zinc-400">{header}</div> : null}
          {items.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              tabIndex={-1}
              aria-disabled={item.disabled || undefined}
              className="block w-full rounded px-2 py-1.5 text-left text-sm hover:bg-zinc-100 focus:bg-zinc-100 aria-disabled:opacity-50 dark:hover:bg-zinc-800 dark:focus:bg-zinc-800"
              onClick={() => {
                if (item.disabled) return;
                setOpen(false);
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
