// Request identity: the ids that let an operator follow one action through the platform.
//
// Rules (see docs/ui.md):
// - every request carries a fresh `x-request-id`;
// - a multi-step flow (start a job, then poll it) continues the `x-correlation-id` and
//   `traceparent` that the first response of the flow returned;
// - any other request omits both and adopts what the server returns;
// - the latest ids are kept here so the "last request" panel and error UX can show them.
import { createStore } from "@/lib";

export const REQUEST_ID = "x-request-id";
export const CORRELATION_ID = "x-correlation-id";
export const TRACEPARENT = "traceparent";
export const TENANT_ID = "x-tenant-id";
/** Internal marker naming the flow a request belongs to; stripped before sending. */
export const FLOW_MARKER = "x-ui-flow";

export interface RequestIds {
  requestId: string;
  correlationId: string | null;
  traceparent: string | null;
  method: string;
  path: string;
  status: number | null;
  at: string;
}

export const lastRequest = createStore<RequestIds | null>(null);

export function newRequestId(): string {
  return crypto.randomUUID();
}

/** The ids a multi-step flow carries from its first response to its later requests. */
export interface RequestFlow {
  readonly id: string;
  correlationId: string | null;
  traceparent: string | null;
}

const flows = new Map<string, RequestFlow>();

const MAX_FLOWS = 100;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  // Oldest first: a long session must not keep every flow it ever started.
  while (map.size > MAX_FLOWS) map.delete(map.keys().next().value as string);
}

export function startFlow(): RequestFlow {
  const flow: RequestFlow = { id: crypto.randomUUID(), correlationId: null, traceparent: null };
  remember(flows, flow.id, flow);
  return flow;
}

export function getFlow(id: string | null | undefined): RequestFlow | undefined {
  return id ? flows.get(id) : undefined;
}

/** Headers that make a request part of `flow`. */
export function flowHeaders(flow: RequestFlow | undefined): Record<string, string> {
  return flow ? { [FLOW_MARKER]: flow.id } : {};
}

// Flows that follow a job after it was started, keyed by job id, so the detail page that
// polls the job continues the ids of the request that created it.
const jobFlows = new Map<string, RequestFlow>();

export function rememberJobFlow(jobId: string, flow: RequestFlow): void {
  remember(jobFlows, jobId, flow);
}

export function jobFlow(jobId: string): RequestFlow | undefined {
  return jobFlows.get(jobId);
}

export function resetFlowsForTests(): void {
  flows.clear();
  jobFlows.clear();
  lastRequest.set(null);
}
