import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { Page } from "@/components/layout";
import { LoadingState, RelativeTime } from "@/components/ui";
import { formatDuration, jobHref } from "@/lib";
import { MetricChart } from "@/features/metrics";
import { deploymentBand, imageRef } from "@/features/deployments/model";
import { deploymentQueries, swarmQueries } from "@/features/deployments/queries";
import type { Deployment, TimelineEntry } from "@/features/deployments/types";
import { ChangesTable } from "./changes-table";
import { PlaybookResults, RunPlaybookButton } from "./playbook-results";
import { StateBadge } from "./deployment-status";
import { ServiceActionButton } from "./service-action";
import { SwarmErrorState } from "./swarm-unavailable";
import { TasksTable } from "./tasks-table";

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section aria-label={title} className="flex flex-col gap-2 rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
      <h2 className="text-sm font-semibold">{title}</h2>
      {children}
    </section>
  );
}

function Header({ d }: { d: Deployment }) {
  const rows: Array<[string, React.ReactNode]> = [
    ["Service", d.service],
    ["Stack", d.stack ?? "—"],
    ["Kind", d.kind],
    ["Status", <StateBadge key="s" state={d.status} />],
    ["Image", <code key="i" className="font-mono text-xs break-all">{d.from_image ?? "?"} → {d.to_image ?? "?"}</code>],
    ["Spec version", `${d.from_spec_version ?? "?"} → ${d.to_spec_version ?? "?"}`],
    ["Version", d.version ?? "—"],
    ["Git SHA", <code key="g" className="font-mono text-xs">{d.git_sha ?? "—"}</code>],
    ["Started", <RelativeTime key="started" value={d.started_at} />],
    ["Finished", <RelativeTime key="finished" value={d.finished_at} />],
    ["Duration", d.duration_s == null ? "—" : formatDuration(d.duration_s * 1000)],
    [
      "Job",
      d.job_id ? (
        <Link key="j" className="font-mono text-xs text-sky-800 underline dark:text-sky-300" to={jobHref(d.job_id)}>
          {d.job_id}
        </Link>
      ) : (
        "— (not started by a Control job)"
      ),
    ],
  ];
  return (
    <dl aria-label="Deployment" className="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-3">
      {rows.map(([label, value]) => (
        <div key={label} className="flex flex-col">
          <dt className="text-xs text-zinc-600 dark:text-zinc-400">{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
      {d.message ? (
        <div className="flex flex-col sm:col-span-2 lg:col-span-3">
          <dt className="text-xs text-zinc-600 dark:text-zinc-400">Message</dt>
          <dd>{d.message}</dd>
        </div>
      ) : null}
    </dl>
  );
}

function Timeline({ entries }: { entries: readonly TimelineEntry[] }) {
  if (entries.length === 0) return <p className="text-sm text-zinc-700 dark:text-zinc-300">No events recorded.</p>;
  return (
    <ol aria-label="Timeline" className="flex flex-col gap-2 border-l border-zinc-300 pl-4 dark:border-zinc-700">
      {entries.map((e, i) => (
        <li key={`${e.type}-${e.at}-${i}`} className="text-sm">
          <RelativeTime className="text-xs" value={e.at} /> <StateBadge state={e.type} />
          {e.spec_version != null ? <span className="ml-2 text-xs">spec version {e.spec_version}</span> : null}
          {e.source === "reconcile" ? <span className="ml-2 text-xs text-zinc-600 dark:text-zinc-400">(found by reconcile)</span> : null}
          {e.message ? <span className="ml-2">{e.message}</span> : null}
        </li>
      ))}
    </ol>
  );
}

function ServiceTasks({ service }: { service: string }) {
  const current = useQuery(swarmQueries.service(service));
  if (current.data === undefined) {
    return current.isError ? <SwarmErrorState error={current.error} onRetry={() => void current.refetch()} /> : <LoadingState label="Loading the service…" />;
  }
  const s = current.data;
  return (
    <>
      <p className="text-sm">
        Now: <code className="font-mono text-xs">{imageRef(s)}</code> · spec version {s.spec_version} · {s.replicas_running}/
        {s.replicas_desired ?? "?"} running · update state <StateBadge state={s.update_state} />
      </p>
      <TasksTable tasks={s.tasks ?? []} label={`Tasks of ${s.service}`} />
    </>
  );
}

const HOUR = 3600;
const MAX_RANGE = 7 * 86_400;

/**
 * The service's 5xx ratio and p99 by version around the deploy: from half an hour before it
 * started until now (at least an hour, at most the API's 7 days), the deploy as a band. The
 * metrics name a service by its kind (the `cloudlysis.service` label), which Swarm reports.
 */
function BeforeAfter({ d, kind }: { d: Deployment; kind: string | null | undefined }) {
  const [now] = useState(() => Date.now());
  const band = deploymentBand(d, now);
  if (!band) return null;
  const since = now / 1000 - band.from + 1800;
  if (since > MAX_RANGE) {
    return <p className="text-sm text-zinc-700 dark:text-zinc-300">This deploy is older than the 7 days of metrics history the API serves.</p>;
  }
  if (!kind) {
    return <p className="text-sm text-zinc-700 dark:text-zinc-300">Swarm does not say which service kind this is, so its metrics cannot be named.</p>;
  }
  const range = Math.round(Math.min(MAX_RANGE, Math.max(HOUR, since)));
  return (
    <div className="grid min-w-0 gap-3 lg:grid-cols-2">
      <MetricChart query="error_ratio_by_version" title={`5xx ratio of ${kind} by version`} params={{ service: kind }} range={range} bands={[band]} bandsLabel="deploys" />
      <MetricChart query="p99_of_service_by_version" title={`p99 latency of ${kind} by version`} params={{ service: kind }} range={range} bands={[band]} bandsLabel="deploys" />
    </div>
  );
}

function DeploymentDetailPage({ deploymentId }: { deploymentId: string }) {
  const detail = useQuery(deploymentQueries.detail(deploymentId));
  const d = detail.data?.deployment;
  const service = useQuery({ ...swarmQueries.service(d?.service ?? ""), enabled: Boolean(d) });
  return (
    <Page
      title={d ? `Deployment of ${d.service}` : "Deployment"}
      crumbs={[{ label: "Control", to: "/" }, { label: "Deployments", to: "/deployments" }, { label: deploymentId }]}
      actions={
        d ? (
          <>
            <ServiceActionButton action="deploy" service={d.service} currentImage={service.data ? imageRef(service.data) : d.to_image} currentSpecVersion={service.data?.spec_version} />
            <ServiceActionButton action="rollback" service={d.service} currentSpecVersion={service.data?.spec_version} />
          </>
        ) : null
      }
    >
      {detail.data === undefined ? (
        detail.isError ? <SwarmErrorState error={detail.error} onRetry={() => void detail.refetch()} /> : <LoadingState label="Loading the deployment…" />
      ) : (
        <>
          <Header d={detail.data.deployment} />
          <Section title="Before and after (by version)">
            {service.data || service.isError ? (
              <BeforeAfter d={detail.data.deployment} kind={service.data?.kind} />
            ) : (
              <LoadingState label="Loading the service…" />
            )}
          </Section>
          <Section title="Verification playbook">
            <PlaybookResults d={detail.data.deployment} />
            <div>
              <RunPlaybookButton d={detail.data.deployment} />
            </div>
          </Section>
          <Section title="Timeline">
            <Timeline entries={detail.data.deployment.timeline ?? []} />
          </Section>
          <Section title="What changed">
            <ChangesTable changes={detail.data.changes} available={detail.data.changes_available} />
          </Section>
          <Section title={`Current tasks of ${detail.data.deployment.service}`}>
            <ServiceTasks service={detail.data.deployment.service} />
          </Section>
        </>
      )}
    </Page>
  );
}

/** The route: a new deploymentId is a new page (fresh state). */
export default function DeploymentDetailPageRoute() {
  const { deploymentId = "" } = useParams();
  return <DeploymentDetailPage key={deploymentId} deploymentId={deploymentId} />;
}
