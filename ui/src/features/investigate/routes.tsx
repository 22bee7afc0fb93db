import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/investigate",
    heading: "Investigate",
    nav: { group: "Operate", label: "Investigate", order: 40 },
    page: lazy(() => import("./components/investigate-page")),
  },
];
