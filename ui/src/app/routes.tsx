import { lazy, Suspense } from "react";
import { Link, useRouteError, type RouteObject } from "react-router";
import { AppShell } from "../components/layout/app-shell";
import { RequireAuth } from "../components/layout/require-auth";
import { LoadingState } from "../components/ui/states";

// Each page is its own chunk: the first load only carries the shell.
const pages = {
  overview: lazy(() => import("../routes/overview")),
  jobs: lazy(() => import("../routes/jobs")),
  jobDetail: lazy(() => import("../routes/job-detail")),
  audit: lazy(() => import("../routes/audit")),
  investigate: lazy(() => import("../routes/investigate")),
  observability: lazy(() => import("../routes/observability")),
  tenants: lazy(() => import("../routes/tenants")),
  tenantDetail: lazy(() => import("../routes/tenant-detail")),
  users: lazy(() => import("../routes/users")),
  sessions: lazy(() => import("../routes/sessions")),
  roles: lazy(() => import("../routes/roles")),
  config: lazy(() => import("../routes/config")),
  definitions: lazy(() => import("../routes/definitions")),
  placement: lazy(() => import("../routes/placement")),
  deployments: lazy(() => import("../routes/deployments")),
  deploymentDetail: lazy(() => import("../routes/deployment-detail")),
  fleet: lazy(() => import("../routes/fleet")),
  drift: lazy(() => import("../routes/drift")),
  settings: lazy(() => import("../routes/settings")),
  login: lazy(() => import("../routes/login")),
};

function RouteError() {
  const error = useRouteError();
  return (
    <div role="alert" className="m-6 rounded-lg border border-red-300 bg-red-50 p-4 text-sm dark:border-red-800 dark:bg-red-950">
      <h1 className="font-semibold">This page failed to render</h1>
      <p className="mt-1 font-mono text-xs">{error instanceof Error ? error.message : String(error)}</p>
      <Link className="mt-2 inline-block text-sky-800 underline dark:text-sky-300" to="/">
        Back to the overview
      </Link>
    </div>
  );
}

function NotFound() {
  return (
    <div className="flex flex-col gap-2">
      <h1 className="text-xl font-semibold">Page not found</h1>
      <Link className="text-sm text-sky-800 underline dark:text-sky-300" to="/">
        Back to the overview
      </Link>
    </div>
  );
}

/** Paths of the signed-in pages and the heading each one shows (used by the route tests). */
export const PAGE_PATHS = [
  { path: "/", heading: "Overview", page: pages.overview },
  { path: "/jobs", heading: "Jobs", page: pages.jobs },
  { path: "/jobs/:jobId", heading: "Job", page: pages.jobDetail },
  { path: "/audit", heading: "Audit Log", page: pages.audit },
  { path: "/investigate", heading: "Investigate", page: pages.investigate },
  { path: "/observability", heading: "Observability", page: pages.observability },
  { path: "/tenants", heading: "Tenants", page: pages.tenants },
  { path: "/tenants/:tenantId", heading: "Tenant", page: pages.tenantDetail },
  { path: "/users", heading: "Users", page: pages.users },
  { path: "/sessions", heading: "Sessions", page: pages.sessions },
  { path: "/roles", heading: "Roles & Permissions", page: pages.roles },
  { path: "/config", heading: "Config", page: pages.config },
  { path: "/definitions", heading: "Definitions", page: pages.definitions },
  { path: "/placement", heading: "Scale & Placement", page: pages.placement },
  { path: "/deployments", heading: "Deployments", page: pages.deployments },
  { path: "/deployments/:deploymentId", heading: "Deployment", page: pages.deploymentDetail },
  { path: "/fleet", heading: "Fleet", page: pages.fleet },
  { path: "/drift", heading: "Drift", page: pages.drift },
  { path: "/settings", heading: "Settings", page: pages.settings },
] as const;

export const routes: RouteObject[] = [
  {
    path: "/login",
    errorElement: <RouteError />,
    element: (
      <Suspense fallback={<LoadingState />}>
        <pages.login />
      </Suspense>
    ),
  },
  {
    path: "/",
    errorElement: <RouteError />,
    element: (
      <RequireAuth>
        <AppShell />
      </RequireAuth>
    ),
    children: [
      ...PAGE_PATHS.map(({ path, page: Page }) =>
        path === "/" ? { index: true, element: <Page /> } : { path: path.slice(1), element: <Page /> },
      ),
      { path: "*", element: <NotFound /> },
    ],
  },
];
