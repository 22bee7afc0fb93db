// The IAM pages read the Gateway's bodies through a pass-through: their shape is not ours to
// promise, so every field is checked before it is shown.
import { timestampText } from "@/lib";

export function asList(body: unknown, keys: readonly string[] = ["items", "data"]): unknown[] {
  if (Array.isArray(body)) return body;
  if (body && typeof body === "object") {
    for (const key of keys) {
      const value = (body as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value;
    }
  }
  return [];
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}

function names(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .map((item) => text(item) ?? text(record(item).name))
    .filter((item): item is string => item !== null);
}

export interface IamUser {
  id: string;
  name: string | null;
  roles: string[];
}

export interface IamSession {
  id: string;
  principalId: string | null;
  createdAt: string | null;
  expiresAt: string | null;
  status: string | null;
}

export interface IamRole {
  name: string;
  rights: string[];
}

export function parseUsers(body: unknown): IamUser[] {
  return asList(body, ["users", "items", "data"]).flatMap((raw, index) => {
    const item = record(raw);
    const id = text(item.id) ?? text(item.principal_id);
    if (id === null && text(item.name) === null) return [];
    return [{ id: id ?? `#${index + 1}`, name: text(item.name), roles: names(item.roles) }];
  });
}

export function parseSessions(body: unknown): IamSession[] {
  return asList(body, ["sessions", "items", "data"]).flatMap((raw) => {
    const item = record(raw);
    const id = text(item.id) ?? text(item.session_id);
    if (id === null) return [];
    return [
      {
        id,
        principalId: text(item.principal_id),
        createdAt: timestampText(item.created_at),
        expiresAt: timestampText(item.expires_at),
        status: text(item.status),
      },
    ];
  });
}

export function parseRoles(body: unknown): IamRole[] {
  return asList(body, ["roles", "items", "data"]).flatMap((raw) => {
    const item = record(raw);
    const name = text(item.name) ?? text(item.id);
    if (name === null) return [];
    return [{ name, rights: names(item.rights ?? item.permissions) }];
  });
}
