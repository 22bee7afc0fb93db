import type { ReactNode } from "react";
import { isApiError } from "@/api";
import { Button } from "./button";
import { IdChip } from "./id-chip";

export function LoadingState({ label = "Loading…" }: { label?: string }) {
  return (
    <div role="status" className="flex items-center gap-2 p-6 text-sm text-zinc-600 dark:text-zinc-400">
      <span className="h-3 w-3 animate-pulse rounded-full bg-sky-600" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-zinc-300 p-8 text-center dark:border-zinc-700">
      <p className="text-sm font-medium">{title}</p>
      {children ? <div className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{children}</div> : null}
    </div>
  );
}

/** The request ids of a failed call, each copyable: what an operator pastes into a ticket. */
export function ErrorIds({ requestId, correlationId }: { requestId: string | null; correlationId: string | null }) {
  return (
    <div className="flex flex-wrap gap-2">
      <IdChip label="Request ID" value={requestId} />
      <IdChip label="Correlation ID" value={correlationId} />
    </div>
  );
}

/** Where the missing right was needed, as the API names it (`tenant:<id>`, `platform`). */
function scopeText(scope: string | null): string {
  if (scope?.startsWith("tenant:")) return ` on tenant ${scope.slice("tenant:".length)} (this tenant is outside your scope)`;
  if (scope === "platform") return " platform-wide (a right on some tenants only is not enough here)";
  return "";
}

export function ErrorState({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  if (isApiError(error) && error.status === 403) {
    return (
      <section
        role="alert"
        aria-label="Permission denied"
        className="flex flex-col gap-3 rounded-lg border border-amber-300 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950"
      >
        <h2 className="text-sm font-semibold">Permission denied</h2>
        <p className="text-sm">
          {error.missingRight ? (
            <>
              Your principal lacks the right <code className="font-mono font-semibold">{error.missingRight}</code>
              {scopeText(error.scope)}. Ask an administrator to grant it.
            </>
          ) : (
            (error.detail ?? "You are not allowed to do this.")
          )}
        </p>
        <ErrorIds requestId={error.requestId} correlationId={error.correlationId} />
      </section>
    );
  }
  const api = isApiError(error) ? error : null;
  return (
    <section
      role="alert"
      aria-label="Error"
      className="flex flex-col gap-3 rounded-lg border border-red-300 bg-red-50 p-4 dark:border-red-800 dark:bg-red-950"
    >
      <h2 className="text-sm font-semibold">{title ?? api?.title ?? "Something went wrong"}</h2>
      <p className="text-sm">
        {api ? (api.detail ?? `HTTP ${api.status}`) : error instanceof Error ? error.message : String(error)}
        {api?.code ? <span className="ml-2 font-mono text-xs">({api.code})</span> : null}
      </p>
      {api ? <ErrorIds requestId={api.requestId} correlationId={api.correlationId} /> : null}
      {onRetry ? (
        <div>
          <Button size="sm" onClick={onRetry}>
            Retry
          </Button>
        </div>
      ) : null}
    </section>
  );
}
