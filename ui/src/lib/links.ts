// Every in-app link to an entity is built here, so a path changes in one place.

export function investigateHref(id: string): string {
  return `/investigate?id=${encodeURIComponent(id)}`;
}

export function jobHref(id: string): string {
  return `/jobs/${encodeURIComponent(id)}`;
}

export function tenantHref(id: string): string {
  return `/tenants/${encodeURIComponent(id)}`;
}

export function deploymentHref(id: string): string {
  return `/deployments/${encodeURIComponent(id)}`;
}

/** The audit log filtered by one field, e.g. `auditHref({ job_id: id })`. */
export function auditHref(filter: { job_id?: string; tenant_id?: string; outcome?: string; correlation_id?: string }): string {
  const params = new URLSearchParams(Object.entries(filter).filter((entry): entry is [string, string] => Boolean(entry[1])));
  const search = params.toString();
  return search ? `/audit?${search}` : "/audit";
}

/** A Gateway user's page (bindings, sessions, disable/enable). */
export function userHref(userId: string): string {
  return `/users/${encodeURIComponent(userId)}`;
}

/** A registry config's page: `/config/<domain>/<name>?scope=<scope>` (scope `platform` omitted). */
export function configHref(domain: string, name: string, scope = "platform"): string {
  const path = `/config/${encodeURIComponent(domain)}/${encodeURIComponent(name)}`;
  return scope === "platform" ? path : `${path}?scope=${encodeURIComponent(scope)}`;
}
