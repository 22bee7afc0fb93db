import { lazy } from "react";
import type { FeatureRoute, ShellWidget } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/tenants",
    heading: "Tenants",
    nav: { group: "Tenants & access", label: "Tenants", order: 10 },
    page: lazy(() => import("./components/tenants-page")),
  },
  {
    path: "/tenants/:tenantId",
    heading: "Tenant",
    page: lazy(() => import("./components/tenant-detail-page")),
  },
];

// app/widget-registry.ts lists these once: the header's tenant picker.
export const widgets: ShellWidget[] = [
  {
    id: "tenant-picker",
    slot: "header",
    order: 10,
    component: lazy(() => import("./components/tenant-picker")),
    placeholderWidth: "11rem",
  },
];
