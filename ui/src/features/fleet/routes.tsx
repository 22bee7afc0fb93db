import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/fleet",
    heading: "Fleet",
    nav: { group: "Platform", label: "Fleet", order: 50 },
    page: lazy(() => import("./components/fleet-page")),
  },
];
