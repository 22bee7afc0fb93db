import { createStore } from "./store";

/**
 * Live data. The shell subscribes once to the API's event stream (features/live) and
 * invalidates the queries an event concerns, so pages update without polling. Only while the
 * stream is not connected do the read-only pages fall back to polling every LIVE_REFETCH_MS
 * (`fallbackInterval`); TanStack Query pauses intervals while the tab is hidden and keeps the
 * last data on screen while a refetch runs, so nothing flashes empty.
 */
export const LIVE_REFETCH_MS = 10_000;

/**
 * The state of the event stream:
 * - `off`: nobody subscribed (signed out, or a page rendered outside the shell): poll;
 * - `connecting`: the first connection is being opened: poll;
 * - `live`: connected and current: no polling;
 * - `retrying`: the stream is down and reconnects at `retryAt` (epoch ms): poll.
 */
export type LiveStreamStatus = "off" | "connecting" | "live" | "retrying";

export interface LiveStreamState {
  status: LiveStreamStatus;
  /** When the stream was last heard from (an event or a heartbeat), epoch ms. */
  lastMessageAt: number | null;
  /** Failed attempts in a row (0 while live). */
  failures: number;
  /** When the next attempt starts, epoch ms (`retrying` only). */
  retryAt: number | null;
  /** Why the last attempt failed (`retrying` only). */
  error: string | null;
}

export const OFF_STREAM: LiveStreamState = { status: "off", lastMessageAt: null, failures: 0, retryAt: null, error: null };

export const liveStream = createStore<LiveStreamState>(OFF_STREAM);

export function isStreamLive(): boolean {
  return liveStream.get().status === "live";
}

/**
 * A refetch interval that only applies while the event stream is down: `false` (no polling)
 * while it is live, `ms` otherwise. Meant for `refetchInterval` functions, which TanStack Query
 * evaluates after every fetch (features/live refetches the active queries when the stream
 * drops, so the fallback starts at once).
 */
export function fallbackInterval(ms: number | false): number | false {
  return isStreamLive() ? false : ms;
}

/** Read-only ops pages: no polling while the stream is live, every LIVE_REFETCH_MS otherwise. */
export const liveQueryOptions = {
  refetchInterval: () => fallbackInterval(LIVE_REFETCH_MS),
  refetchIntervalInBackground: false,
} as const;

/** Data no event announces (Swarm's task states): polled every LIVE_REFETCH_MS, stream or not. */
export const pollingQueryOptions = {
  refetchInterval: LIVE_REFETCH_MS,
  refetchIntervalInBackground: false,
} as const;

/** "just now", "12 s ago", "3 min ago", "2 h ago", "3 d ago": how long ago `updatedAt` (epoch ms) was at `now`. */
export function formatAgo(updatedAt: number, now: number): string {
  const seconds = Math.max(0, Math.floor((now - updatedAt) / 1000));
  if (seconds < 1) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}
