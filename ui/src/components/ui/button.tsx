import { forwardRef, useId, type ButtonHTMLAttributes } from "react";
import { cn } from "@/lib";

type Variant = "primary" | "secondary" | "danger" | "ghost";
type Size = "sm" | "md";

const variants: Record<Variant, string> = {
  primary: "bg-sky-700 text-white hover:bg-sky-800 dark:bg-sky-700 dark:hover:bg-sky-800 dark:text-white",
  secondary:
    "border border-zinc-300 bg-white text-zinc-900 hover:bg-zinc-100 dark:border-zinc-600 dark:bg-zinc-800 dark:text-zinc-100 dark:hover:bg-zinc-700",
  danger: "bg-red-700 text-white hover:bg-red-800 dark:bg-red-700 dark:hover:bg-red-800",
  ghost: "text-zinc-700 hover:bg-zinc-200 dark:text-zinc-200 dark:hover:bg-zinc-800",
};

const sizes: Record<Size, string> = {
  sm: "h-7 px-2 text-xs",
  md: "h-9 px-3 text-sm",
};

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: Variant;
  size?: Size;
  /**
   * Why the action is unavailable (e.g. a missing right). The button stays focusable so
   * keyboard and screen-reader users can learn the reason, but does nothing.
   */
  disabledReason?: string | null;
}

export const Button = forwardRef<HTMLButtonElement, ButtonProps>(function Button(
  { variant = "secondary", size = "md", disabledReason, className, onClick, children, type, title, ...rest },
  ref,
) {
  const reasonId = useId();
  const blocked = Boolean(disabledReason);
  const button = (
    <button
      ref={ref}
      type={type ?? "button"}
      className={cn(
        "inline-flex items-center justify-center gap-1.5 rounded-md font-medium whitespace-nowrap transition-colors",
        "disabled:cursor-not-allowed disabled:opacity-50 aria-disabled:cursor-not-allowed aria-disabled:opacity-50",
        variants[variant],
        sizes[size],
        className,
      )}
      aria-disabled={blocked || undefined}
      aria-describedby={blocked ? reasonId : undefined}
      {...rest}
      title={disabledReason ?? title}
      onClick={blocked ? (event) => event.preventDefault() : onClick}
    >
      {children}
    </button>
  );
  // One tree shape whether or not the action is blocked, so the button keeps its identity
  // (and focus) when rights arrive.
  return (
    <span className="group relative inline-flex">
      {button}
      {blocked ? (
        <span
          id={reasonId}
          role="tooltip"
          className="pointer-events-none absolute top-full left-0 z-30 mt-1 hidden w-max max-w-xs rounded bg-zinc-900 px-2 py-1 text-xs text-white shadow group-focus-within:block group-hover:block dark:bg-zinc-100 dark:text-zinc-900"
        >
          {disabledReason}
        </span>
      ) : null}
    </span>
  );
});
