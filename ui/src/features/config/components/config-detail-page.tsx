import { useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { useParams, useSearchParams } from "react-router";
import { isApiError, type ConfigDetail, type ConfigFinding, type ConfigPlan } from "@/api";
import { Page } from "@/components/layout";
import { Button, ErrorState, JobLink, LoadingState, Select } from "@/components/ui";
import { formatTime, RIGHTS } from "@/lib";
import { useRights } from "@/session";
import { configKeys, configQueries, planConfig, planConfigRollback, validateConfig, type ConfigDomain, type ConfigFormat, type ConfigRef } from "@/features/config/queries";
import { ApplyModal } from "./apply-modal";
import { HistoryList } from "./history-list";
import { FindingsList, PlanView } from "./plan-view";
import { StaleView } from "./stale-view";

const CodeEditor = lazy(() => import("./code-editor"));

function findingsOf(error: unknown): ConfigFinding[] | null {
  if (!isApiError(error)) return null;
  const found = (error.problem as { findings?: ConfigFinding[] } | null)?.findings;
  return Array.isArray(found) ? found : null;
}

export default function ConfigDetailPage() {
  const { domain = "", name = "" } = useParams();
  const [search] = useSearchParams();
  const ref: ConfigRef = { domain: domain as ConfigDomain, name, scope: search.get("scope") || "platform" };
  const detail = useQuery(configQueries.detail(ref));
  if (detail.isError) {
    return (
      <Page title="Config">
        <ErrorState error={detail.error} onRetry={() => void detail.refetch()} title="The config could not be loaded" />
      </Page>
    );
  }
  if (!detail.data) {
    return (
      <Page title="Config">
        <LoadingState label="Loading the config…" />
      </Page>
    );
  }
  // Editing state starts from the config as first loaded, once per config.
  return <ConfigEditorPage key={`${ref.domain}/${ref.name}/${ref.scope}`} configRef={ref} initial={detail.data} />;
}

function ConfigEditorPage({ configRef: ref, initial }: { configRef: ConfigRef; initial: ConfigDetail }) {
  const rights = useRights();
  // `?rollback=<revision>`: a link from elsewhere (a drift item's "adopt what runs" remedy) that
  // proposes rolling back to that revision; planning it is still the operator's click.
  const [search] = useSearchParams();
  const proposedRollback = search.get("rollback");
  const queryClient = useQueryClient();
  const detail = useQuery(configQueries.detail(ref));
  const history = useQuery(configQueries.history(ref));
  const domains = useQuery(configQueries.domains());
  const info = domains.data?.items.find((d) => d.domain === ref.domain);

  const [text, setText] = useState<string>(initial.document);
  const [base, setBase] = useState<{ revision: string | null; text: string }>({ revision: initial.revision ?? null, text: initial.document });
  const [format, setFormat] = useState<ConfigFormat>("json");
  const [findings, setFindings] = useState<ConfigFinding[]>([]);
  const [status, setStatus] = useState<string | null>(null);
  const [plan, setPlan] = useState<ConfigPlan | null>(null);
  const [planError, setPlanError] = useState<unknown>(null);
  const [applying, setApplying] = useState(false);
  const [busy, setBusy] = useState(false);

  const d = detail.data ?? initial;
  const readOnly = d.read_only;
  const canWrite = !rights.reasonIfMissing(RIGHTS.configWrite);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setStatus(null);
    setPlanError(null);
    try {
      await what();
    } catch (error) {
      const found = findingsOf(error);
      if (found) {
        setFindings(found);
        setStatus(`Invalid: ${found.filter((f) => f.severity === "error").length} error(s).`);
      } else {
        setPlanError(error);
      }
    } finally {
      setBusy(false);
    }
  };
  const validate = () =>
    run(async () => {
      const report = await validateConfig(ref, text, format);
      setFindings(report.findings);
      setStatus(report.findings.length ? "Valid, with warnings." : "Valid.");
    });
  const makePlan = (revision = base.revision) =>
    run(async () => {
      setPlan(null);
      const made = await planConfig(ref, revision, text, format);
      setFindings(made.findings);
      setPlan(made);
    });
  const rollbackTo = (target: string) =>
    run(async () => {
      const made = await planConfigRollback(ref, d.revision ?? null, target);
      setPlan(made);
      setApplying(true);
    });
  const rebase = async () => {
    const fresh = await detail.refetch();
    if (!fresh.data) return;
    setBase({ revision: fresh.data.revision ?? null, text: fresh.data.document });
    setApplying(false);
    void makePlan(fresh.data.revision ?? null);
  };
  const reset = () => {
    setText(d.document);
    setBase({ revision: d.revision ?? null, text: d.document });
    setFindings([]);
    setPlan(null);
    setStatus(null);
  };
  const stale = isApiError(planError) && planError.status === 409 && planError.code === "plan_stale";
  // A stale plan: what is there now, fetched again (the cached detail is what the plan missed).
  const refetchDetail = detail.refetch;
  const fetchCurrent = useCallback(() => void refetchDetail(), [refetchDetail]);
  useEffect(() => {
    if (stale) fetchCurrent();
  }, [stale, fetchCurrent]);
  const currentText = detail.isFetching ? null : (detail.data?.document ?? null);

  return (
    <Page
      title={`Config ${ref.domain}/${ref.name}`}
      crumbs={[{ label: "Control", to: "/" }, { label: "Config", to: "/config" }, { label: `${ref.domain}/${ref.name}` }]}
    >
      <section aria-label="Metadata" className="grid grid-cols-2 gap-x-6 gap-y-1 text-sm md:grid-cols-4">
        <div>Scope: <strong>{ref.scope}</strong></div>
        <div>Revision: <strong data-testid="config-revision">{d.revision ?? "absent"}</strong></div>
        <div>sha256: <code className="font-mono text-xs" title={d.sha256 ?? ""}>{d.sha256?.slice(0, 12) ?? "—"}</code></div>
        <div>Source: {d.source}{readOnly ? " (read-only)" : ""}</div>
        <div>Updated by: {d.updated_by ?? "—"}</div>
        <div>Updated: {d.updated_at ? formatTime(d.updated_at) : "—"}</div>
        <div>Job: {d.job_id ? <JobLink id={d.job_id} /> : "—"}</div>
        <div>Reason: {d.reason ?? "—"}</div>
        {d.path ? <div className="col-span-2">File: <code className="font-mono text-xs">{d.path}</code></div> : null}
      </section>
      {info ? <p className="text-sm text-zinc-700 dark:text-zinc-300">{info.description}. A change reloads {info.reloads}.</p> : null}
      {proposedRollback && !readOnly && proposedRollback !== d.revision ? (
        <section aria-label="Proposed rollback" className="flex flex-wrap items-center gap-2 rounded border border-sky-300 bg-sky-50 p-3 text-sm dark:border-sky-800 dark:bg-sky-950">
          <p className="mr-auto">
            Proposed: roll back to revision <strong>{proposedRollback}</strong> (what the instances run). Planning changes nothing.
          </p>
          <Button variant="primary" onClick={() => void rollbackTo(proposedRollback)} disabled={busy}>
            Plan the rollback to revision {proposedRollback}
          </Button>
        </section>
      ) : null}

      <section aria-label="Editor" className="flex flex-col gap-2">
        <div className="flex flex-wrap items-end gap-2">
          <h2 className="mr-auto text-lg font-semibold">{readOnly ? "Value" : "Edit"}</h2>
          {!readOnly && (info?.formats.length ?? 0) > 1 ? (
            <Select
              label="Format"
              options={(info?.formats ?? ["json"]).map((f) => ({ value: f, label: f.toUpperCase() }))}
              value={format}
              onChange={(e) => setFormat(e.target.value as ConfigFormat)}
            />
          ) : null}
          {!readOnly ? (
            <>
              <Button onClick={reset} disabled={busy}>Reset</Button>
              <Button onClick={() => void validate()} disabled={busy}>Validate</Button>
              <Button variant="primary" onClick={() => void makePlan()} disabled={busy}>Plan</Button>
            </>
          ) : null}
        </div>
        <p className="text-xs text-zinc-600 dark:text-zinc-400">
          Editing from revision {base.revision ?? "none"}.{" "}
          {format === "yaml" ? "YAML: any JSON is valid YAML too." : "JSON, with completion from the domain's schema (Ctrl-Space)."}
          {!canWrite && !readOnly ? " You can validate and plan; applying needs the right control.config.write." : ""}
        </p>
        <Suspense fallback={<LoadingState label="Loading the editor…" />}>
          <CodeEditor
            value={text}
            onChange={setText}
            language={format}
            readOnly={readOnly}
            schema={info?.json_schema as Record<string, unknown> | undefined}
            findings={findings}
            label={`${ref.domain}/${ref.name} document`}
          />
        </Suspense>
        {status ? <p role="status" className="text-sm font-medium">{status}</p> : null}
        {!plan ? <FindingsList findings={findings} /> : null}
        {planError && !stale ? <ErrorState error={planError} title="The plan could not be made" /> : null}
        {stale ? (
          <section role="alert" className="flex flex-col gap-2 rounded border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-800 dark:bg-amber-950">
            <p className="font-semibold">The config moved since you started editing (revision {base.revision ?? "none"}).</p>
            <p>Your text is kept. Plan it against the current revision to see what your change does now.</p>
            <Button onClick={() => void rebase()}>Plan against the current revision</Button>
            <StaleView base={base.text} current={currentText} mine={text} />
          </section>
        ) : null}
        {plan ? (
          <section aria-label="Plan result" className="flex flex-col gap-2 rounded border border-zinc-300 p-3 dark:border-zinc-700">
            <PlanView plan={plan} />
            <div className="flex gap-2">
              <Button
                variant="danger"
                disabled={!plan.ok}
                disabledReason={rights.reasonIfMissing(RIGHTS.configWrite)}
                onClick={() => setApplying(true)}
              >
                Apply…
              </Button>
            </div>
          </section>
        ) : null}
      </section>

      <section aria-label="History section" className="flex flex-col gap-2">
        <h2 className="text-lg font-semibold">History</h2>
        {history.data ? (
          <HistoryList entries={history.data.items} current={d.revision} readOnly={readOnly} onRollback={(r) => void rollbackTo(r)} busy={busy} />
        ) : history.isError ? (
          <ErrorState error={history.error} title="The history could not be loaded" />
        ) : (
          <LoadingState label="Loading the history…" />
        )}
      </section>

      {plan && applying ? (
        <ApplyModal
          ref_={ref}
          plan={plan}
          open={applying}
          onClose={() => {
            setApplying(false);
            void queryClient.invalidateQueries({ queryKey: configKeys.all });
          }}
          onReplan={() => void rebase()}
          onStale={fetchCurrent}
          baseText={base.text}
          currentText={currentText}
          mineText={plan.target_revision ? null : text}
        />
      ) : null}
    </Page>
  );
}
