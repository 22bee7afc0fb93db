import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/jobs",
    heading: "Jobs",
    nav: { group: "Operate", label: "Jobs", order: 20 },
    page: lazy(() => import("./components/jobs-page")),
  },
  {
    path: "/jobs/:jobId",
    heading: "Job",
    page: lazy(() => import("./components/job-detail-page")),
  },
];
