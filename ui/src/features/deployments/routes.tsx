import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/deployments",
    heading: "Deployments",
    nav: { group: "Platform", label: "Deployments", order: 40 },
    page: lazy(() => import("./components/deployments-page")),
  },
  {
    path: "/deployments/:deploymentId",
    heading: "Deployment",
    page: lazy(() => import("./components/deployment-detail-page")),
  },
];
