// The one HTTP client. Generated types (schema.d.ts) + openapi-fetch + one middleware that
// applies the request-identity, auth and tenant rules for every call.
import createFetchClient, { type Middleware } from "openapi-fetch";
import { currentTenant } from "@/lib";
import { ApiError, problemFromResponse } from "./errors";
import {
  CORRELATION_ID,
  FLOW_MARKER,
  getFlow,
  lastRequest,
  newRequestId,
  REQUEST_ID,
  TENANT_ID,
  TRACEPARENT,
} from "./identity";
import type { paths } from "./schema";

/** Paths whose calls act within the tenant chosen in the header. */
const TENANT_SCOPED_PREFIXES = ["/admin/v1/iam/", "/admin/v1/tenant/"];

export function isTenantScoped(schemaPath: string): boolean {
  return TENANT_SCOPED_PREFIXES.some((prefix) => schemaPath.startsWith(prefix));
}

/**
 * What the client needs from the session: the bearer token, and what to do on a 401. The api
 * layer knows nothing about the session module (which builds on this client); `session/`
 * plugs itself in with `setApiAuth` when it loads, so 401 is handled here, once, for every call.
 */
export interface ApiAuth {
  token(): string | null;
  onUnauthorized(): void;
  /** Called before every call outside /admin/v1/session/: refresh a token about to expire. */
  beforeRequest?(): Promise<void>;
}

let auth: ApiAuth = { token: () => null, onUnauthorized: () => undefined };

/** The sign-in routes: they never wait for a refresh (the refresh is one of them). */
const SESSION_PREFIX = "/admin/v1/session/";

export function setApiAuth(next: ApiAuth): void {
  auth = next;
}

/** The auth the session plugged in (the event stream sends the same token, api/events.ts). */
export function currentAuth(): ApiAuth {
  return auth;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

// Which flow a request belongs to, once its marker header has been removed.
const requestFlows = new WeakMap<Request, string>();

export const identityMiddleware: Middleware = {
  async onRequest({ request, schemaPath }) {
    if (auth.beforeRequest && !schemaPath.startsWith(SESSION_PREFIX)) await auth.beforeRequest();
    const headers = request.headers;
    headers.set(REQUEST_ID, newRequestId());

    const flowId = headers.get(FLOW_MARKER);
    headers.delete(FLOW_MARKER); // internal only: never sent
    const flow = getFlow(flowId);
    if (flow) requestFlows.set(request, flow.id);
    // Outside a flow the server starts the correlation and the trace; never reuse stale ids.
    if (flow?.correlationId) headers.set(CORRELATION_ID, flow.correlationId);
    else headers.delete(CORRELATION_ID);
    if (flow?.traceparent) headers.set(TRACEPARENT, flow.traceparent);
    else headers.delete(TRACEPARENT);

    const token = auth.token();
    const signingIn = schemaPath.startsWith(SESSION_PREFIX) && schemaPath !== "/admin/v1/session/logout";
    if (token && !signingIn && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);

    const tenant = currentTenant.get();
    if (tenant && isTenantScoped(schemaPath) && !headers.has(TENANT_ID)) {
      headers.set(TENANT_ID, tenant);
    }
    return undefined;
  },

  async onResponse({ request, response, schemaPath }) {
    const sentRequestId = request.headers.get(REQUEST_ID) ?? "";
    const correlationId = response.headers.get(CORRELATION_ID);
    const traceparent = response.headers.get(TRACEPARENT);

    const flow = getFlow(requestFlows.get(request));
    if (flow) {
      flow.correlationId ??= correlationId;
      flow.traceparent ??= traceparent;
    }

    lastRequest.set({
      requestId: response.headers.get(REQUEST_ID) ?? sentRequestId,
      correlationId,
      traceparent,
      method: request.method,
      path: pathOf(request.url),
      status: response.status,
      at: new Date().toISOString(),
    });

    if (response.ok) return undefined;
    const error = await problemFromResponse(response, sentRequestId);
    // A refused sign-in or refresh is the session module's to handle, not a lost session.
    if (response.status === 401 && auth.token() && !schemaPath.startsWith(SESSION_PREFIX)) auth.onUnauthorized();
    throw error;
  },

  onError({ request, error }) {
    if (error instanceof ApiError) return error;
    const requestId = request.headers.get(REQUEST_ID) ?? "";
    lastRequest.set({
      requestId,
      correlationId: null,
      traceparent: null,
      method: request.method,
      path: pathOf(request.url),
      status: null,
      at: new Date().toISOString(),
    });
    return new ApiError({
      status: 0,
      title: "The API could not be reached",
      detail: error instanceof Error ? error.message : String(error),
      requestId,
    });
  },
};

export function createApiClient(baseUrl = window.location.origin) {
  const client = createFetchClient<paths>({
    baseUrl,
    // Resolved at call time so test fakes installed after import are used.
    fetch: (request) => globalThis.fetch(request),
  });
  client.use(identityMiddleware);
  return client;
}

export const api = createApiClient();

/** Returns the data of a successful call; failures already threw an ApiError. */
export function unwrap<T>(result: { data?: T; response: Response }): T {
  if (result.data === undefined) {
    throw new ApiError({
      status: result.response.status,
      title: "Empty response",
      requestId: result.response.headers.get(REQUEST_ID) ?? "",
    });
  }
  return result.data;
}
