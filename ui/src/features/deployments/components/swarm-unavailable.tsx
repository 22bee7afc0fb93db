import { isApiError } from "@/api";
import { ErrorIds, ErrorState } from "@/components/ui";
import { isSwarmUnavailable } from "@/features/deployments/queries";

/** Said plainly when the API answers 503 `swarm_unavailable`: an honest notice, not an error page. */
export function SwarmUnavailableNotice({ error }: { error: unknown }) {
  const api = isApiError(error) ? error : null;
  return (
    <section
      role="status"
      aria-label="Swarm integration unavailable"
      className="flex flex-col gap-2 rounded-lg border border-amber-300 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950"
    >
      <h2 className="text-sm font-semibold">Swarm integration is off or unreachable</h2>
      <p className="text-sm">
        The Control API has no Docker Swarm to read (CONTROL_SWARM_MODE is off, or the engine does not answer), so
        there are no Swarm services, tasks or deployments to show.
        {api?.detail ? <span className="mt-1 block text-xs">{api.detail}</span> : null}
      </p>
      {api ? <ErrorIds requestId={api.requestId} correlationId={api.correlationId} /> : null}
    </section>
  );
}

/** The notice for `swarm_unavailable`, the usual error panel for anything else. */
export function SwarmErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return isSwarmUnavailable(error) ? <SwarmUnavailableNotice error={error} /> : <ErrorState error={error} onRetry={onRetry} />;
}
