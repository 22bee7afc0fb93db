import { useSyncExternalStore } from "react";
import { formatAgo } from "./live";
import { formatTime } from "./format";

// One clock for every relative time on screen: it ticks only while something shows one.
const TICK_MS = 15_000;
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === undefined) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The current time (epoch ms), updated every 15 s while a component uses it. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now, () => now);
}

/** "just now", "3 min ago", "2 h ago"; "in 5 min" for a time still ahead. */
export function formatRelative(at: number, current: number): string {
  if (at <= current + 1000) return formatAgo(at, current);
  const seconds = Math.floor((at - current) / 1000);
  if (seconds < 60) return `in ${seconds} s`;
  if (seconds < 3600) return `in ${Math.floor(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `in ${Math.floor(seconds / 3600)} h`;
  return `in ${Math.floor(seconds / 86_400)} d`;
}

const local = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** The absolute time, UTC and local: what hovering a relative time shows. */
export function formatAbsolute(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${formatTime(value).replace(/Z$/, " UTC")} (${local.format(date)} local)`;
}
