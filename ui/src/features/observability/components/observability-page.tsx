import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { Page } from "@/components/layout";
import { Button, ErrorState, Input, LoadingState, Select } from "@/components/ui";
import { currentTenant, investigateHref, normaliseSearchId, RIGHTS, useStore, useUrlFilters } from "@/lib";
import { sessionQueries, useRights } from "@/session";
import { useDeployBands } from "@/features/deployments";
import { investigateQueries } from "@/features/investigate";
import { MetricChart, type ServiceKind } from "@/features/metrics";
import { dashboardUrl, DASHBOARDS } from "@/lib";

const KINDS: readonly ServiceKind[] = ["gateway", "aggregate", "projection", "runner", "control"];
const RANGES: ReadonlyArray<[string, string]> = [
  ["900", "Last 15 min"],
  ["3600", "Last hour"],
  ["21600", "Last 6 h"],
  ["86400", "Last 24 h"],
];
const FILTERS = ["kind", "range", "correlation_id"] as const;

const sectionClass = "flex min-w-0 flex-col gap-3 rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900";
const linkClass = "text-sky-800 hover:underline dark:text-sky-300";

function GoldenSignals({ kind, range }: { kind: ServiceKind | undefined; range: number }) {
  const rights = useRights();
  const bands = useDeployBands(rights.has(RIGHTS.deploymentsRead));
  const params = kind ? { kind } : undefined;
  const of = kind ? ` (${kind})` : "";
  return (
    <div className="grid min-w-0 gap-3 lg:grid-cols-2">
      <MetricChart query="request_rate_by_service" title={`Request rate${of}`} params={params} range={range} bands={bands} bandsLabel="deploys" />
      <MetricChart query="error_ratio_by_service" title={`5xx ratio${of}`} params={params} range={range} bands={bands} bandsLabel="deploys" />
      <MetricChart query="p99_by_service" title={`p99 latency${of}`} params={params} range={range} bands={bands} bandsLabel="deploys" />
      <MetricChart query="p50_by_service" title={`p50 latency${of}`} params={params} range={range} bands={bands} bandsLabel="deploys" />
    </div>
  );
}

function PlatformSignals({ range }: { range: number }) {
  return (
    <div className="grid min-w-0 gap-3 lg:grid-cols-3">
      <MetricChart query="nats_messages_in" title="NATS messages in" range={range} />
      <MetricChart query="jetstream_pending" title="JetStream consumer pending" range={range} />
      <MetricChart query="node_cpu_busy" title="CPU busy by node" range={range} />
    </div>
  );
}

/** Grafana Explore links for a correlation id, as the API builds them (GET /admin/v1/investigate). */
function ExploreLinks({ correlationId, grafana }: { correlationId: string; grafana: boolean }) {
  const result = useQuery(investigateQueries.id(correlationId));
  if (result.isPending) return <LoadingState label="Asking the API for links…" />;
  if (result.isError) return <ErrorState error={result.error} onRetry={() => void result.refetch()} />;
  const { loki, tempo } = result.data.links;
  return (
    <ul className="flex flex-col gap-1 text-sm" aria-label="Explore links">
      {loki ? (
        <li>
          <a className={linkClass} href={loki} target="_blank" rel="noreferrer">
            Logs of {correlationId} in Loki (Explore) <span aria-hidden="true">↗</span>
          </a>
        </li>
      ) : null}
      {tempo ? (
        <li>
          <a className={linkClass} href={tempo} target="_blank" rel="noreferrer">
            Trace in Tempo (Explore) <span aria-hidden="true">↗</span>
          </a>
        </li>
      ) : null}
      {!loki && !tempo ? (
        <li className="text-zinc-700 dark:text-zinc-300">
          {grafana ? "The API gives no Explore link for this id." : "No Explore links: Grafana is not configured (the API builds them only with CONTROL_GRAFANA_URL)."}
        </li>
      ) : null}
      <li>
        <Link className={linkClass} to={investigateHref(correlationId)}>
          Everything the console knows about {correlationId} (Investigate)
        </Link>
      </li>
    </ul>
  );
}

export default function ObservabilityPage() {
  const config = useQuery(sessionQueries.uiConfig());
  const rights = useRights();
  const tenant = useStore(currentTenant);
  const { values, setValues } = useUrlFilters(FILTERS);
  const [draft, setDraft] = useState(values.correlation_id);
  const [invalid, setInvalid] = useState(false);
  const base = config.data?.grafana_base_url?.replace(/\/+$/, "") || null;
  const kind = (KINDS as readonly string[]).includes(values.kind) ? (values.kind as ServiceKind) : undefined;
  const range = RANGES.some(([value]) => value === values.range) ? Number(values.range) : 3600;
  const correlationId = values.correlation_id || null;

  return (
    <Page title="Observability">
      <section aria-labelledby="signals-heading" className={sectionClass}>
        <div className="flex flex-wrap items-end justify-between gap-3">
          <h2 id="signals-heading" className="font-semibold">
            Golden signals
          </h2>
          <form className="flex flex-wrap items-end gap-3" aria-label="Chart filters" onSubmit={(e) => e.preventDefault()}>
            <Select
              label="Service kind"
              emptyLabel="Every service"
              options={KINDS.map((k) => ({ value: k, label: k }))}
              value={kind ?? ""}
              onChange={(e) => setValues({ kind: e.target.value })}
            />
            <Select label="Range" options={RANGES.map(([value, label]) => ({ value, label }))} value={String(range)} onChange={(e) => setValues({ range: e.target.value })} />
          </form>
        </div>
        {rights.has(RIGHTS.fleetRead) ? (
          <>
            <GoldenSignals kind={kind} range={range} />
            <h3 className="text-sm font-semibold">Event bus and nodes</h3>
            <PlatformSignals range={range} />
          </>
        ) : (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">Requires the right {RIGHTS.fleetRead}.</p>
        )}
      </section>

      <section aria-labelledby="dashboards-heading" className={sectionClass}>
        <h2 id="dashboards-heading" className="font-semibold">
          Grafana dashboards
        </h2>
        {config.isPending ? <LoadingState /> : null}
        {config.isError ? <ErrorState error={config.error} onRetry={() => void config.refetch()} /> : null}
        {config.data && !base ? (
          <p role="note" className="rounded-md border border-amber-300 bg-amber-50 p-2 text-sm dark:border-amber-700 dark:bg-amber-950">
            Grafana is not configured for this deployment (the API reports no Grafana address; set CONTROL_GRAFANA_URL), so the
            dashboards are listed without links. The charts above show the same queries.
          </p>
        ) : null}
        {base ? (
          <p className="text-sm">
            <a className={linkClass} href={base} target="_blank" rel="noreferrer">
              Open Grafana <span aria-hidden="true">↗</span>
            </a>
            {tenant ? <span className="ml-2 text-zinc-600 dark:text-zinc-400">Links set the tenant {tenant} where a dashboard takes one.</span> : null}
          </p>
        ) : null}
        <ul className="grid gap-2 md:grid-cols-2" aria-label="Dashboards">
          {DASHBOARDS.map((dashboard) => (
            <li key={dashboard.uid} className="flex min-w-0 flex-col rounded-md border border-zinc-200 p-2 text-sm dark:border-zinc-800">
              {base ? (
                <a className={`${linkClass} font-medium`} href={dashboardUrl(base, dashboard, { tenant, correlationId })} target="_blank" rel="noreferrer">
                  {dashboard.title} <span aria-hidden="true">↗</span>
                </a>
              ) : (
                <span className="font-medium">{dashboard.title}</span>
              )}
              <span className="text-xs text-zinc-600 dark:text-zinc-400">{dashboard.description}</span>
              <code className="font-mono text-xs text-zinc-600 dark:text-zinc-400">{dashboard.uid}</code>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="explore-heading" className={sectionClass}>
        <h2 id="explore-heading" className="font-semibold">
          Explore a request
        </h2>
        <form
          className="flex flex-wrap items-end gap-2"
          aria-label="Explore a correlation id"
          onSubmit={(event) => {
            event.preventDefault();
            const id = normaliseSearchId(draft);
            setInvalid(draft.trim() !== "" && id === null);
            setValues({ correlation_id: id ?? "" });
          }}
        >
          <Input
            label="Correlation id (or request id)"
            className="w-96 max-w-full"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            error={invalid ? "That does not look like an id." : undefined}
          />
          <Button type="submit">Show links</Button>
        </form>
        {correlationId ? <ExploreLinks correlationId={correlationId} grafana={Boolean(base)} /> : null}
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {tenant ? (
            <>
              The tenant {tenant} has its own charts on its <Link className={linkClass} to={`/tenants/${encodeURIComponent(tenant)}`}>tenant page</Link>
              {base ? " and the tenant dashboards above link with it set" : ""}.{" "}
            </>
          ) : null}
          Any id can also be pasted into the search box in the header (press <kbd>/</kbd>).
        </p>
      </section>
    </Page>
  );
}
