import type { ReactNode } from "react";
import { Link } from "react-router";

export function Card({ title, children, to, linkLabel = "View all" }: { title: string; children: ReactNode; to?: string; linkLabel?: string }) {
  return (
    <section aria-label={title} className="flex flex-col gap-2 rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
      <div className="flex items-center justify-between">
        <h2 className="text-sm font-semibold">{title}</h2>
        {to ? (
          <Link className="text-xs text-sky-800 hover:underline dark:text-sky-300" to={to} aria-label={`${linkLabel}: ${title}`}>
            {linkLabel}
          </Link>
        ) : null}
      </div>
      {children}
    </section>
  );
}

export function RequiresRight({ right }: { right: string }) {
  return <p className="text-sm text-zinc-600 dark:text-zinc-400">Requires the right {right}.</p>;
}
