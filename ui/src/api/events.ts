// The console's one live stream: GET /admin/v1/events (server-sent events). The token travels
// in the Authorization header, which EventSource cannot send, so the stream is read with
// fetch (@microsoft/fetch-event-source parses it). This module owns one connection at a time
// and its reconnection: backoff with jitter, `Last-Event-ID` on every reconnect (the server
// replays what was missed or says `resync`), and a silence watchdog (the server sends a
// heartbeat comment every 15 s; a stream that says nothing for longer is treated as dead).
import { fetchEventSource, type EventSourceMessage } from "@microsoft/fetch-event-source";
import type { LiveStreamState } from "@/lib";
import { currentAuth } from "./client";
import { newRequestId, REQUEST_ID } from "./identity";
import type { JobStatus } from "./types";

export const EVENTS_PATH = "/admin/v1/events";
/** Three missed heartbeats (the server sends one every 15 s). */
export const SILENCE_MS = 45_000;
export const MAX_BACKOFF_MS = 30_000;

export interface JobEventData {
  id: string;
  kind: string;
  status: JobStatus;
  tenant_id: string | null;
}
export interface AuditEventData {
  id: string;
  action: string;
  outcome: string;
  job_id: string | null;
  tenant_id: string | null;
}
export interface DeploymentEventData {
  id: string;
  service: string;
  status: string;
  job_id: string | null;
}
export interface PlacementEventData {
  generation: number | null;
  revisions: Record<string, number | null>;
}
export interface FleetEventData {
  taken_at: string;
  instances: number;
  healthy: number;
  ready: number;
}

/** What the stream says, parsed: each topic names what changed; `resync` means "refetch everything". */
export type LiveEvent =
  | { topic: "job"; data: JobEventData }
  | { topic: "audit"; data: AuditEventData }
  | { topic: "deployment"; data: DeploymentEventData }
  | { topic: "placement"; data: PlacementEventData }
  | { topic: "fleet"; data: FleetEventData }
  | { topic: "resync" };

export type LiveTopic = LiveEvent["topic"];

type Json = Record<string, unknown>;
const isString = (value: unknown): value is string => typeof value === "string" && value.length > 0;
const optString = (value: unknown): string | null => (typeof value === "string" && value.length > 0 ? value : null);
const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/**
 * One SSE message as a LiveEvent, or null when it is not one this console knows (an unknown
 * topic, data that is not JSON, or a payload without the id it must name): such messages are
 * ignored, never guessed at.
 */
export function parseLiveEvent(event: string, data: string): LiveEvent | null {
  if (event === "resync") return { topic: "resync" };
  let body: Json;
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
    body = parsed as Json;
  } catch {
    return null;
  }
  switch (event) {
    case "job":
      return isString(body.id)
        ? { topic: "job", data: { id: body.id, kind: String(body.kind ?? ""), status: String(body.status ?? "") as JobStatus, tenant_id: optString(body.tenant_id) } }
        : null;
    case "audit":
      return isString(body.id)
        ? {
            topic: "audit",
            data: { id: body.id, action: String(body.action ?? ""), outcome: String(body.outcome ?? ""), job_id: optString(body.job_id), tenant_id: optString(body.tenant_id) },
          }
        : null;
    case "deployment":
      return isString(body.id)
        ? { topic: "deployment", data: { id: body.id, service: String(body.service ?? ""), status: String(body.status ?? ""), job_id: optString(body.job_id) } }
        : null;
    case "placement": {
      const revisions = typeof body.revisions === "object" && body.revisions !== null ? (body.revisions as Record<string, number | null>) : {};
      return { topic: "placement", data: { generation: typeof body.generation === "number" ? body.generation : null, revisions } };
    }
    case "fleet":
      return {
        topic: "fleet",
        data: { taken_at: String(body.taken_at ?? ""), instances: num(body.instances), healthy: num(body.healthy), ready: num(body.ready) },
      };
    default:
      return null;
  }
}

/** Delay before the next attempt after `failures` failed ones: 1 s, 2 s, 4 s … 30 s, ±20 % jitter. */
export function backoffDelay(failures: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Why a connection attempt failed (the HTTP status when there was an answer). */
export class StreamError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "StreamError";
  }
}

export interface EventStreamOptions {
  onEvent(event: LiveEvent): void;
  onStatus(state: LiveStreamState): void;
  backoff?: (failures: number) => number;
  silenceMs?: number;
  baseUrl?: string;
  now?: () => number;
}

export interface EventStream {
  /** Drop the current attempt's wait and connect now (keeps Last-Event-ID). */
  reconnectNow(): void;
  close(): void;
}

/**
 * Opens the stream and keeps it open until `close()`: reconnects with backoff and
 * `Last-Event-ID`, reports every state change. A 401 ends the session (the client's rule) and
 * stops reconnecting.
 */
export function openEventStream(options: EventStreamOptions): EventStream {
  const backoff = options.backoff ?? ((failures: number) => backoffDelay(failures));
  const silenceMs = options.silenceMs ?? SILENCE_MS;
  const now = options.now ?? Date.now;
  const url = `${options.baseUrl ?? window.location.origin}${EVENTS_PATH}`;

  let closed = false;
  let failures = 0;
  let lastEventId: string | null = null;
  let lastMessageAt: number | null = null;
  let controller: AbortController | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let silenceTimer: ReturnType<typeof setTimeout> | undefined;

  const report = (state: Omit<LiveStreamState, "lastMessageAt">) => {
    if (!closed) options.onStatus({ ...state, lastMessageAt });
  };

  const armWatchdog = (attempt: AbortController) => {
    clearTimeout(silenceTimer);
    silenceTimer = setTimeout(() => {
      if (attempt !== controller || closed) return;
      attempt.abort(new StreamError(`no message or heartbeat for ${Math.round(silenceMs / 1000)} s`));
    }, silenceMs);
  };

  const fail = (error: unknown) => {
    clearTimeout(silenceTimer);
    if (closed) return;
    failures += 1;
    const delay = backoff(failures);
    report({ status: "retrying", failures, retryAt: now() + delay, error: error instanceof Error ? error.message : String(error) });
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const attempt = new AbortController();
    controller = attempt;
    const headers: Record<string, string> = { accept: "text/event-stream", [REQUEST_ID]: newRequestId() };
    const token = currentAuth().token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastEventId) headers["last-event-id"] = lastEventId;
    let unauthorized = false;
    try {
      await fetchEventSource(url, {
        signal: attempt.signal,
        headers,
        openWhenHidden: true, // one stream for the tab's life; reconnecting on every tab switch would resync needlessly
        fetch: (input, init) => globalThis.fetch(input, init),
        onopen: async (response) => {
          const type = response.headers.get("content-type") ?? "";
          if (!response.ok || !type.startsWith("text/event-stream")) {
            if (response.status === 401) unauthorized = true;
            throw new StreamError(response.ok ? `unexpected content-type ${type || "(none)"}` : `HTTP ${response.status}`, response.status);
          }
          failures = 0;
          lastMessageAt = now();
          armWatchdog(attempt);
          report({ status: "live", failures: 0, retryAt: null, error: null });
        },
        onmessage: (message: EventSourceMessage) => {
          lastMessageAt = now();
          armWatchdog(attempt);
          if (message.id) lastEventId = message.id;
          if (!message.event) return; // a heartbeat comment
          const event = parseLiveEvent(message.event, message.data);
          if (!event) return;
          try {
            options.onEvent(event);
          } catch (error) {
            // A failing handler must not take the stream down with it.
            console.error("live event handler failed", error);
          }
        },
        onclose: () => {
          throw new StreamError("the server closed the stream");
        },
        // No retry inside the library: this module decides when (and whether) to reconnect.
        onerror: (error: unknown) => {
          throw error;
        },
      });
      // Resolved: the attempt was aborted, by close() or by the watchdog.
      if (!closed && attempt === controller) fail(attempt.signal.reason ?? new StreamError("aborted"));
    } catch (error) {
      if (closed || attempt !== controller) return;
      if (unauthorized) {
        clearTimeout(silenceTimer);
        currentAuth().onUnauthorized();
        report({ status: "retrying", failures: failures + 1, retryAt: null, error: "HTTP 401: signed out" });
        return;
      }
      fail(error);
    }
  }

  options.onStatus({ status: "connecting", failures: 0, retryAt: null, error: null, lastMessageAt: null });
  void connect();

  return {
    reconnectNow() {
      if (closed) return;
      clearTimeout(retryTimer);
      controller?.abort();
      controller = null;
      void connect();
    },
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(silenceTimer);
      controller?.abort();
      controller = null;
    },
  };
}
