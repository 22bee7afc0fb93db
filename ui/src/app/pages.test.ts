import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { lazy } from "react";
import { describe, expect, it } from "vitest";
import type { FeatureRoute } from "@/lib";
import { ALL_ROUTES, buildNav, HEADER_WIDGETS, NAV, PAGE_ROUTES, PUBLIC_ROUTES } from "./pages";
import * as registry from "./route-registry";
import * as widgetRegistry from "./widget-registry";
import { routes } from "./router";

// Vitest runs from ui/.
const featuresDir = resolve(process.cwd(), "src/features");

describe("route registry", () => {
  it("lists every feature that has a routes.tsx, once", () => {
    const withRoutes = readdirSync(featuresDir).filter((name) => existsSync(`${featuresDir}/${name}/routes.tsx`));
    expect(Object.keys(registry).sort()).toEqual(withRoutes.sort());
  });

  it("gives every page a unique absolute path, a heading and a lazy page", () => {
    const paths = ALL_ROUTES.map((route) => route.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const route of ALL_ROUTES) {
      expect(route.path, route.path).toMatch(/^\//);
      expect(route.heading.length, route.path).toBeGreaterThan(0);
      expect(route.page.$$typeof, route.path).toBe(Symbol.for("react.lazy"));
    }
    expect(PUBLIC_ROUTES.map((route) => route.path)).toEqual(["/login", "/login/callback"]);
    expect(PAGE_ROUTES.length + PUBLIC_ROUTES.length).toBe(ALL_ROUTES.length);
  });

  it("builds the navigation in the order the console has always shown", () => {
    expect(NAV.map((group) => [group.label, group.items.map((item) => `${item.to} ${item.label}`)])).toEqual([
      ["Operate", ["/ Overview", "/jobs Jobs", "/audit Audit Log", "/investigate Investigate", "/observability Observability"]],
      ["Tenants & access", ["/tenants Tenants", "/users Users", "/sessions Sessions", "/roles Roles & Permissions"]],
      [
        "Platform",
        ["/config Config", "/definitions Definitions", "/placement Scale & Placement", "/deployments Deployments", "/fleet Fleet", "/drift Drift"],
      ],
      ["Console", ["/settings Settings"]],
    ]);
    // Detail pages are routes but not nav items.
    expect(NAV.flatMap((group) => group.items).some((item) => item.to.includes(":"))).toBe(false);
  });

  it("places a new feature's page by its nav group and order, with nothing else to edit", () => {
    const quotas: FeatureRoute = {
      path: "/quotas",
      heading: "Quotas",
      nav: { group: "Platform", label: "Quotas", order: 35 },
      page: lazy(async () => ({ default: () => null })),
    };
    const platform = buildNav([...ALL_ROUTES, quotas]).find((group) => group.label === "Platform")!;
    expect(platform.items.map((item) => item.label)).toEqual([
      "Config",
      "Definitions",
      "Scale & Placement",
      "Quotas",
      "Deployments",
      "Fleet",
      "Drift",
    ]);
  });

  it("mounts public pages outside the shell and every other page inside it", () => {
    const shell = routes.find((route) => route.path === "/")!;
    const childPaths = shell.children!.map((child) => (child.index ? "/" : `/${child.path}`));
    expect(childPaths).toEqual([...PAGE_ROUTES.map((route) => route.path), "/*"]);
    expect(routes.filter((route) => route !== shell).map((route) => route.path)).toEqual(["/login", "/login/callback"]);
  });

  it("lists every feature whose routes.tsx declares shell widgets, once, and orders the header by them", () => {
    const withWidgets = readdirSync(featuresDir).filter(
      (name) => existsSync(`${featuresDir}/${name}/routes.tsx`) && readFileSync(`${featuresDir}/${name}/routes.tsx`, "utf8").includes("export const widgets"),
    );
    expect(Object.keys(widgetRegistry).sort()).toEqual(withWidgets.sort());
    expect(HEADER_WIDGETS.map((widget) => widget.id)).toEqual(["tenant-picker", "live-status"]);
    for (const widget of HEADER_WIDGETS) expect(widget.component.$$typeof, widget.id).toBe(Symbol.for("react.lazy"));
  });
});
