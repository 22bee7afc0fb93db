import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/config",
    heading: "Config",
    nav: { group: "Platform", label: "Config", order: 10 },
    page: lazy(() => import("./components/config-page")),
  },
  {
    path: "/config/:domain/:name",
    heading: "Config",
    page: lazy(() => import("./components/config-detail-page")),
  },
];
