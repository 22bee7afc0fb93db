// The dev-login route relays the demo Gateway's answer; its OpenAPI entry does not describe the
// body, so it is read field by field.
import { nonEmptyString as str, timestampText } from "@/lib";

export interface DevLoginResult {
  accessToken: string;
  principalId: string | null;
  sessionId: string | null;
  expiresAt: string | null;
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
    expiresAt: timestampText(record.expires_at),
  };
}
