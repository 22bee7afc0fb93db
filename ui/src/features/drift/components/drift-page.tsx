import { useQuery } from "@tanstack/react-query";
import { Page } from "@/components/layout";
import { EmptyState, ErrorState, LoadingState, RelativeTime, UpdatedAgo } from "@/components/ui";
import { cn, formatAbsolute, useUrlFilters } from "@/lib";
import { filterItems } from "@/features/drift/model";
import { driftQueries } from "@/features/drift/queries";
import { DRIFT_CATEGORIES, DRIFT_SEVERITIES, type DriftCategory, type DriftReport, type DriftSeverity } from "@/features/drift/types";
import { DriftItemPanel } from "./drift-item-panel";
import { DriftTable } from "./drift-table";

const FILTERS = ["category", "severity", "ack", "item"] as const;

const chip = (pressed: boolean) =>
  cn(
    "inline-flex items-center gap-1.5 rounded-full border px-3 py-1 text-sm",
    pressed
      ? "border-sky-700 bg-sky-700 text-white dark:border-sky-300 dark:bg-sky-300 dark:text-zinc-950"
      : "border-zinc-300 bg-white text-zinc-900 hover:bg-zinc-100 dark:border-zinc-600 dark:bg-zinc-800 dark:text-zinc-100 dark:hover:bg-zinc-700",
  );

function Chip({ label, count, pressed, onClick }: { label: string; count: number; pressed: boolean; onClick: () => void }) {
  return (
    <button type="button" aria-pressed={pressed} className={chip(pressed)} onClick={onClick}>
      {label}{" "}
      <span className="rounded-full bg-black/10 px-1.5 text-xs font-semibold dark:bg-white/15">{count}</span>
    </button>
  );
}

function Source({ report }: { report: DriftReport }) {
  return (
    <section aria-label="Desired state" className="flex flex-col gap-1 text-sm text-zinc-700 dark:text-zinc-300">
      <p>
        Observed <RelativeTime value={report.observed_at} />, at {formatAbsolute(report.observed_at)}, from {report.source}. Desired:{" "}
        {report.desired_source ? <code className="font-mono text-xs">{report.desired_source}</code> : "no stack files configured"}
        {(report.stacks ?? []).length > 0 ? `, stacks ${(report.stacks ?? []).join(", ")}` : ""}.
      </p>
      {(report.desired_errors ?? []).length > 0 ? (
        <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-2 dark:border-red-800 dark:bg-red-950">
          <p className="font-semibold">The desired state could not be read completely:</p>
          <ul className="list-disc pl-5" aria-label="Desired state errors">
            {(report.desired_errors ?? []).map((error) => (
              <li key={error}>{error}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

export default function DriftPage() {
  const report = useQuery(driftQueries.report());
  const { values, setValues } = useUrlFilters(FILTERS);
  const category = (DRIFT_CATEGORIES as readonly string[]).includes(values.category) ? (values.category as DriftCategory) : undefined;
  const severity = (DRIFT_SEVERITIES as readonly string[]).includes(values.severity) ? (values.severity as DriftSeverity) : undefined;
  const showAcknowledged = values.ack !== "hide";

  if (report.data === undefined) {
    return (
      <Page title="Drift">
        {report.isError ? (
          <ErrorState error={report.error} onRetry={() => void report.refetch()} title="The drift report could not be loaded" />
        ) : (
          <LoadingState label="Loading the drift report…" />
        )}
      </Page>
    );
  }
  const data = report.data;
  const items = filterItems(data, { category, severity, showAcknowledged });
  const selected = data.items.find((i) => i.id === values.item);
  const counts = data.summary;

  return (
    <Page title="Drift">
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        What runs vs what should: every difference between the desired stacks, the deployments and the config registry and
        what the Swarm and the instances run. Nothing is corrected by itself: re-apply what is desired or adopt what runs.
      </p>
      {data.stale ? (
        <p role="status" className="rounded-md border border-amber-300 bg-amber-50 p-2 text-sm dark:border-amber-700 dark:bg-amber-950">
          Stale: the Swarm could not be observed just now; this is the last observation (<RelativeTime value={data.observed_at} />).
        </p>
      ) : null}
      <UpdatedAgo query={report} />
      <Source report={data} />
      <div role="group" aria-label="Categories" className="flex flex-wrap gap-2">
        <Chip label="All" count={counts.total} pressed={!category} onClick={() => setValues({ category: "" })} />
        {DRIFT_CATEGORIES.map((c) => (
          <Chip key={c} label={c} count={counts.by_category[c] ?? 0} pressed={category === c} onClick={() => setValues({ category: category === c ? "" : c })} />
        ))}
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <div role="group" aria-label="Severities" className="flex flex-wrap gap-2">
          {DRIFT_SEVERITIES.map((s) => (
            <Chip key={s} label={s} count={counts.by_severity[s] ?? 0} pressed={severity === s} onClick={() => setValues({ severity: severity === s ? "" : s })} />
          ))}
        </div>
        <label className="ml-2 inline-flex items-center gap-1.5 text-sm">
          <input type="checkbox" checked={showAcknowledged} onChange={(e) => setValues({ ack: e.target.checked ? "" : "hide" })} />
          Show acknowledged ({counts.acknowledged})
        </label>
      </div>
      <p className="text-xs text-zinc-600 dark:text-zinc-400">Counts are of open items; acknowledged ones are counted apart.</p>
      {data.items.length === 0 ? (
        <EmptyState title="No drift">What runs is what should run{data.desired_source ? "" : " (no desired stacks are configured, so only health is compared)"}.</EmptyState>
      ) : (
        <>
          <DriftTable items={items} selected={selected?.id} onSelect={(id) => setValues({ item: id === selected?.id ? "" : id })} />
          {selected ? <DriftItemPanel item={selected} /> : values.item ? <p className="text-sm">That item is gone: what runs matches what is desired now.</p> : null}
        </>
      )}
    </Page>
  );
}
