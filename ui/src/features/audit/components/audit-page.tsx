import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { AUDIT_OUTCOMES, type AuditOutcome } from "@/api";
import { Page } from "@/components/layout";
import { Button, Input, PagedResult, Select, StaleNotice, useToast } from "@/components/ui";
import { currentTenant, saveBlob, localInputToRfc3339, RIGHTS, useCursorHistory, useStore, useUrlFilters } from "@/lib";
import { useRights } from "@/session";
import { AuditTable } from "./audit-table";
import { auditQueries, exportAudit, type AuditFilters, type ExportFormat } from "@/features/audit/queries";

const FILTERS = ["actor", "action", "tenant_id", "outcome", "since", "until", "correlation_id", "job_id"] as const;
const PAGE_SIZE = 100;

export default function AuditPage() {
  const { values, setValues, cursor } = useUrlFilters(FILTERS);
  const pages = useCursorHistory(cursor, (next) => setValues({ cursor: next }));
  const rights = useRights();
  const toast = useToast();
  const [exporting, setExporting] = useState<ExportFormat | null>(null);
  // The header's tenant scopes the log (and the export) unless the page's Tenant filter names another.
  const headerTenant = useStore(currentTenant);

  const filters: AuditFilters = {
    actor: values.actor || undefined,
    action: values.action || undefined,
    tenant_id: values.tenant_id || headerTenant || undefined,
    outcome: values.outcome ? [values.outcome as AuditOutcome] : undefined,
    since: localInputToRfc3339(values.since),
    until: localInputToRfc3339(values.until),
    correlation_id: values.correlation_id || undefined,
    job_id: values.job_id || undefined,
  };
  const audit = useQuery(auditQueries.list({ ...filters, cursor, limit: PAGE_SIZE }));
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
        <Input label="Actor" value={values.actor} onChange={(e) => setValues({ actor: e.target.value })} />
        <Input label="Action" value={values.action} onChange={(e) => setValues({ action: e.target.value })} />
        <Input
          label="Tenant"
          value={values.tenant_id}
          placeholder={headerTenant ?? undefined}
          hint={headerTenant && !values.tenant_id ? "From the header" : undefined}
          onChange={(e) => setValues({ tenant_id: e.target.value })}
        />
        <Select
          label="Outcome"
          emptyLabel="Any outcome"
          options={AUDIT_OUTCOMES.map((o) => ({ value: o, label: o }))}
          value={values.outcome}
          onChange={(e) => setValues({ outcome: e.target.value })}
        />
        <Input label="Since" type="datetime-local" value={values.since} onChange={(e) => setValues({ since: e.target.value })} />
        <Input label="Until" type="datetime-local" value={values.until} onChange={(e) => setValues({ until: e.target.value })} />
        <Input label="Correlation ID" value={values.correlation_id} onChange={(e) => setValues({ correlation_id: e.target.value })} />
        <Input label="Job ID" value={values.job_id} onChange={(e) => setValues({ job_id: e.target.value })} />
        <Button
          onClick={() => setValues({ actor: "", action: "", tenant_id: "", outcome: "", since: "", until: "", correlation_id: "", job_id: "" })}
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
            <AuditTable events={page.items} />
          </>
        )}
      </PagedResult>
    </Page>
  );
}
