import { lazy } from "react";
import type { FeatureRoute } from "@/lib";

// The pages of this feature; app/route-registry.ts lists this file once.
export const routes: FeatureRoute[] = [
  {
    path: "/login",
    heading: "Cloudlysis Control",
    public: true,
    page: lazy(() => import("./components/login-page")),
  },
  {
    path: "/login/callback",
    heading: "Signing in",
    public: true,
    page: lazy(() => import("./components/sso-callback-page")),
  },
];
