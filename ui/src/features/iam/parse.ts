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

/** A role bound to a user: platform-wide (`tenants` null) or on those tenants only. */
export interface IamBinding {
  role: string;
  tenants: string[] | null;
}

export interface IamUser {
  id: string;
  name: string | null;
  roles: string[];
  bindings: IamBinding[];
  disabled: boolean;
  hasPassword: boolean;
}

export interface IamSession {
  id: string;
  principalId: string | null;
  createdAt: string | null;
  expiresAt: string | null;
  status: string | null;
  method?: string | null;
}

export interface IamRole {
  name: string;
  rights: string[];
  description?: string;
}

export function parseBinding(raw: unknown): IamBinding | null {
  const item = record(raw);
  const role = text(item.role) ?? text(item.name);
  if (role === null) return null;
  return { role, tenants: Array.isArray(item.tenants) ? names(item.tenants) : null };
}

export function parseBindings(body: unknown): IamBinding[] {
  return asList(body, ["bindings", "items", "data"])
    .map(parseBinding)
    .filter((b): b is IamBinding => b !== null);
}

export function parseUser(raw: unknown, index = 0): IamUser | null {
  const item = record(raw);
  const id = text(item.id) ?? text(item.principal_id);
  if (id === null && text(item.name) === null) return null;
  const roles = names(item.roles);
  const bindings = Array.isArray(item.bindings)
    ? parseBindings(item.bindings)
    : roles.map((role) => ({ role, tenants: null }));
  return {
    id: id ?? `#${index + 1}`,
    name: text(item.name),
    roles,
    bindings,
    disabled: item.disabled === true,
    hasPassword: item.has_password === true,
  };
}

export function parseUsers(body: unknown): IamUser[] {
  return asList(body, ["users", "items", "data"]).flatMap((raw, index) => {
    const user = parseUser(raw, index);
    return user ? [user] : [];
  });
}

export function parseSession(raw: unknown): IamSession | null {
  const item = record(raw);
  const id = text(item.id) ?? text(item.session_id);
  if (id === null) return null;
  return {
    id,
    principalId: text(item.principal_id),
    createdAt: timestampText(item.created_at),
    expiresAt: timestampText(item.expires_at),
    status: text(item.status),
    method: text(item.method),
  };
}

export function parseSessions(body: unknown): IamSession[] {
  return asList(body, ["sessions", "items", "data"]).flatMap((raw) => {
    const session = parseSession(raw);
    return session ? [session] : [];
  });
}

export function parseRoles(body: unknown): IamRole[] {
  return asList(body, ["roles", "items", "data"]).flatMap((raw) => {
    const item = record(raw);
    const name = text(item.name) ?? text(item.id);
    if (name === null) return [];
    const description = text(item.description);
    return [{ name, rights: names(item.rights ?? item.permissions), ...(description ? { description } : {}) }];
  });
}

/** Who holds each role, from the users list (a role is deleted only when nobody does). */
export function holdersByRole(users: IamUser[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const user of users) {
    for (const binding of user.bindings) out.set(binding.role, [...(out.get(binding.role) ?? []), user.id]);
  }
  return out;
}

/** "platform-wide" or the tenants of a binding, for people. */
export function scopeLabel(binding: IamBinding): string {
  return binding.tenants === null ? "platform-wide" : `tenants ${binding.tenants.join(", ")}`;
}
