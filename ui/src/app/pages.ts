import { NAV_GROUPS, type FeatureRoute, type NavGroup, type ShellWidget } from "@/lib";
import * as registry from "./route-registry";
import * as widgetRegistry from "./widget-registry";

/** Every page of every feature in the registry. */
export const ALL_ROUTES: readonly FeatureRoute[] = Object.values(registry).flat();

/** The signed-in pages (inside the shell); the route smoke tests visit each one. */
export const PAGE_ROUTES: readonly FeatureRoute[] = ALL_ROUTES.filter((route) => !route.public);

/** Pages outside the shell (/login). */
export const PUBLIC_ROUTES: readonly FeatureRoute[] = ALL_ROUTES.filter((route) => route.public);

export interface NavItem {
  to: string;
  label: string;
}

export interface NavSection {
  label: NavGroup;
  items: NavItem[];
}

/** The main navigation: the groups in NAV_GROUPS order, each group's items by `order`. */
export function buildNav(routes: readonly FeatureRoute[]): NavSection[] {
  return NAV_GROUPS.map((group) => ({
    label: group,
    items: routes
      .filter((route) => route.nav?.group === group)
      .sort((a, b) => a.nav!.order - b.nav!.order)
      .map((route) => ({ to: route.path, label: route.nav!.label })),
  })).filter((section) => section.items.length > 0);
}

export const NAV: readonly NavSection[] = buildNav(ALL_ROUTES);

/** The header widgets features contribute (tenant picker, live status), left to right. */
export const HEADER_WIDGETS: readonly ShellWidget[] = Object.values(widgetRegistry)
  .flat()
  .filter((widget) => widget.slot === "header")
  .sort((a, b) => a.order - b.order);
