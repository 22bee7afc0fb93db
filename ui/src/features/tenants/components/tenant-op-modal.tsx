import { useState } from "react";
import { Button, Modal, ReasonField } from "@/components/ui";
import { JobRefusal, useJobSubmission } from "@/features/jobs";
import { PLACEMENT_KINDS, runTenantOp, tenantKeys, type PlacementKind, type TenantOp, type TenantOpInput } from "@/features/tenants/queries";

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

/** Confirms a drain or resume of a tenant (all kinds or some) with a required reason. */
export function TenantOpModal({ op, tenantId, onClose }: { op: TenantOp; tenantId: string; onClose: () => void }) {
  const copy = COPY[op];
  const [kinds, setKinds] = useState<PlacementKind[]>([...PLACEMENT_KINDS]);
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const run = useJobSubmission<TenantOpInput>({
    start: runTenantOp,
    startedTitle: () => `${copy.verb} of ${tenantId} started`,
    invalidates: [tenantKeys.detail(tenantId)],
    beforeNavigate: onClose,
  });

  const toggle = (kind: PlacementKind, on: boolean) =>
    setKinds((current) => PLACEMENT_KINDS.filter((k) => (k === kind ? on : current.includes(k))));
  const allKinds = kinds.length === PLACEMENT_KINDS.length;
  const kindsError = touched && kinds.length === 0 ? "Choose at least one kind." : undefined;

  const submit = () => {
    setTouched(true);
    if (!reason.trim() || kinds.length === 0) return;
    run.submit({ op, tenantId, kinds: allKinds ? null : kinds, reason: reason.trim() });
  };

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
        <ReasonField value={reason} onChange={setReason} touched={touched} autoFocus />
        {run.isError ? <JobRefusal error={run.error} title={`The ${op} could not be started`} locked="this tenant" /> : null}
      </form>
    </Modal>
  );
}
