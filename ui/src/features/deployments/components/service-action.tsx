import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Button, ErrorState, Input, Modal, Select, ReasonField } from "@/components/ui";
import { RIGHTS, useDebouncedValue } from "@/lib";
import { useRights } from "@/session";
import { FailedChecks, JobRefusal, parseRefusalCheck, useJobSubmission } from "@/features/jobs";
import { ChangesTable } from "@/features/deployments/components/changes-table";
import {
  deploymentKeys,
  deploymentQueries,
  planQueries,
  startServiceJob,
  swarmKeys,
  type PlanTarget,
  type ServiceJobRequest,
} from "@/features/deployments/queries";

export type ServiceAction = "deploy" | "rollback";

/** Spec versions a deployment of this service recorded, newest first, without the current one. */
function recordedSpecVersions(
  items: ReadonlyArray<{ from_spec_version?: number | null; to_spec_version?: number | null }>,
  current: number | null | undefined,
): number[] {
  const versions = new Set<number>();
  for (const d of items) {
    if (typeof d.from_spec_version === "number") versions.add(d.from_spec_version);
    if (typeof d.to_spec_version === "number") versions.add(d.to_spec_version);
  }
  if (typeof current === "number") versions.delete(current);
  return [...versions].sort((a, b) => b - a);
}

/**
 * Deploy a new tag (or image) to a Swarm service, or roll it back, after a guarded modal: a
 * required reason and the service name typed again. The job starts through useJobSubmission.
 * `prefillImage` opens the deploy form with that image (a drift remedy's desired image) and
 * `label` names the button (and its dialog) after what it does then.
 */
export function ServiceActionButton({
  action,
  service,
  currentImage,
  currentSpecVersion,
  prefillImage,
  label,
  size = "md",
}: {
  action: ServiceAction;
  service: string;
  currentImage?: string | null;
  currentSpecVersion?: number | null;
  prefillImage?: string;
  label?: string;
  size?: "sm" | "md";
}) {
  const rights = useRights();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [tag, setTag] = useState("");
  const [image, setImage] = useState(prefillImage ?? "");
  const [gitSha, setGitSha] = useState("");
  const [toSpec, setToSpec] = useState("");
  const [confirm, setConfirm] = useState("");
  const [touched, setTouched] = useState(false);
  const history = useQuery({ ...deploymentQueries.list({ service, limit: 100 }), enabled: open && action === "rollback" });

  const deploy = action === "deploy";
  const verb = deploy ? "Deploy" : "Roll back";
  const title = label ? `${label} on ${service}` : `${verb} ${service}`;

  // What the job would change, asked as the operator types (settled for 300 ms): the same diff
  // the history shows afterwards, and the preflight's verdict.
  const target: PlanTarget | null = deploy
    ? !tag.trim() === !image.trim()
      ? null
      : { action, service, tag: tag.trim() || undefined, image: image.trim() || undefined, gitSha: gitSha.trim() || undefined }
    : { action, service, toSpecVersion: toSpec ? Number(toSpec) : undefined };
  const settled = useDebouncedValue(target);
  const plan = useQuery({ ...planQueries.plan(settled ?? { action, service }), enabled: open && settled !== null });
  const planned = plan.data && JSON.stringify(settled) === JSON.stringify(target) ? plan.data : undefined;
  const verdict = (planned?.failures ?? []).map(parseRefusalCheck);

  const close = () => {
    setOpen(false);
    setReason("");
    setTag("");
    setImage(prefillImage ?? "");
    setGitSha("");
    setToSpec("");
    setConfirm("");
    setTouched(false);
    start.reset();
  };
  const start = useJobSubmission<ServiceJobRequest>({
    start: startServiceJob,
    startedTitle: (_job, input) => (input.action === "deploy" ? `Deploy of ${service} started` : `Rollback of ${service} started`),
    invalidates: [deploymentKeys.lists(), swarmKeys.all],
    beforeNavigate: close,
  });

  const targetError =
    deploy && touched && !tag.trim() && !image.trim()
      ? "Give the new tag (or a full image reference)."
      : deploy && touched && tag.trim() && image.trim()
        ? "Give a tag or an image, not both."
        : undefined;
  const confirmed = confirm === service;

  const submit = () => {
    setTouched(true);
    if (!confirmed || !reason.trim()) return;
    if (deploy && (!tag.trim() === !image.trim())) return;
    const common = { service, reason: reason.trim(), confirm };
    start.submit(
      deploy
        ? { action: "deploy", ...common, tag: tag.trim() || undefined, image: image.trim() || undefined, gitSha: gitSha.trim() || undefined }
        : { action: "rollback", ...common, toSpecVersion: toSpec ? Number(toSpec) : undefined },
    );
  };

  const specOptions = recordedSpecVersions(history.data?.items ?? [], currentSpecVersion).map((v) => ({
    value: String(v),
    label: `Spec version ${v}`,
  }));

  return (
    <>
      <Button
        size={size}
        variant={deploy ? "primary" : "danger"}
        disabledReason={rights.reasonIfMissing(RIGHTS.deploymentsOperate)}
        onClick={() => setOpen(true)}
        aria-label={label ?? title}
      >
        {label ?? verb}
      </Button>
      <Modal
        open={open}
        onClose={close}
        title={title}
        description={
          deploy
            ? "Starts a service.deploy job: preflight, update, converge, verify. A deploy that does not converge or stays unhealthy is rolled back automatically. It is recorded in the audit log with your reason."
            : "Starts a service.rollback job: preflight, rollback, converge, verify. It is recorded in the audit log with your reason."
        }
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button
              variant={deploy ? "primary" : "danger"}
              type="submit"
              form={`service-action-${action}`}
              disabled={!confirmed || start.isPending || verdict.length > 0}
              title={verdict.length > 0 ? "The preflight would refuse it: see the failed checks" : undefined}
            >
              {start.isPending ? "Starting…" : start.isError ? "Retry" : verb}
            </Button>
          </>
        }
      >
        <form
          id={`service-action-${action}`}
          className="flex flex-col gap-3"
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          {deploy ? (
            <>
              <p className="text-sm">
                Current image: <code className="font-mono text-xs">{currentImage ?? "unknown"}</code>
              </p>
              <Input label="New tag" data-autofocus value={tag} error={targetError} onChange={(e) => setTag(e.target.value)} hint="Applied to the service's current image, e.g. 1.4.3" />
              <Input label="Or a full image reference" value={image} onChange={(e) => setImage(e.target.value)} hint="Instead of a tag, e.g. registry/name:1.4.3" />
              <Input label="Git SHA (optional)" value={gitSha} onChange={(e) => setGitSha(e.target.value)} />
            </>
          ) : (
            <Select
              label="Roll back to"
              data-autofocus
              emptyLabel="Swarm's previous spec"
              options={specOptions}
              value={toSpec}
              onChange={(e) => setToSpec(e.target.value)}
            />
          )}
          <section aria-label="What will change" className="flex flex-col gap-2 rounded-lg border border-zinc-200 p-3 dark:border-zinc-700">
            <h3 className="text-sm font-semibold">What will change</h3>
            {target === null ? (
              <p className="text-sm text-zinc-600 dark:text-zinc-400">Give a tag or an image to see what the deploy would change.</p>
            ) : plan.isError ? (
              <ErrorState error={plan.error} title="Could not plan it" />
            ) : !planned ? (
              <p className="text-sm text-zinc-600 dark:text-zinc-400" role="status">
                Planning…
              </p>
            ) : (
              <>
                <p className="text-sm">
                  <code className="font-mono text-xs">{planned.from_image}</code> →{" "}
                  <code className="font-mono text-xs">{planned.to_image ?? "unknown"}</code>{" "}
                  <span className="text-zinc-600 dark:text-zinc-400">(planned on spec version {planned.spec_version})</span>
                </p>
                <ChangesTable
                  label="Planned changes"
                  changes={planned.changes}
                  available={planned.changes_available}
                  unavailable="The spec it would land on is not known, so what would change cannot be shown."
                  none="Nothing in the service spec would change."
                />
                {verdict.length > 0 ? (
                  <div role="alert" className="flex flex-col gap-1 text-sm">
                    <p className="font-semibold">The preflight would refuse it:</p>
                    <FailedChecks checks={verdict} label="Preflight" />
                  </div>
                ) : (
                  <p className="text-sm text-emerald-800 dark:text-emerald-300">The preflight passes now; it runs again when the job starts.</p>
                )}
              </>
            )}
          </section>
          <ReasonField value={reason} onChange={setReason} touched={touched} />
          <Input
            label={
              <>
                Type <code className="font-mono font-semibold">{service}</code> to confirm
              </>
            }
            autoComplete="off"
            spellCheck={false}
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            hint={confirm && !confirmed ? "Does not match the service name yet." : undefined}
          />
          {start.isError ? <JobRefusal error={start.error} title="The job could not be started" locked="this service" /> : null}
        </form>
      </Modal>
    </>
  );
}
