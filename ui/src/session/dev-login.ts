// The dev-login route relays the demo Gateway's answer; its OpenAPI entry does not describe the
// body, so it is read field by field.
export interface DevLoginResult {
  accessToken: string;
  principalId: string | null;
  sessionId: string | null;
  expiresAt: string | null;
}

/** RFC 3339 text, or epoch seconds (what the demo Gateway sends) turned into RFC 3339. */
function timestamp(value: unknown): string | null {
  if (typeof value === "number" && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  return str(value);
}

function str(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

export function parseDevLogin(body: unknown): DevLoginResult {
  let value: unknown = body;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      value = null;
    }
  }
  const record = value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  const accessToken = str(record.access_token);
  if (!accessToken) throw new Error("The dev login answered without an access token.");
  return {
    accessToken,
    principalId: str(record.principal_id),
    sessionId: str(record.session_id),
    expiresAt: timestamp(record.expires_at),
  };
}
