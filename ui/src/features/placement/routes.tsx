import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/placement",
    heading: "Scale & Placement",
    nav: { group: "Platform", label: "Scale & Placement", order: 30 },
    page: lazy(() => import("./components/placement-page")),
  },
];
