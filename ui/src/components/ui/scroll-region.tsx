import type { ReactNode } from "react";
import { cn } from "@/lib";

/**
 * A box that scrolls sideways when its content (a table) is wider than it. It can take focus and
 * is a named region, so a keyboard user can scroll it too (axe: scrollable-region-focusable).
 */
export function ScrollRegion({ label, className, children }: { label: string; className?: string; children: ReactNode }) {
  return (
    <div tabIndex={0} role="region" aria-label={`${label} (scrollable)`} className={cn("overflow-x-auto", className)}>
      {children}
    </div>
  );
}
