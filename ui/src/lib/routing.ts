import type { ComponentType, LazyExoticComponent } from "react";

/** The groups of the main navigation, in the order the shell shows them. */
export const NAV_GROUPS = ["Operate", "Tenants & access", "Platform", "Console"] as const;
export type NavGroup = (typeof NAV_GROUPS)[number];

/**
 * One page of the console, declared by its feature in `features/<area>/routes.tsx` and listed
 * once in `app/route-registry.ts`. The shell builds the router and the navigation from these.
 */
export interface FeatureRoute {
  /** Absolute path, with `:params` (e.g. `/jobs/:jobId`). */
  path: string;
  /** The `<h1>` the page shows (the route smoke tests check it). */
  heading: string;
  /** The page, always lazy: each page is its own chunk. */
  page: LazyExoticComponent<ComponentType>;
  /** Shown in the main navigation; `order` sorts the items of one group. */
  nav?: { group: NavGroup; label: string; order: number };
  /** Rendered outside the signed-in shell (only /login). */
  public?: boolean;
}

/**
 * A piece of the signed-in shell that a feature contributes (the header's tenant picker and
 * live-updates status), declared as `widgets` in the feature's `routes.tsx` and listed once in
 * `app/widget-registry.ts`, so the shell never imports a feature. Always lazy, like a page.
 */
export interface ShellWidget {
  id: string;
  slot: "header";
  /** Left to right in the slot. */
  order: number;
  component: LazyExoticComponent<ComponentType>;
  /** Width kept free while the chunk loads (CSS length), so the header does not jump. */
  placeholderWidth?: string;
}
