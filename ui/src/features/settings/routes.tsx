import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/settings",
    heading: "Settings",
    nav: { group: "Console", label: "Settings", order: 10 },
    page: lazy(() => import("./components/settings-page")),
  },
];
