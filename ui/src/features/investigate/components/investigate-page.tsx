import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { Page } from "@/components/layout";
import { Button, IdChip, Input, EmptyState, ErrorState, LoadingState } from "@/components/ui";
import { normaliseSearchId } from "@/lib";
import { AuditTable } from "@/features/audit";
import { JobsTable } from "@/features/jobs";
import { investigateQueries } from "@/features/investigate/queries";

function ExternalLink({ href, children }: { href: string; children: React.ReactNode }) {
  return (
    <a className="text-sm text-sky-800 hover:underline dark:text-sky-300" href={href} target="_blank" rel="noreferrer">
      {children} <span aria-hidden="true">↗</span>
    </a>
  );
}

export default function InvestigatePage() {
  const [params, setParams] = useSearchParams();
  const id = params.get("id")?.trim() ?? "";
  const [draft, setDraft] = useState(id);
  const result = useQuery(investigateQueries.id(id));

  return (
    <Page title="Investigate">
      <form
        className="flex items-end gap-2"
        role="search"
        aria-label="Investigate an id"
        onSubmit={(event) => {
          event.preventDefault();
          const normalised = normaliseSearchId(draft);
          if (!normalised) return;
          setParams((current) => {
            const next = new URLSearchParams(current);
            next.set("id", normalised);
            return next;
          });
        }}
      >
        <Input
          className="w-full max-w-xl"
          label="Request id, correlation id or trace id"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
        <Button type="submit" variant="primary">
          Investigate
        </Button>
      </form>
      {!id ? <EmptyState title="Paste an id to see the jobs and audit events that carry it." /> : null}
      {id && result.isPending ? <LoadingState label="Searching…" /> : null}
      {result.isError ? <ErrorState error={result.error} onRetry={() => void result.refetch()} /> : null}
      {result.data ? (
        <>
          <section aria-label="Matched id" className="flex flex-wrap items-center gap-2">
            <IdChip label="ID" value={result.data.id} />
            <span className="text-sm text-zinc-700 dark:text-zinc-300">
              {result.data.kinds.length > 0
                ? `Matched as ${result.data.kinds.map((k) => k.replace(/_/g, " ")).join(", ")}`
                : "Not found as any known id"}
            </span>
          </section>
          <section aria-labelledby="links-heading" className="flex flex-col gap-1">
            <h2 id="links-heading" className="text-sm font-semibold">Grafana Explore</h2>
            {result.data.links.loki || result.data.links.tempo ? (
              <div className="flex gap-4">
                {result.data.links.loki ? <ExternalLink href={result.data.links.loki}>Logs in Loki</ExternalLink> : null}
                {result.data.links.tempo ? <ExternalLink href={result.data.links.tempo}>Trace in Tempo</ExternalLink> : null}
              </div>
            ) : (
              <p className="text-sm text-zinc-600 dark:text-zinc-400">No Grafana links: Grafana is not configured for this deployment.</p>
            )}
          </section>
          <section aria-labelledby="jobs-heading" className="flex flex-col gap-2">
            <h2 id="jobs-heading" className="text-sm font-semibold">Jobs ({result.data.jobs.length})</h2>
            <JobsTable id="inv-jobs" jobs={result.data.jobs} height="320px" />
          </section>
          <section aria-labelledby="audit-heading" className="flex flex-col gap-2">
            <h2 id="audit-heading" className="text-sm font-semibold">Audit events ({result.data.audit_events.length})</h2>
            <AuditTable id="inv-audit" events={result.data.audit_events} height="400px" />
          </section>
        </>
      ) : null}
    </Page>
  );
}
