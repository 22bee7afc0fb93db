// The one way a form starts a job. Every form that starts a job (platform verification, tenant
// drain / resume / migrate, service deploy / rollback) goes through useJobSubmission:
//
// - Idempotency-Key per attempt, kept on retry: an attempt is one request body. Submitting the
//   same body again after a failure (a retry) resends the same key and request flow, so the
//   server creates the job at most once; a different body, or `reset()` (closing or reopening
//   the form, re-planning), starts a new attempt with a new key.
// - The request flow of the attempt is remembered for the job, so its progress page continues
//   the correlation id and trace of the request that started it.
// - Success: a toast with the request ids, the jobs lists (and `invalidates`) refetched, then
//   navigation to the job's live progress. A 409 that names a job without being `lock_held`
//   means this key already started that job: the form follows it the same way.
// - A refusal (409 lock_held, 409 plan_stale, 422 preflight_refused) stays on the form: render
//   `<JobRefusal error={submission.error} />`.
import { useMutation, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useRef } from "react";
import { useNavigate } from "react-router";
import { isApiError, rememberJobFlow, startFlow, type Job } from "@/api";
import { useToast } from "@/components/ui";
import { jobHref } from "@/lib";
import { jobKeys, type JobAttempt } from "./queries";

export interface JobSubmissionOptions<TInput> {
  /** Sends the request: must send `attempt.idempotencyKey` as Idempotency-Key and `flowHeaders(attempt.flow)`. */
  start: (input: TInput, attempt: JobAttempt) => Promise<Job>;
  /** The toast title once the job was accepted, e.g. "Drain of acme started". */
  startedTitle: (job: Job, input: TInput) => string;
  /** Query keys the new job makes stale, besides the jobs lists (always refetched). */
  invalidates?: readonly QueryKey[];
  /** Runs right before the form navigates to the job (e.g. closes the dialog). */
  beforeNavigate?: () => void;
}

export interface JobSubmission<TInput> {
  /** Sends `input`: a retry of the same input reuses the attempt's Idempotency-Key. */
  submit(input: TInput): void;
  /** Forgets the attempt and the last error: the next submit is a new attempt. */
  reset(): void;
  isPending: boolean;
  isError: boolean;
  error: unknown;
}

interface Attempt extends JobAttempt {
  /** The body the attempt sent: a retry is the same body. */
  fingerprint: string;
}

export function useJobSubmission<TInput>(options: JobSubmissionOptions<TInput>): JobSubmission<TInput> {
  const navigate = useNavigate();
  const toast = useToast();
  const queryClient = useQueryClient();
  const attempt = useRef<Attempt | null>(null);
  const mutation = useMutation({
    mutationFn: async ({ input, sent }: { input: TInput; sent: Attempt }) => {
      const job = await options.start(input, { idempotencyKey: sent.idempotencyKey, flow: sent.flow });
      rememberJobFlow(job.id, sent.flow);
      return job;
    },
  });

  const follow = (jobId: string) => {
    attempt.current = null;
    options.beforeNavigate?.();
    navigate(jobHref(jobId));
  };

  const submit = (input: TInput) => {
    const fingerprint = JSON.stringify(input);
    const last = attempt.current;
    const sent = last && last.fingerprint === fingerprint ? last : { idempotencyKey: crypto.randomUUID(), flow: startFlow(), fingerprint };
    attempt.current = sent;
    mutation.mutate(
      { input, sent },
      {
        onSuccess: (job) => {
          toast.show({ tone: "success", title: options.startedTitle(job, input), requestId: job.request_id, correlationId: job.correlation_id });
          for (const queryKey of [jobKeys.lists(), ...(options.invalidates ?? [])]) void queryClient.invalidateQueries({ queryKey });
          follow(job.id);
        },
        onError: (error) => {
          if (isApiError(error) && error.status === 409 && error.code !== "lock_held" && error.jobId) follow(error.jobId);
        },
      },
    );
  };

  const reset = () => {
    attempt.current = null;
    mutation.reset();
  };

  return { submit, reset, isPending: mutation.isPending, isError: mutation.isError, error: mutation.error };
}
