// Pure helpers of the IAM pages (no React): the rights catalog by area, session filters,
// tenant lists typed by people.
import type { RightInfo } from "@/api";
import type { IamSession } from "./parse";

/** The catalog's rights by area, in catalog order. */
export function byArea(catalog: readonly RightInfo[]): [string, RightInfo[]][] {
  const areas = new Map<string, RightInfo[]>();
  for (const right of catalog) areas.set(right.area, [...(areas.get(right.area) ?? []), right]);
  return [...areas.entries()];
}

const SOON_MS = 60 * 60_000;

/** Sessions the filters keep: one user's, active ones, those expiring within the hour. */
export function filterSessions(sessions: IamSession[], f: { user: string; active: string; soon: string }, now = Date.now()): IamSession[] {
  return sessions.filter((s) => {
    if (f.user && s.principalId !== f.user) return false;
    if (f.active && s.status !== "active") return false;
    if (f.soon) {
      const at = s.expiresAt ? Date.parse(s.expiresAt) : Number.NaN;
      if (Number.isNaN(at) || at - now > SOON_MS || at < now) return false;
    }
    return true;
  });
}

/** Tenant ids typed by a person: separated by commas or spaces, each once. */
export function parseTenants(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean))];
}
