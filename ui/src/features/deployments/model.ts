/** Environment values are secrets: the API redacts them, and the UI never shows one anyway. */
export function isSecretPath(path: string): boolean {
  return path === "env" || path.startsWith("env.");
}

/** A service's image reference as Swarm runs it: repository, tag (the digest is left off). */
export function imageRef(service: { image: string; image_tag?: string | null }): string {
  return service.image_tag ? `${service.image}:${service.image_tag}` : service.image;
}
