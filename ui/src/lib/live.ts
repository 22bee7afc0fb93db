/**
 * Live-ish data: read-only ops pages refetch in the background every LIVE_REFETCH_MS.
 * TanStack Query pauses the interval while the tab is hidden (refetchIntervalInBackground is
 * false) and keeps the last data on screen while a refetch runs, so nothing flashes empty.
 */
export const LIVE_REFETCH_MS = 10_000;

export const liveQueryOptions = {
  refetchInterval: LIVE_REFETCH_MS,
  refetchIntervalInBackground: false,
} as const;

/** "just now", "12 s ago", "3 min ago", "2 h ago": how long ago `updatedAt` (epoch ms) was at `now`. */
export function formatAgo(updatedAt: number, now: number): string {
  const seconds = Math.max(0, Math.floor((now - updatedAt) / 1000));
  if (seconds < 1) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}
