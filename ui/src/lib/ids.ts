const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRACE_ID = /^[0-9a-f]{32}$/i;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/i;

/**
 * Normalises what an operator pastes into the global search: a request id, a correlation
 * id, a 32-hex trace id or a whole traceparent (its trace id is used). Returns null when
 * the text cannot be an id.
 */
export function normaliseSearchId(input: string): string | null {
  const text = input.trim();
  if (!text) return null;
  const traceparent = TRACEPARENT.exec(text);
  if (traceparent?.[1]) return traceparent[1].toLowerCase();
  if (TRACE_ID.test(text)) return text.toLowerCase();
  if (UUID.test(text)) return text.toLowerCase();
  // Ids minted elsewhere (e.g. by the Gateway) may have other shapes: accept plain tokens.
  if (/^[A-Za-z0-9._:-]{6,128}$/.test(text)) return text;
  return null;
}

export function traceIdOf(traceparent: string | null | undefined): string | null {
  if (!traceparent) return null;
  return TRACEPARENT.exec(traceparent)?.[1] ?? null;
}
