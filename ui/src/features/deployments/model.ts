/** Environment values are secrets: the API redacts them, and the UI never shows one anyway. */
export function isSecretPath(path: string): boolean {
  return path === "env" || path.startsWith("env.");
}

/** A service's image reference as Swarm runs it: repository, tag (the digest is left off). */
export function imageRef(service: { image: string; image_tag?: string | null }): string {
  return service.image_tag ? `${service.image}:${service.image_tag}` : service.image;
}

/** A deployment as a mark on a chart: from its start to its end (now while it runs), unix seconds. */
export function deploymentBand(d: { service: string; kind: string; started_at: string; finished_at?: string | null; to_image?: string | null }, now = Date.now()): { from: number; to: number; label: string } | null {
  const from = Date.parse(d.started_at);
  if (Number.isNaN(from)) return null;
  const end = d.finished_at ? Date.parse(d.finished_at) : now;
  const tag = d.to_image?.split(":").pop();
  return {
    from: from / 1000,
    to: (Number.isNaN(end) ? from : end) / 1000,
    label: `${d.kind === "rollback" ? "rollback" : "deploy"} ${d.service}${tag ? ` → ${tag}` : ""}`,
  };
}
