import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import type { AuditRow } from "@/api";
import { CopyButton, JobLink, Modal, RelativeTime, StatusBadge } from "@/components/ui";
import { DASHBOARDS, dashboardUrl, investigateHref } from "@/lib";
import { sessionQueries } from "@/session";

const LOGS = DASHBOARDS.find((d) => d.uid === "cl-logs");

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[9rem_1fr] gap-2 border-t border-zinc-200 py-1.5 text-sm dark:border-zinc-800">
      <dt className="text-zinc-600 dark:text-zinc-400">{label}</dt>
      <dd className="min-w-0 break-all">{children}</dd>
    </div>
  );
}

function Id({ value, label }: { value: string | null | undefined; label: string }) {
  if (!value) return <span className="text-zinc-500">—</span>;
  return (
    <span className="inline-flex items-center gap-1">
      <code className="font-mono text-xs">{value}</code>
      <CopyButton value={value} label={`Copy ${label}`} />
    </span>
  );
}

/** Every field of one audit event, its ids, and where to go from it: the job, the investigation
 * of its correlation id, and Grafana's logs for it (when Grafana is configured). */
export function AuditDetail({ event, onClose }: { event: AuditRow | null; onClose: () => void }) {
  const config = useQuery(sessionQueries.uiConfig());
  const grafana = config.data?.grafana_base_url || null;
  return (
    <Modal open={event !== null} onClose={onClose} title={event ? `Audit event ${event.action}` : "Audit event"} placement="side" size="lg">
      {event ? (
        <div className="flex flex-col gap-4">
          <dl aria-label="Audit event fields">
            <Field label="At">
              <RelativeTime value={event.at} /> <span className="text-xs text-zinc-600 dark:text-zinc-400">({event.at})</span>
            </Field>
            {event.repeat > 1 ? (
              <Field label="Repeated">
                {event.repeat} denials in a row, the first <RelativeTime value={event.first_at} />
              </Field>
            ) : null}
            <Field label="Actor">{event.actor}</Field>
            <Field label="Action">
              <code className="font-mono text-xs">{event.action}</code>
            </Field>
            <Field label="Target">{event.target}</Field>
            <Field label="Outcome">
              <StatusBadge status={event.outcome} />
            </Field>
            <Field label="Tenant">{event.tenant_id ?? "—"}</Field>
            <Field label="Reason">{event.reason ?? "—"}</Field>
            <Field label="Event ID">
              <Id value={event.id} label="event id" />
            </Field>
            <Field label="Request ID">
              <Id value={event.request_id} label="request id" />
            </Field>
            <Field label="Correlation ID">
              <Id value={event.correlation_id} label="correlation id" />
            </Field>
            <Field label="Trace ID">
              <Id value={event.trace_id} label="trace id" />
            </Field>
            <Field label="Job">{event.job_id ? <JobLink id={event.job_id} /> : "—"}</Field>
          </dl>
          {event.detail && Object.keys(event.detail).length > 0 ? (
            <section aria-label="Detail">
              <h3 className="text-sm font-semibold">Detail</h3>
              <pre className="mt-1 max-h-80 overflow-auto rounded bg-zinc-100 p-2 text-xs dark:bg-zinc-800">{JSON.stringify(event.detail, null, 2)}</pre>
            </section>
          ) : null}
          <nav aria-label="Go from this event" className="flex flex-wrap gap-3 text-sm">
            {event.job_id ? <JobLink id={event.job_id} className="text-sky-800 hover:underline dark:text-sky-300">Open the job</JobLink> : null}
            {event.correlation_id ? (
              <Link className="text-sky-800 hover:underline dark:text-sky-300" to={investigateHref(event.correlation_id)}>
                Investigate the correlation id
              </Link>
            ) : null}
            {event.correlation_id && grafana && LOGS ? (
              <a
                className="text-sky-800 hover:underline dark:text-sky-300"
                href={dashboardUrl(grafana, LOGS, { correlationId: event.correlation_id, from: "now-24h" })}
                target="_blank"
                rel="noreferrer"
              >
                Logs in Grafana
              </a>
            ) : null}
            {event.correlation_id && !grafana ? (
              <span className="text-zinc-600 dark:text-zinc-400">Grafana links need CONTROL_GRAFANA_URL.</span>
            ) : null}
          </nav>
        </div>
      ) : null}
    </Modal>
  );
}
