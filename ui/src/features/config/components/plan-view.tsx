import type { ConfigFinding, ConfigPlan, DiffHunk } from "@/api";
import { cn } from "@/lib";
import { sideBySide } from "./diff-rows";

export function FindingsList({ findings, label = "Findings" }: { findings: readonly ConfigFinding[]; label?: string }) {
  if (findings.length === 0) return null;
  return (
    <ul aria-label={label} className="flex flex-col gap-1 text-sm">
      {findings.map((f, i) => (
        <li
          key={`${f.code}-${f.pointer}-${i}`}
          className={cn(
            "rounded border p-2",
            f.severity === "warning"
              ? "border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950"
              : "border-red-300 bg-red-50 dark:border-red-800 dark:bg-red-950",
          )}
        >
          <span className="font-semibold">{f.severity === "warning" ? "Warning" : "Error"}</span>{" "}
          <code className="font-mono text-xs">{f.code}</code> at <code className="font-mono text-xs">{f.pointer || "/"}</code>: {f.message}
        </li>
      ))}
    </ul>
  );
}

function Cell({ no, text, tone }: { no: number | null; text: string | null; tone: string }) {
  return (
    <>
      <td className="w-10 pr-2 text-right align-top text-zinc-500 select-none">{no ?? ""}</td>
      <td className={cn("align-top whitespace-pre", text === null ? "bg-zinc-100 dark:bg-zinc-800" : tone)}>{text ?? ""}</td>
    </>
  );
}

export function SideBySideDiff({ hunks }: { hunks: readonly DiffHunk[] }) {
  if (hunks.length === 0) return <p className="text-sm">No change.</p>;
  return (
    <div className="max-h-[50vh] overflow-auto rounded border border-zinc-300 dark:border-zinc-700">
      <table className="w-full font-mono text-xs" aria-label="Diff, side by side">
        <thead className="sticky top-0 bg-zinc-100 dark:bg-zinc-800">
          <tr>
            <th colSpan={2} className="text-left">
              Current
            </th>
            <th colSpan={2} className="text-left">
              Proposed
            </th>
          </tr>
        </thead>
        {hunks.map((h, i) => (
          <tbody key={i} className="border-t border-zinc-300 dark:border-zinc-700">
            <tr>
              <td colSpan={4} className="bg-sky-50 text-zinc-600 dark:bg-sky-950 dark:text-zinc-300">
                @@ -{h.old_start},{h.old_lines} +{h.new_start},{h.new_lines} @@
              </td>
            </tr>
            {sideBySide(h).map((r, j) => (
              <tr key={j}>
                <Cell no={r.oldNo} text={r.oldText} tone={r.kind === "change" ? "bg-red-50 dark:bg-red-950" : ""} />
                <Cell no={r.newNo} text={r.newText} tone={r.kind === "change" ? "bg-emerald-50 dark:bg-emerald-950" : ""} />
              </tr>
            ))}
          </tbody>
        ))}
      </table>
    </div>
  );
}

/** A config plan: what changes, what it touches, what blocks it, and how it will be verified. */
export function PlanView({ plan }: { plan: ConfigPlan }) {
  const changes = plan.impact.changes;
  return (
    <section aria-label="Plan" className="flex flex-col gap-3 text-sm">
      <p>
        Base revision <strong>{plan.base_revision ?? "none"}</strong>
        {plan.target_revision ? (
          <>
            {" "}
            → revision <strong>{plan.target_revision}</strong> (rollback)
          </>
        ) : null}
        , proposed sha256 <code className="font-mono text-xs">{plan.proposed_sha256.slice(0, 12)}</code>, plan{" "}
        <code className="font-mono text-xs">{plan.plan_hash.slice(0, 12)}</code>.{" "}
        {plan.ok ? <span className="font-semibold text-emerald-800 dark:text-emerald-300">Ready to apply.</span> : <span className="font-semibold text-red-800 dark:text-red-300">Cannot be applied now.</span>}
      </p>
      <FindingsList findings={plan.findings} />
      <h3 className="font-semibold">Impact</h3>
      <p>
        {plan.impact.summary}: <strong>{plan.impact.tenants_changed}</strong> of {plan.impact.tenants_total} tenants change route.
      </p>
      {plan.impact.services.length > 0 ? (
        <p>
          Reloads: {plan.impact.services.map((s) => `${s.instance} (${s.kind})`).join(", ")}
        </p>
      ) : null}
      {changes.length > 0 ? (
        <table className="text-left text-xs" aria-label="Routing changes">
          <thead>
            <tr>
              <th className="pr-3">Tenant</th>
              <th className="pr-3">Kind</th>
              <th className="pr-3">From</th>
              <th>To</th>
            </tr>
          </thead>
          <tbody>
            {changes.slice(0, 100).map((c) => (
              <tr key={`${c.tenant}-${c.kind}`}>
                <td className="pr-3">{c.tenant}</td>
                <td className="pr-3">{c.kind}</td>
                <td className="pr-3">
                  {c.from_shard ?? "—"} ({c.from_source})
                </td>
                <td>
                  {c.to_shard ?? "—"} ({c.to_source})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {changes.length > 100 || plan.impact.changes_truncated ? <p>…and {plan.impact.tenants_changed - Math.min(100, changes.length)} more.</p> : null}
      {plan.verification.length > 0 ? (
        <p>
          Verification: {plan.verification.filter((s) => s.changed).length} changed and {plan.verification.filter((s) => !s.changed).length}{" "}
          unchanged tenants are resolved through every Gateway after the reload; a wrong answer restores revision {plan.base_revision ?? "none"}.
        </p>
      ) : null}
      <h3 className="font-semibold">Diff</h3>
      <SideBySideDiff hunks={plan.diff} />
    </section>
  );
}
