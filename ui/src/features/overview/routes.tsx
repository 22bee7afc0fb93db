import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/",
    heading: "Overview",
    nav: { group: "Operate", label: "Overview", order: 10 },
    page: lazy(() => import("./components/overview-page")),
  },
];
