export function investigateHref(id: string): string {
  return `/investigate?id=${encodeURIComponent(id)}`;
}

export function jobHref(id: string): string {
  return `/jobs/${encodeURIComponent(id)}`;
}
