// The signed-in session: the token (memory + sessionStorage), sign-in and sign-out, and the
// rule that a 401 from any API call ends the session (plugged into the api client below).
import { setApiAuth } from "@/api";
import { createStore } from "@/lib";

const STORAGE_KEY = "cloudlysis.control.token";

export const UNAUTHORIZED_MESSAGE = "Your session is no longer valid (HTTP 401). Sign in again to continue.";

export interface Session {
  token: string;
  principalId: string | null;
  sessionId: string | null;
  expiresAt: string | null;
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
    };
  } catch {
    return null;
  }
}

/** The token lives in memory and in sessionStorage (gone when the tab closes). */
export const session = createStore<Session | null>(readStored());
/** Why the user was sent back to /login, shown there once. */
export const signOutReason = createStore<string | null>(null);

export function signIn(next: Session): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  signOutReason.set(null);
  session.set(next);
}

export function signOut(reason: string | null = null): void {
  sessionStorage.removeItem(STORAGE_KEY);
  signOutReason.set(reason);
  session.set(null);
}

export function currentToken(): string | null {
  return session.get()?.token ?? null;
}

// Every API call carries the token; a 401 on any of them signs out, once, here.
setApiAuth({ token: currentToken, onUnauthorized: () => signOut(UNAUTHORIZED_MESSAGE) });
