import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/users",
    heading: "Users",
    nav: { group: "Tenants & access", label: "Users", order: 20 },
    page: lazy(() => import("./components/users-page")),
  },
  {
    path: "/users/:userId",
    heading: "User",
    page: lazy(() => import("./components/user-detail-page")),
  },
  {
    path: "/sessions",
    heading: "Sessions",
    nav: { group: "Tenants & access", label: "Sessions", order: 30 },
    page: lazy(() => import("./components/sessions-page")),
  },
  {
    path: "/roles",
    heading: "Roles & Permissions",
    nav: { group: "Tenants & access", label: "Roles & Permissions", order: 40 },
    page: lazy(() => import("./components/roles-page")),
  },
];
