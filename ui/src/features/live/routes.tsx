import { lazy } from "react";
import type { FeatureRoute, ShellWidget } from "@/lib";

// No pages: this feature is the shell's subscription to the live stream and its status.
export const routes: FeatureRoute[] = [];

// app/widget-registry.ts lists these once; the shell mounts them in the header after sign-in.
export const widgets: ShellWidget[] = [
  {
    id: "live-status",
    slot: "header",
    order: 20,
    component: lazy(() => import("./components/live-updates")),
    placeholderWidth: "7rem",
  },
];
