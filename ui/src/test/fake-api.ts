// A typed stand-in for the Control API, installed as globalThis.fetch. Each handler gets the
// real Request the client built, so tests can assert on the headers that were sent.
import { vi } from "vitest";
import type {
  AuditPage,
  FleetSnapshot,
  InvestigateResult,
  Job,
  JobPage,
  PlacementOverview,
  TenantDetail,
  TenantSummary,
  UiConfig,
  WhoAmI,
} from "@/api";
import { definitionsOverview, domainsList, routingDetail, routingHistory } from "./config-fixtures";
import { whoami } from "./fixtures";

export interface FakeReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A ready response (the event stream), sent as it is. */
  raw?: Response;
}

type Handler = (request: Request, url: URL, match: RegExpMatchArray) => FakeReply | Promise<FakeReply>;

export interface FakeApiOptions {
  uiConfig?: UiConfig;
  whoami?: WhoAmI;
  jobs?: Job[];
  jobPage?: (url: URL) => JobPage;
  audit?: AuditPage;
  investigate?: InvestigateResult;
  iam?: { users?: unknown; sessions?: unknown; roles?: unknown };
  tenants?: TenantSummary[];
  tenant?: (id: string) => TenantDetail;
  fleet?: FleetSnapshot;
  placement?: PlacementOverview;
  /**
   * GET /admin/v1/events: "open" keeps a stream open that `emit` writes to; "down" (the default,
   * so pages keep their fallback polling in tests that are not about the stream) answers 503.
   */
  events?: "open" | "down";
  routes?: Array<[method: string, pattern: RegExp, handler: Handler]>;
}

export const defaultUiConfig: UiConfig = {
  dev_login_enabled: true,
  version: "0.1.0-test",
  git_sha: "abc1234",
  grafana_base_url: null,
  password_login_enabled: true,
  sso: null,
};

export const emptyFleet: FleetSnapshot = {
  age_s: 1,
  duration_ms: 5,
  instances: [],
  max_age_s: 30,
  stale: false,
  summary: { healthy: 0, instances: 0, ready: 0, unreachable: 0, versions: {} },
  taken_at: "2026-11-27T00:00:00Z",
};

export const emptyPlacement: PlacementOverview = {
  maps: [],
  routing: { age_s: null, config: null, key: "routing", last_error: null, present: false, revision: null, source: "nats", stale: false, stale_for_s: null, updated_at: null },
  source: "nats",
  stale: false,
  stale_for_s: null,
};

export function emptyTenant(id: string): TenantDetail {
  return { tenant_id: id, known: false, stale: false, fleet_snapshot_age_s: null, placement: [], recent_jobs: [], recent_audit_events: [], status_source: "service-admin" };
}

export function problem(status: number, extra: Record<string, unknown> = {}): FakeReply {
  return {
    status,
    headers: { "content-type": "application/problem+json" },
    body: {
      type: "about:blank",
      title: extra.title ?? `HTTP ${status}`,
      status,
      code: extra.code ?? "error",
      request_id: "req-from-problem",
      correlation_id: "corr-from-problem",
      ...extra,
    },
  };
}

export interface FakeApi {
  requests: Request[];
  fetch: ReturnType<typeof vi.fn>;
  /** Sends one server-sent event to every open event stream. */
  emit(event: string, data: unknown): void;
  /** Ends every open event stream (as a server restart would). */
  endStreams(): void;
  /** How many event streams are open. */
  openStreams(): number;
}

let served = 0;

export function installFakeApi(options: FakeApiOptions = {}): FakeApi {
  const jobs = options.jobs ?? [];
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const encoder = new TextEncoder();
  let eventId = 0;
  const openStream = (request: Request): FakeReply => {
    if (options.events !== "open") return problem(503, { title: "Events unavailable" });
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
        streams.add(c);
      },
      cancel: () => {
        streams.delete(controller);
      },
    });
    request.signal?.addEventListener("abort", () => {
      streams.delete(controller);
      try {
        controller.close();
      } catch {
        // already closed
      }
    });
    return { raw: new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } }) };
  };
  const routes: Array<[string, RegExp, Handler]> = [
    ...(options.routes ?? []),
    ["GET", /^\/admin\/v1\/events$/, (request) => openStream(request)],
    ["GET", /^\/admin\/v1\/ui-config$/, () => ({ body: options.uiConfig ?? defaultUiConfig })],
    ["GET", /^\/admin\/v1\/whoami$/, () => ({ body: options.whoami ?? whoami() })],
    [
      "GET",
      /^\/admin\/v1\/jobs$/,
      (_r, url) => ({ body: options.jobPage?.(url) ?? { items: jobs, next_cursor: null } }),
    ],
    [
      "GET",
      /^\/admin\/v1\/jobs\/kinds$/,
      () => ({
        body: [{ kind: "platform.verify", description: "Probe the fleet", right: "control.jobs.run", tenant_scoped: false }],
      }),
    ],
    [
      "GET",
      /^\/admin\/v1\/tenant\/activity$/,
      (request) => ({ body: { tenant_id: request.headers.get("x-tenant-id") ?? "", jobs, audit_events: options.audit?.items ?? [] } }),
    ],
    [
      "GET",
      /^\/admin\/v1\/jobs\/([^/]+)$/,
      (_r, _u, m) => {
        const job = jobs.find((j) => j.id === decodeURIComponent(m[1]!));
        return job ? { body: job } : problem(404, { title: "Job not found", code: "not_found" });
      },
    ],
    [
      "GET",
      /^\/admin\/v1\/audit$/,
      () => {
        const page = options.audit ?? { items: [], next_cursor: null };
        return { body: { total: page.items.length, total_capped: false, ...page } };
      },
    ],
    [
      "GET",
      /^\/admin\/v1\/investigate$/,
      (_r, url) => ({
        body: options.investigate ?? {
          id: url.searchParams.get("id") ?? "",
          kinds: [],
          jobs: [],
          audit_events: [],
          links: { loki: null, tempo: null },
        },
      }),
    ],
    [
      "GET",
      /^\/admin\/v1\/tenants$/,
      () => ({ body: { items: options.tenants ?? [], next_cursor: null, revisions: {}, stale: false, total: options.tenants?.length ?? 0 } }),
    ],
    [
      "GET",
      /^\/admin\/v1\/tenants\/([^/]+)$/,
      (_r, _u, m) => ({ body: options.tenant?.(decodeURIComponent(m[1]!)) ?? emptyTenant(decodeURIComponent(m[1]!)) }),
    ],
    ["GET", /^\/admin\/v1\/fleet$/, () => ({ body: options.fleet ?? emptyFleet })],
    ["GET", /^\/admin\/v1\/placement$/, () => ({ body: options.placement ?? emptyPlacement })],
    ["GET", /^\/admin\/v1\/iam\/users$/, () => ({ body: options.iam?.users ?? [] })],
    ["GET", /^\/admin\/v1\/iam\/sessions$/, () => ({ body: options.iam?.sessions ?? [] })],
    ["GET", /^\/admin\/v1\/iam\/roles$/, () => ({ body: options.iam?.roles ?? [] })],
    ["GET", /^\/admin\/v1\/config$/, () => ({ body: { items: [routingDetail], next_cursor: null } })],
    ["GET", /^\/admin\/v1\/config\/domains$/, () => ({ body: domainsList })],
    ["GET", /^\/admin\/v1\/config\/[^/]+\/[^/]+\/history$/, () => ({ body: { items: routingHistory, next_cursor: null } })],
    ["GET", /^\/admin\/v1\/config\/[^/]+\/[^/]+$/, () => ({ body: routingDetail })],
    ["GET", /^\/admin\/v1\/definitions$/, () => ({ body: definitionsOverview })],
  ];
  const requests: Request[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    requests.push(request);
    const url = new URL(request.url);
    for (const [method, pattern, handler] of routes) {
      const match = url.pathname.match(pattern);
      if (method === request.method && match) {
        const reply = await handler(request, url, match);
        served += 1;
        if (reply.raw) return reply.raw;
        const headers = new Headers({
          "content-type": "application/json",
          "x-request-id": request.headers.get("x-request-id") ?? "",
          "x-correlation-id": request.headers.get("x-correlation-id") ?? `corr-${served}`,
          traceparent: request.headers.get("traceparent") ?? `00-${served.toString(16).padStart(32, "0")}-${"1".repeat(16)}-01`,
          ...reply.headers,
        });
        const body = reply.body === undefined ? null : JSON.stringify(reply.body);
        return new Response(body, { status: reply.status ?? 200, headers });
      }
    }
    return new Response(JSON.stringify({ title: "No fake route", status: 404 }), {
      status: 404,
      headers: { "content-type": "application/problem+json" },
    });
  });
  vi.stubGlobal("fetch", fetch);
  return {
    requests,
    fetch,
    emit(event, data) {
      eventId += 1;
      const chunk = encoder.encode(`id: ${eventId}\r\nevent: ${event}\r\ndata: ${JSON.stringify(data)}\r\n\r\n`);
      for (const controller of streams) controller.enqueue(chunk);
    },
    endStreams() {
      for (const controller of streams) controller.close();
      streams.clear();
    },
    openStreams: () => streams.size,
  };
}
