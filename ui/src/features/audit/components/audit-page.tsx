import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { AUDIT_OUTCOMES, type AuditOutcome, type AuditRow } from "@/api";
import { Page } from "@/components/layout";
import { Button, Input, PagedResult, StaleNotice, useToast } from "@/components/ui";
import { currentTenant, saveBlob, localInputToRfc3339, RIGHTS, useCursorHistory, useStore, useUrlFilters } from "@/lib";
import { useRights } from "@/session";
import { AuditDetail } from "./audit-detail";
import { AuditTable } from "./audit-table";
import { auditQueries, exportAudit, type AuditFilters, type ExportFormat } from "@/features/audit/queries";

const FILTERS = ["q", "actor", "action", "tenant_id", "outcome", "exclude", "since", "until", "correlation_id", "job_id", "collapse"] as const;

/** Outcomes kept in the URL as a comma list (`?outcome=failed,denied`). */
function outcomes(value: string): AuditOutcome[] | undefined {
  const list = value.split(",").filter((o): o is AuditOutcome => (AUDIT_OUTCOMES as readonly string[]).includes(o));
  return list.length ? list : undefined;
}

function toggle(value: string, outcome: AuditOutcome, on: boolean): string {
  const set = new Set(outcomes(value) ?? []);
  if (on) set.add(outcome);
  else set.delete(outcome);
  return AUDIT_OUTCOMES.filter((o) => set.has(o)).join(",");
}

function OutcomeChoice({ legend, value, onChange }: { legend: string; value: string; onChange: (next: string) => void }) {
  const chosen = new Set(outcomes(value) ?? []);
  return (
    <fieldset className="flex flex-wrap items-center gap-2 text-sm">
      <legend className="mb-1 w-full text-xs font-medium text-zinc-700 dark:text-zinc-300">{legend}</legend>
      {AUDIT_OUTCOMES.map((o) => (
        <label key={o} className="inline-flex items-center gap-1">
          <input type="checkbox" checked={chosen.has(o)} onChange={(e) => onChange(toggle(value, o, e.target.checked))} />
          {o}
        </label>
      ))}
    </fieldset>
  );
}
const PAGE_SIZE = 100;

export default function AuditPage() {
  const { values, setValues, cursor } = useUrlFilters(FILTERS);
  const pages = useCursorHistory(cursor, (next) => setValues({ cursor: next }));
  const rights = useRights();
  const toast = useToast();
  const [exporting, setExporting] = useState<ExportFormat | null>(null);
  const [opened, setOpened] = useState<AuditRow | null>(null);
  // The header's tenant scopes the log (and the export) unless the page's Tenant filter names another.
  const headerTenant = useStore(currentTenant);

  const filters: AuditFilters = {
    q: values.q.trim() || undefined,
    actor: values.actor || undefined,
    action: values.action || undefined,
    tenant_id: values.tenant_id || headerTenant || undefined,
    outcome: outcomes(values.outcome),
    exclude_outcome: outcomes(values.exclude),
    since: localInputToRfc3339(values.since),
    until: localInputToRfc3339(values.until),
    correlation_id: values.correlation_id || undefined,
    job_id: values.job_id || undefined,
  };
  const collapse = values.collapse !== "0";
  const audit = useQuery(auditQueries.list({ ...filters, cursor, limit: PAGE_SIZE, count: true, collapse_denials: collapse }));
  const denials = audit.data?.items.filter((event) => event.outcome === "denied").length ?? 0;

  const download = async (format: ExportFormat) => {
    setExporting(format);
    try {
      const blob = await exportAudit(filters, format);
      saveBlob(blob, `audit-${new Date().toISOString().replace(/[:.]/g, "-")}.${format === "csv" ? "csv" : "ndjson"}`);
    } catch (error) {
      toast.error(error, "Export failed");
    } finally {
      setExporting(null);
    }
  };
  const exportBlocked = rights.reasonIfMissing(RIGHTS.auditExport);

  return (
    <Page
      title="Audit Log"
      actions={
        <>
          <Button disabledReason={exportBlocked} disabled={exporting !== null} onClick={() => void download("ndjson")}>
            {exporting === "ndjson" ? "Exporting…" : "Export NDJSON"}
          </Button>
          <Button disabledReason={exportBlocked} disabled={exporting !== null} onClick={() => void download("csv")}>
            {exporting === "csv" ? "Exporting…" : "Export CSV"}
          </Button>
        </>
      }
    >
      <form className="grid grid-cols-2 items-end gap-3 md:grid-cols-4" aria-label="Audit filters" onSubmit={(e) => e.preventDefault()}>
        <Input
          label="Search"
          placeholder="actor, action or target contains…"
          value={values.q}
          onChange={(e) => setValues({ q: e.target.value })}
          className="col-span-2"
        />
        <Input label="Actor" value={values.actor} onChange={(e) => setValues({ actor: e.target.value })} />
        <Input label="Action" value={values.action} onChange={(e) => setValues({ action: e.target.value })} />
        <Input
          label="Tenant"
          value={values.tenant_id}
          placeholder={headerTenant ?? undefined}
          hint={headerTenant && !values.tenant_id ? "From the header" : undefined}
          onChange={(e) => setValues({ tenant_id: e.target.value })}
        />
        <div className="col-span-2 flex flex-col gap-2">
          <OutcomeChoice legend="Only these outcomes" value={values.outcome} onChange={(next) => setValues({ outcome: next })} />
          <OutcomeChoice legend="Hide these outcomes" value={values.exclude} onChange={(next) => setValues({ exclude: next })} />
        </div>
        <Input label="Since" type="datetime-local" value={values.since} onChange={(e) => setValues({ since: e.target.value })} />
        <Input label="Until" type="datetime-local" value={values.until} onChange={(e) => setValues({ until: e.target.value })} />
        <Input label="Correlation ID" value={values.correlation_id} onChange={(e) => setValues({ correlation_id: e.target.value })} />
        <Input label="Job ID" value={values.job_id} onChange={(e) => setValues({ job_id: e.target.value })} />
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={collapse} onChange={(e) => setValues({ collapse: e.target.checked ? "" : "0" })} />
          One row per run of repeated denials
        </label>
        <Button
          onClick={() =>
            setValues({ q: "", actor: "", action: "", tenant_id: "", outcome: "", exclude: "", since: "", until: "", correlation_id: "", job_id: "", collapse: "" })
          }
        >
          Clear filters
        </Button>
      </form>
      {denials > 0 ? (
        <p className="text-sm text-red-800 dark:text-red-300" role="status">
          {denials} denied request{denials === 1 ? "" : "s"} on this page (highlighted).
        </p>
      ) : null}
      <PagedResult query={audit} pages={pages} loadingLabel="Loading audit events…">
        {(page) => (
          <>
            <StaleNotice stale={page.stale} ageSeconds={page.stale_for_s} what="audit log" />
            <p className="text-sm text-zinc-700 dark:text-zinc-300" data-testid="audit-total">
              {page.total_capped ? `${page.total.toLocaleString()}+` : page.total.toLocaleString()} event{page.total === 1 && !page.total_capped ? "" : "s"} match
              {collapse ? "; repeated denials are shown once with their count" : ""}.
            </p>
            <AuditTable events={page.items} onOpen={setOpened} />
          </>
        )}
      </PagedResult>
      <AuditDetail event={opened} onClose={() => setOpened(null)} />
    </Page>
  );
}
