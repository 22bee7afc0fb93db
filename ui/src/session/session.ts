// The signed-in session: the access token (memory + sessionStorage), sign-in and sign-out, the
// refresh before the token expires, and the rule that a 401 from any API call ends the session
// (plugged into the api client below). The refresh token is never here: the API keeps it in an
// HttpOnly cookie that only POST /admin/v1/session/refresh reads.
import { api, setApiAuth, type SessionTokens } from "@/api";
import { createStore } from "@/lib";

const STORAGE_KEY = "cloudlysis.control.token";

export const UNAUTHORIZED_MESSAGE = "Your session is no longer valid (HTTP 401). Sign in again to continue.";
export const REFRESH_FAILED_MESSAGE = "Your session ended (it was revoked, or it expired). Sign in again to continue.";

export interface Session {
  token: string;
  principalId: string | null;
  sessionId: string | null;
  expiresAt: string | null;
  /** Signed in with a password or SSO: the API holds a refresh cookie for this session. */
  refreshable?: boolean;
}

function readStored(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.token !== "string" || parsed.token.length === 0) return null;
    return {
      token: parsed.token,
      principalId: parsed.principalId ?? null,
      sessionId: parsed.sessionId ?? null,
      expiresAt: parsed.expiresAt ?? null,
      refreshable: parsed.refreshable === true,
    };
  } catch {
    return null;
  }
}

// When the current token was received (to tell how long it lives).
let issuedAt = Date.now();

/** The token lives in memory and in sessionStorage (gone when the tab closes). */
export const session = createStore<Session | null>(readStored());
/** Why the user was sent back to /login, shown there once. */
export const signOutReason = createStore<string | null>(null);

export function signIn(next: Session): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  signOutReason.set(null);
  issuedAt = Date.now();
  session.set(next);
  scheduleRefresh();
}

export function signOut(reason: string | null = null): void {
  sessionStorage.removeItem(STORAGE_KEY);
  signOutReason.set(reason);
  session.set(null);
  scheduleRefresh();
}

export function currentToken(): string | null {
  return session.get()?.token ?? null;
}

/** A session from the API's sign-in answer (password, SSO or refresh). */
export function sessionFromTokens(tokens: SessionTokens): Session {
  return {
    token: tokens.access_token,
    principalId: tokens.principal_id,
    sessionId: tokens.session_id,
    expiresAt: new Date(tokens.expires_at * 1000).toISOString(),
    refreshable: tokens.refresh_expires_at != null,
  };
}

// -- refresh ------------------------------------------------------------------------------------

/** Refresh this long before expiry (a third of a short token's life, at most a minute). */
export function refreshLeadMs(lifetimeMs: number): number {
  return Math.min(60_000, Math.max(1_000, lifetimeMs / 3));
}

let inflight: Promise<boolean> | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;

/** A new access token for the current session; false (and signed out) when the API refuses. */
export function refreshSession(): Promise<boolean> {
  inflight ??= (async () => {
    const before = session.get();
    try {
      const { data } = await api.POST("/admin/v1/session/refresh");
      if (session.get() !== before) return false; // signed out or in again meanwhile
      if (data) {
        signIn(sessionFromTokens(data));
        return true;
      }
      return false;
    } catch (error) {
      if (session.get() === before && (error as { status?: number }).status === 401) {
        signOut(REFRESH_FAILED_MESSAGE);
      }
      return false;
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}

function msLeft(current: Session): number | null {
  if (!current.expiresAt) return null;
  const at = Date.parse(current.expiresAt);
  return Number.isNaN(at) ? null : at - Date.now();
}

/** Before a call: a refreshable token that is about to expire is refreshed first. Timers of a
 * hidden tab may fire late, so this check does not rely on the timer. */
async function beforeRequest(): Promise<void> {
  const current = session.get();
  if (!current?.refreshable) return;
  const left = msLeft(current);
  if (left !== null && left < 5_000) await refreshSession();
}

function scheduleRefresh(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  const current = session.get();
  if (!current?.refreshable) return;
  const left = msLeft(current);
  if (left === null) return;
  const lifetime = Math.max(left, Date.parse(current.expiresAt ?? "") - issuedAt);
  timer = setTimeout(() => void refreshSession(), Math.max(0, left - refreshLeadMs(lifetime)));
}

scheduleRefresh();

// Every API call carries the token; a 401 on any of them signs out, once, here.
setApiAuth({ token: currentToken, onUnauthorized: () => signOut(UNAUTHORIZED_MESSAGE), beforeRequest });
