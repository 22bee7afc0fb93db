// Single sign-on through the Gateway (OIDC authorization code + PKCE). The verifier and the
// state wait in sessionStorage for the redirect back (one tab, one attempt); the code is
// exchanged through the API, which keeps the refresh token in its cookie.
const PENDING_KEY = "cloudlysis.control.sso";
export const SSO_CALLBACK_PATH = "/login/callback";

interface Pending {
  state: string;
  verifier: string;
  redirectUri: string;
  from: string;
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return base64url(buffer);
}

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** The Gateway's authorization URL for a new attempt; remembers what the callback needs. */
export async function startSso(authorizeUrl: string, clientId: string, from: string): Promise<string> {
  const pending: Pending = {
    state: randomText(24),
    verifier: randomText(48),
    redirectUri: `${window.location.origin}${SSO_CALLBACK_PATH}`,
    from,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(authorizeUrl);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: pending.redirectUri,
    state: pending.state,
    code_challenge: await pkceChallenge(pending.verifier),
    code_challenge_method: "S256",
  }).toString();
  return url.toString();
}

/** The attempt this callback completes, if its state matches; it is used up either way. */
export function takePendingSso(state: string | null): Pending | null {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!raw || !state) return null;
  try {
    const pending = JSON.parse(raw) as Pending;
    return pending.state === state ? pending : null;
  } catch {
    return null;
  }
}
