import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/observability",
    heading: "Observability",
    nav: { group: "Operate", label: "Observability", order: 50 },
    page: lazy(() => import("./components/observability-page")),
  },
];
