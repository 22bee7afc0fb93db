import { useQuery } from "@tanstack/react-query";
import { StatusBadge } from "@/components/ui";
import { formatScalar, RIGHTS } from "@/lib";
import { jobQueries, ReasonJobButton } from "@/features/jobs";
import { parsePlaybookReport, playbookKind, type PlaybookReport } from "@/features/deployments/model";
import type { Deployment } from "@/features/deployments/types";

const clock = (s: number) => new Date(s * 1000).toISOString().slice(11, 19);

function ChecksTable({ report }: { report: PlaybookReport }) {
  return (
    <table aria-label="Playbook checks" className="w-full text-left text-sm">
      <thead className="text-xs text-zinc-600 dark:text-zinc-400">
        <tr>
          <th className="py-1 pr-3 font-medium">Check</th>
          <th className="py-1 pr-3 font-medium">Result</th>
          <th className="py-1 pr-3 font-medium">Value</th>
          <th className="py-1 pr-3 font-medium">Threshold</th>
          <th className="py-1 font-medium">Detail</th>
        </tr>
      </thead>
      <tbody>
        {report.checks.map((c) => (
          <tr key={c.check} className="border-t border-zinc-200 align-top dark:border-zinc-800">
            <td className="py-1 pr-3">
              <code className="font-mono text-xs">{c.check}</code>
            </td>
            <td className="py-1 pr-3">
              <StatusBadge status={c.ok === false ? "failed" : "ok"} />
            </td>
            <td className="py-1 pr-3 font-mono text-xs">{formatScalar(c.value)}</td>
            <td className="py-1 pr-3 font-mono text-xs">{formatScalar(c.threshold)}</td>
            <td className="py-1">{c.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The playbook result the deploy (or rollback) job stored as its verify step's output. */
export function PlaybookResults({ d }: { d: Deployment }) {
  const job = useQuery({ ...jobQueries.detail(d.job_id ?? ""), enabled: Boolean(d.job_id) });
  if (!d.job_id) return <p className="text-sm text-zinc-700 dark:text-zinc-300">Not started by a Control job: no playbook ran with it. Run one below.</p>;
  if (job.data === undefined) return <p className="text-sm text-zinc-700 dark:text-zinc-300">{job.isError ? "The deploy job could not be read." : "Loading the deploy job…"}</p>;
  const verify = job.data.steps.find((s) => s.name === "verify");
  const report = parsePlaybookReport(verify?.output);
  if (!report) return <p className="text-sm text-zinc-700 dark:text-zinc-300">The job has no playbook result (its verify step did not run{verify ? ` — ${verify.status}` : ""}).</p>;
  return (
    <div className="flex flex-col gap-2">
      <p className="text-sm">
        <code className="font-mono text-xs">playbook.{report.playbook}</code> <StatusBadge status={report.ok ? "succeeded" : "failed"} />
        {report.fromVersion || report.toVersion ? ` · ${report.fromVersion ?? "?"} → ${report.toVersion ?? "?"}` : null}
        {report.before && report.after ? ` · window before ${clock(report.before[0])}–${clock(report.before[1])}, after ${clock(report.after[0])}–${clock(report.after[1])} UTC` : null}
        {report.rolledBack ? " · rolled back" : null}
      </p>
      <ChecksTable report={report} />
    </div>
  );
}

/** "Run playbook again": the usual job flow (reason, confirmation, progress) over this deployment. */
export function RunPlaybookButton({ d }: { d: Deployment }) {
  const kind = playbookKind(d);
  return (
    <ReasonJobButton
      kind={kind}
      params={{ service: d.service, deployment_id: d.id }}
      right={RIGHTS.deploymentsOperate}
      label="Run playbook again"
      title={`Run ${kind} again`}
      description={`Checks ${d.service} over this deployment's windows again (read-only: nothing is changed or rolled back). It is recorded in the audit log with your reason.`}
      submitLabel="Run playbook"
      startedTitle={`${kind} of ${d.service} started`}
      refusalTitle="The playbook could not be started"
    />
  );
}
