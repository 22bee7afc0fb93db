import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/definitions",
    heading: "Definitions",
    nav: { group: "Platform", label: "Definitions", order: 20 },
    page: lazy(() => import("./components/definitions-page")),
  },
];
