import { nonEmptyString as str } from "@/lib";
import type { Problem } from "./types";

export interface ApiErrorInit {
  status: number;
  title: string;
  detail?: string | null;
  code?: string | null;
  requestId: string;
  correlationId?: string | null;
  missingRight?: string | null;
  /** Where the missing right was needed: `platform`, `any` or `tenant:<id>`. */
  scope?: string | null;
  jobId?: string | null;
  problem?: Partial<Problem> | null;
}

/** Every failed API call surfaces as one of these, with the ids an operator needs. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | null;
  readonly code: string | null;
  readonly requestId: string;
  readonly correlationId: string | null;
  readonly missingRight: string | null;
  readonly scope: string | null;
  readonly jobId: string | null;
  readonly problem: Partial<Problem> | null;

  constructor(init: ApiErrorInit) {
    super(init.detail ? `${init.title}: ${init.detail}` : init.title);
    this.name = "ApiError";
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail ?? null;
    this.code = init.code ?? null;
    this.requestId = init.requestId;
    this.correlationId = init.correlationId ?? null;
    this.missingRight = init.missingRight ?? null;
    this.scope = init.scope ?? null;
    this.jobId = init.jobId ?? null;
    this.problem = init.problem ?? null;
  }

  get isForbidden(): boolean {
    return this.status === 403;
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/** Reads a problem+json body defensively: the body may be absent, HTML or truncated. */
export async function problemFromResponse(
  response: Response,
  sentRequestId: string,
): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    const text = await response.clone().text();
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      body = parsed as Record<string, unknown>;
    }
  } catch {
    body = {};
  }
  return new ApiError({
    status: response.status,
    title: str(body.title) ?? (response.statusText || `HTTP ${response.status}`),
    detail: str(body.detail),
    code: str(body.code),
    requestId: str(body.request_id) ?? response.headers.get("x-request-id") ?? sentRequestId,
    correlationId: str(body.correlation_id) ?? response.headers.get("x-correlation-id"),
    missingRight: str(body.missing_right),
    scope: str(body.scope),
    jobId: str(body.job_id),
    problem: body as Partial<Problem>,
  });
}
