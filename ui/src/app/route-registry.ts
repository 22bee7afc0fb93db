// The route registry: one line per feature. Each feature declares its pages (path, heading,
// nav entry, lazy page) in its own routes.tsx; app/pages.ts builds the router's routes and the
// navigation from this list. Adding a page = a feature folder + one line here (docs/ui.md).
export { routes as overview } from "@/features/overview/routes";
export { routes as jobs } from "@/features/jobs/routes";
export { routes as audit } from "@/features/audit/routes";
export { routes as investigate } from "@/features/investigate/routes";
export { routes as observability } from "@/features/observability/routes";
export { routes as tenants } from "@/features/tenants/routes";
export { routes as iam } from "@/features/iam/routes";
export { routes as config } from "@/features/config/routes";
export { routes as definitions } from "@/features/definitions/routes";
export { routes as placement } from "@/features/placement/routes";
export { routes as deployments } from "@/features/deployments/routes";
export { routes as fleet } from "@/features/fleet/routes";
export { routes as drift } from "@/features/drift/routes";
export { routes as settings } from "@/features/settings/routes";
export { routes as auth } from "@/features/auth/routes";
export { routes as live } from "@/features/live/routes";
