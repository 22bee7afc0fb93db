import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/audit",
    heading: "Audit Log",
    nav: { group: "Operate", label: "Audit Log", order: 30 },
    page: lazy(() => import("./components/audit-page")),
  },
];
