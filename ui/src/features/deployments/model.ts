import { isApiError } from "../../api/errors";

export function deploymentHref(id: string): string {
  return `/deployments/${encodeURIComponent(id)}`;
}

/** Environment values are secrets: the API redacts them, and the UI never shows one anyway. */
export function isSecretPath(path: string): boolean {
  return path === "env" || path.startsWith("env.");
}

export interface PreflightFailure {
  check: string;
  detail: string;
}

/** The `failures` of a 422 `preflight_refused`, read defensively. */
export function preflightFailures(error: unknown): PreflightFailure[] {
  if (!isApiError(error) || error.status !== 422) return [];
  const raw = (error.problem as Record<string, unknown> | null)?.failures;
  if (!Array.isArray(raw)) return [];
  return raw.map((f: unknown) => {
    const item = (f && typeof f === "object" ? f : {}) as Record<string, unknown>;
    const check = typeof item.check === "string" ? item.check : typeof item.name === "string" ? item.name : "check";
    const detail = typeof item.detail === "string" ? item.detail : typeof item.message === "string" ? item.message : JSON.stringify(f);
    return { check, detail };
  });
}

/** A service's image reference as Swarm runs it: repository, tag (the digest is left off). */
export function imageRef(service: { image: string; image_tag?: string | null }): string {
  return service.image_tag ? `${service.image}:${service.image_tag}` : service.image;
}
