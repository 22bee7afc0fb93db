import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Button, Input, Modal, Select, ReasonField } from "@/components/ui";
import { RIGHTS } from "@/lib";
import { useRights } from "@/session";
import { JobRefusal, useJobSubmission } from "@/features/jobs";
import { deploymentKeys, deploymentQueries, startServiceJob, swarmKeys, type ServiceJobRequest } from "@/features/deployments/queries";

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
 */
export function ServiceActionButton({
  action,
  service,
  currentImage,
  currentSpecVersion,
  size = "md",
}: {
  action: ServiceAction;
  service: string;
  currentImage?: string | null;
  currentSpecVersion?: number | null;
  size?: "sm" | "md";
}) {
  const rights = useRights();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [tag, setTag] = useState("");
  const [image, setImage] = useState("");
  const [gitSha, setGitSha] = useState("");
  const [toSpec, setToSpec] = useState("");
  const [confirm, setConfirm] = useState("");
  const [touched, setTouched] = useState(false);
  const history = useQuery({ ...deploymentQueries.list({ service, limit: 100 }), enabled: open && action === "rollback" });

  const deploy = action === "deploy";
  const verb = deploy ? "Deploy" : "Roll back";

  const close = () => {
    setOpen(false);
    setReason("");
    setTag("");
    setImage("");
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
        aria-label={`${verb} ${service}`}
      >
        {verb}
      </Button>
      <Modal
        open={open}
        onClose={close}
        title={`${verb} ${service}`}
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
              disabled={!confirmed || start.isPending}
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
