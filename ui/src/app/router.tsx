import { Suspense } from "react";
import { Link, useRouteError, type RouteObject } from "react-router";
import { LoadingState } from "@/components/ui";
import type { FeatureRoute } from "@/lib";
import { RequireAuth } from "@/session";
import { PAGE_ROUTES, PUBLIC_ROUTES } from "./pages";
import { AppShell } from "./shell";

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

/** A signed-in page as a child of the shell (which wraps it in Suspense). */
function shellChild({ path, page: Page }: FeatureRoute): RouteObject {
  return path === "/" ? { index: true, element: <Page /> } : { path: path.slice(1), element: <Page /> };
}

/** Built from the route registry: public pages on their own, every other page inside the shell. */
export const routes: RouteObject[] = [
  ...PUBLIC_ROUTES.map(({ path, page: Page }) => ({
    path,
    errorElement: <RouteError />,
    element: (
      <Suspense fallback={<LoadingState />}>
        <Page />
      </Suspense>
    ),
  })),
  {
    path: "/",
    errorElement: <RouteError />,
    element: (
      <RequireAuth>
        <AppShell />
      </RequireAuth>
    ),
    children: [...PAGE_ROUTES.map(shellChild), { path: "*", element: <NotFound /> }],
  },
];
