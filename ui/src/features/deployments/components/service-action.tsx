import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { isApiError } from "../../../api/errors";
import { startFlow, type RequestFlow } from "../../../api/identity";
import { Button } from "../../../components/ui/button";
import { Input, Textarea } from "../../../components/ui/input";
import { Modal } from "../../../components/ui/modal";
import { Select } from "../../../components/ui/select";
import { ErrorIds, ErrorState } from "../../../components/ui/states";
import { useToast } from "../../../components/ui/toast-context";
import { jobHref } from "../../../lib/links";
import { RIGHTS } from "../../../lib/rights";
import { useRights } from "../../auth/queries";
import { preflightFailures } from "../model";
import { deploymentsQuery, useStartServiceJob } from "../queries";

export type ServiceAction = "deploy" | "rollback";

interface Submission {
  idempotencyKey: string;
  flow: RequestFlow;
}

/** Why the API refused a deploy or rollback: every preflight failure, the lock holder, or the error. */
export function ServiceJobRefusal({ error }: { error: unknown }) {
  const api = isApiError(error) ? error : null;
  const failures = preflightFailures(error);
  if (api && api.status === 422 && failures.length > 0) {
    return (
      <section role="alert" aria-label="Refused" className="flex flex-col gap-2 rounded-lg border border-red-300 bg-red-50 p-3 dark:border-red-800 dark:bg-red-950">
        <h3 className="text-sm font-semibold">Preflight refused: nothing was changed</h3>
        <ul className="list-disc pl-5 text-sm" aria-label="Preflight failures">
          {failures.map((f, i) => (
            <li key={`${f.check}-${i}`}>
              <code className="font-mono text-xs font-semibold">{f.check}</code>: {f.detail}
            </li>
          ))}
        </ul>
        <ErrorIds requestId={api.requestId} correlationId={api.correlationId} />
      </section>
    );
  }
  if (api && api.status === 409 && api.code === "lock_held") {
    return (
      <section role="alert" aria-label="Refused" className="flex flex-col gap-2 rounded-lg border border-red-300 bg-red-50 p-3 dark:border-red-800 dark:bg-red-950">
        <h3 className="text-sm font-semibold">Another job holds this service</h3>
        <p className="text-sm">
          {api.detail ?? "A deploy or rollback of this service is already running."}{" "}
          {api.jobId ? (
            <>
              Holder:{" "}
              <Link className="font-mono text-xs text-sky-800 underline dark:text-sky-300" to={jobHref(api.jobId)}>
                job {api.jobId}
              </Link>
            </>
          ) : null}
        </p>
        <ErrorIds requestId={api.requestId} correlationId={api.correlationId} />
      </section>
    );
  }
  return <ErrorState error={error} title={`The job could not be started${api ? ` (HTTP ${api.status})` : ""}`} />;
}

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
 * required reason, the service name typed again, and one Idempotency-Key per submission (kept
 * when that submission is retried, new when the dialog is opened again or the form changes).
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
  const [submission, setSubmission] = useState<Submission | null>(null);
  const start = useStartServiceJob();
  const navigate = useNavigate();
  const toast = useToast();
  const queryClient = useQueryClient();
  const history = useQuery({ ...deploymentsQuery({ service, limit: 100 }), enabled: open && action === "rollback" });

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
    setSubmission(null);
    start.reset();
  };

  /** Changing what is submitted makes it a new submission (a new Idempotency-Key). */
  const edit = (setter: (value: string) => void) => (value: string) => {
    setter(value);
    if (submission) setSubmission(null);
  };

  const targetError =
    deploy && touched && !tag.trim() && !image.trim()
      ? "Give the new tag (or a full image reference)."
      : deploy && touched && tag.trim() && image.trim()
        ? "Give a tag or an image, not both."
        : undefined;
  const reasonError = touched && !reason.trim() ? "A reason is required: it is recorded in the audit log." : undefined;
  const confirmed = confirm === service;

  const submit = () => {
    setTouched(true);
    if (!confirmed || !reason.trim()) return;
    if (deploy && (!tag.trim() === !image.trim())) return;
    const current = submission ?? { idempotencyKey: crypto.randomUUID(), flow: startFlow() };
    setSubmission(current);
    const common = { service, reason: reason.trim(), confirm, ...current };
    start.mutate(
      deploy
        ? { action: "deploy", ...common, tag: tag.trim() || undefined, image: image.trim() || undefined, gitSha: gitSha.trim() || undefined }
        : { action: "rollback", ...common, toSpecVersion: toSpec ? Number(toSpec) : undefined },
      {
        onSuccess: (job) => {
          toast.show({
            tone: "success",
            title: deploy ? `Deploy of ${service} started` : `Rollback of ${service} started`,
            requestId: job.request_id,
            correlationId: job.correlation_id,
          });
          void queryClient.invalidateQueries({ queryKey: ["jobs"] });
          void queryClient.invalidateQueries({ queryKey: ["deployments"] });
          void queryClient.invalidateQueries({ queryKey: ["swarm"] });
          close();
          navigate(jobHref(job.id));
        },
      },
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
              <Input label="New tag" data-autofocus value={tag} error={targetError} onChange={(e) => edit(setTag)(e.target.value)} hint="Applied to the service's current image, e.g. 1.4.3" />
              <Input label="Or a full image reference" value={image} onChange={(e) => edit(setImage)(e.target.value)} hint="Instead of a tag, e.g. registry/name:1.4.3" />
              <Input label="Git SHA (optional)" value={gitSha} onChange={(e) => edit(setGitSha)(e.target.value)} />
            </>
          ) : (
            <Select
              label="Roll back to"
              data-autofocus
              emptyLabel="Swarm's previous spec"
              options={specOptions}
              value={toSpec}
              onChange={(e) => edit(setToSpec)(e.target.value)}
            />
          )}
          <Textarea label="Reason (required)" required value={reason} error={reasonError} onChange={(e) => edit(setReason)(e.target.value)} />
          <Input
            label={
              <>
                Type <code className="font-mono font-semibold">{service}</code> to confirm
              </>
            }
            autoComplete="off"
            spellCheck={false}
            value={confirm}
            onChange={(e) => edit(setConfirm)(e.target.value)}
            hint={confirm && !confirmed ? "Does not match the service name yet." : undefined}
          />
          {start.isError ? <ServiceJobRefusal error={start.error} /> : null}
        </form>
      </Modal>
    </>
  );
}
