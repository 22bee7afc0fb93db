import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { isApiError } from "../../../api/errors";
import { startFlow, type RequestFlow } from "../../../api/identity";
import { Button } from "../../../components/ui/button";
import { Textarea } from "../../../components/ui/input";
import { Modal } from "../../../components/ui/modal";
import { ErrorIds, ErrorState } from "../../../components/ui/states";
import { useToast } from "../../../components/ui/toast-context";
import { formatMeasure, PLACEMENT_KINDS, refusalFailures, useTenantOp, type PlacementKind, type TenantOp } from "../operations";

const COPY: Record<TenantOp, { title: string; verb: string; description: string }> = {
  drain: {
    title: "Drain",
    verb: "Drain",
    description:
      "Stops new work for this tenant on every instance of its shard and waits until its inflight work is 0. The tenant stays drained until it is resumed.",
  },
  resume: {
    title: "Resume",
    verb: "Resume",
    description: "Lets every instance of the tenant's shard take work for this tenant again.",
  },
};

interface Submission {
  idempotencyKey: string;
  flow: RequestFlow;
  body: string;
}

/** Confirms a drain or resume of a tenant (all kinds or some) with a required reason. */
export function TenantOpModal({ op, tenantId, onClose }: { op: TenantOp; tenantId: string; onClose: () => void }) {
  const copy = COPY[op];
  const [kinds, setKinds] = useState<PlacementKind[]>([...PLACEMENT_KINDS]);
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const [submission, setSubmission] = useState<Submission | null>(null);
  const run = useTenantOp();
  const navigate = useNavigate();
  const toast = useToast();
  const queryClient = useQueryClient();

  const toggle = (kind: PlacementKind, on: boolean) =>
    setKinds((current) => PLACEMENT_KINDS.filter((k) => (k === kind ? on : current.includes(k))));
  const allKinds = kinds.length === PLACEMENT_KINDS.length;
  const reasonError = touched && !reason.trim() ? "A reason is required: it is recorded in the audit log." : undefined;
  const kindsError = touched && kinds.length === 0 ? "Choose at least one kind." : undefined;

  const submit = () => {
    setTouched(true);
    if (!reason.trim() || kinds.length === 0) return;
    const sentKinds = allKinds ? null : kinds;
    const body = JSON.stringify([reason.trim(), sentKinds]);
    const current = submission?.body === body ? submission : { idempotencyKey: crypto.randomUUID(), flow: startFlow(), body };
    setSubmission(current);
    run.mutate(
      { op, tenantId, kinds: sentKinds, reason: reason.trim(), idempotencyKey: current.idempotencyKey, flow: current.flow },
      {
        onSuccess: (job) => {
          toast.show({ tone: "success", title: `${copy.verb} of ${tenantId} started`, requestId: job.request_id, correlationId: job.correlation_id });
          void queryClient.invalidateQueries({ queryKey: ["tenant", tenantId] });
          void queryClient.invalidateQueries({ queryKey: ["jobs"] });
          onClose();
          navigate(`/jobs/${encodeURIComponent(job.id)}`);
        },
      },
    );
  };

  const error = run.error;
  return (
    <Modal
      open
      onClose={onClose}
      title={`${copy.title} ${tenantId}`}
      description={copy.description}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant={op === "drain" ? "danger" : "primary"} onClick={submit} disabled={run.isPending}>
            {run.isPending ? "Starting…" : run.isError ? "Retry" : `${copy.verb} ${allKinds ? "all kinds" : kinds.join(", ") || "…"}`}
          </Button>
        </>
      }
    >
      <form
        className="flex flex-col gap-3"
        aria-label={copy.title}
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <fieldset className="flex flex-col gap-1">
          <legend className="text-xs font-medium text-zinc-700 dark:text-zinc-300">Kinds</legend>
          <div className="flex flex-wrap gap-4 text-sm">
            {PLACEMENT_KINDS.map((kind) => (
              <label key={kind} className="flex items-center gap-1.5">
                <input type="checkbox" checked={kinds.includes(kind)} onChange={(event) => toggle(kind, event.target.checked)} />
                {kind}
              </label>
            ))}
          </div>
          {kindsError ? <p className="text-xs text-red-700 dark:text-red-400">{kindsError}</p> : null}
        </fieldset>
        <Textarea label="Reason (required)" data-autofocus required value={reason} error={reasonError} onChange={(event) => setReason(event.target.value)} />
        {run.isError && isApiError(error) && error.code === "lock_held" ? (
          <div role="alert" className="flex flex-col gap-1 text-sm">
            <p className="font-semibold">Refused: another job holds this tenant's lock. Nothing was changed.</p>
            {error.jobId ? (
              <p>
                Holder:{" "}
                <Link className="font-mono text-sky-800 hover:underline dark:text-sky-300" to={`/jobs/${encodeURIComponent(error.jobId)}`}>
                  {error.jobId}
                </Link>
              </p>
            ) : null}
            <ErrorIds requestId={error.requestId} correlationId={error.correlationId} />
          </div>
        ) : run.isError && isApiError(error) && error.code === "preflight_refused" ? (
          <div role="alert" className="flex flex-col gap-1 text-sm">
            <p className="font-semibold">Refused. Nothing was changed.</p>
            <ul aria-label="Failed invariants" className="flex flex-col gap-1">
              {refusalFailures(error).map((failure) => (
                <li key={failure.name}>
                  <code className="font-mono text-xs font-semibold">{failure.name}</code> failed: measured {formatMeasure(failure.measured)}, threshold{" "}
                  {formatMeasure(failure.threshold)}. {failure.message}
                </li>
              ))}
            </ul>
            <ErrorIds requestId={error.requestId} correlationId={error.correlationId} />
          </div>
        ) : run.isError ? (
          <ErrorState error={error} title={`The ${op} could not be started`} />
        ) : null}
      </form>
    </Modal>
  );
}
