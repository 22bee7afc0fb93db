import { cn, formatAgo, LIVE_REFETCH_MS, type LiveStreamState } from "@/lib";

const DOT: Record<LiveStreamState["status"], string> = {
  live: "bg-emerald-600",
  connecting: "bg-zinc-400",
  off: "bg-zinc-400",
  retrying: "bg-amber-500",
};

function describe(state: LiveStreamState, now: number): { label: string; detail: string } {
  const heard = state.lastMessageAt ? ` Last heard from ${formatAgo(state.lastMessageAt, now)}.` : "";
  switch (state.status) {
    case "live":
      return { label: "Live", detail: `Live updates: connected; pages update as changes happen.${heard}` };
    case "retrying": {
      const retry = state.retryAt ? ` Next attempt ${state.retryAt <= now ? "now" : `in ${Math.ceil((state.retryAt - now) / 1000)} s`}.` : "";
      return {
        label: `Polling every ${LIVE_REFETCH_MS / 1000} s`,
        detail: `Live updates are down (${state.error ?? "unknown error"}, ${state.failures} failed attempt${state.failures === 1 ? "" : "s"}); pages poll every ${LIVE_REFETCH_MS / 1000} s meanwhile.${retry}${heard}`,
      };
    }
    default:
      return { label: "Connecting…", detail: `Live updates: connecting; pages poll every ${LIVE_REFETCH_MS / 1000} s until connected.` };
  }
}

/** The header's word on live updates: connected, connecting, or down and polling (with Reconnect). */
export function LiveStatus({ state, now, onReconnect }: { state: LiveStreamState; now: number; onReconnect?: () => void }) {
  const { label, detail } = describe(state, now);
  return (
    <div className="flex items-center gap-1 text-xs whitespace-nowrap" data-testid="live-status" data-state={state.status}>
      <span role="status" title={detail} aria-label={detail} className="inline-flex items-center gap-1.5 rounded-full border border-zinc-300 px-2 py-1 dark:border-zinc-600">
        <span aria-hidden="true" className={cn("inline-block size-2 rounded-full", DOT[state.status])} />
        <span aria-hidden="true">{label}</span>
      </span>
      {state.status === "retrying" && onReconnect ? (
        <button type="button" onClick={onReconnect} className="rounded px-1.5 py-1 text-sky-800 hover:underline dark:text-sky-300">
          Reconnect
        </button>
      ) : null}
    </div>
  );
}
