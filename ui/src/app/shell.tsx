import { Suspense } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { GlobalSearch, LastRequestPanel, ThemeToggle } from "@/components/layout";
import { Dropdown, LoadingState } from "@/components/ui";
import { cn, currentTenant, TENANT_PARAM, useStore, useTenantSync } from "@/lib";
import { useRights, useSignOut } from "@/session";
import { HEADER_WIDGETS, NAV } from "./pages";

/** The signed-in frame: header (search, tenant, theme, account), navigation, page, last request. */
export function AppShell() {
  useTenantSync();
  const tenant = useStore(currentTenant);
  const rights = useRights();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const location = useLocation();
  const tenantSearch = tenant ? `?${TENANT_PARAM}=${encodeURIComponent(tenant)}` : "";

  return (
    <div className="flex h-screen flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <header className="flex items-center gap-3 border-b border-zinc-200 bg-white px-4 py-2 dark:border-zinc-800 dark:bg-zinc-900">
        <NavLink to={{ pathname: "/", search: tenantSearch }} className="text-sm font-semibold whitespace-nowrap">
          Cloudlysis Control
        </NavLink>
        <GlobalSearch />
        {HEADER_WIDGETS.map(({ id, component: Widget, placeholderWidth }) => (
          <Suspense key={id} fallback={<span aria-hidden="true" style={{ width: placeholderWidth }} className="inline-block h-9" />}>
            <Widget />
          </Suspense>
        ))}
        <ThemeToggle />
        <Dropdown
          label={<span className="max-w-32 truncate">{rights.principalId ?? "Account"}</span>}
          header={
            rights.principalId ? (
              <>
                Signed in as <span className="font-mono">{rights.principalId}</span>
              </>
            ) : null
          }
          items={[
            { label: "Settings", onSelect: () => navigate({ pathname: "/settings", search: tenantSearch }) },
            {
              label: "Sign out",
              onSelect: () => void signOut(),
            },
          ]}
        />
      </header>
      <div className="flex min-h-0 flex-1">
        <nav aria-label="Main" className="w-56 shrink-0 overflow-y-auto border-r border-zinc-200 bg-white p-3 dark:border-zinc-800 dark:bg-zinc-900">
          {NAV.map((group) => (
            <div key={group.label} className="mb-4">
              <p className="mb-1 px-2 text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400">
                {group.label}
              </p>
              <ul className="flex flex-col gap-0.5">
                {group.items.map((item) => (
                  <li key={item.to}>
                    <NavLink
                      to={{ pathname: item.to, search: tenantSearch }}
                      end={item.to === "/"}
                      className={({ isActive }) =>
                        cn(
                          "block rounded-md px-2 py-1.5 text-sm",
                          isActive
                            ? "bg-sky-100 font-medium text-sky-900 dark:bg-sky-900 dark:text-sky-50"
                            : "text-zinc-800 hover:bg-zinc-100 dark:text-zinc-200 dark:hover:bg-zinc-800",
                        )
                      }
                    >
                      {item.label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <div className="flex min-w-0 flex-1 flex-col">
          <main id="main" className="min-h-0 flex-1 overflow-auto p-6">
            <Suspense key={location.pathname} fallback={<LoadingState />}>
              <Outlet />
            </Suspense>
          </main>
          <LastRequestPanel />
        </div>
      </div>
    </div>
  );
}
