import { useEffect, type ReactNode } from "react";
import { Breadcrumbs, type Crumb } from "@/components/ui";

export function Page({
  title,
  crumbs,
  actions,
  children,
}: {
  title: string;
  crumbs?: Crumb[];
  actions?: ReactNode;
  children: ReactNode;
}) {
  useEffect(() => {
    document.title = `${title} · Cloudlysis Control`;
  }, [title]);
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-col gap-1">
        <Breadcrumbs items={crumbs ?? [{ label: "Control", to: "/" }, { label: title }]} />
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h1 className="text-xl font-semibold">{title}</h1>
          {actions ? <div className="flex flex-wrap items-center gap-2">{actions}</div> : null}
        </div>
      </div>
      {children}
    </div>
  );
}

/** Said plainly on pages whose API is not built yet: no placeholder data, ever. */
export function NotAvailable({ title, api }: { title: string; api: string }) {
  return (
    <Page title={title}>
      <section
        className="rounded-lg border border-dashed border-zinc-300 p-8 dark:border-zinc-700"
        aria-label="Not available"
      >
        <p className="text-sm font-medium">Not available yet: this page needs the {api} API.</p>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          The Control API does not expose it yet, so there is nothing to show here.
        </p>
      </section>
    </Page>
  );
}
