import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/drift",
    heading: "Drift",
    nav: { group: "Platform", label: "Drift", order: 60 },
    page: lazy(() => import("./components/drift-page")),
  },
];
