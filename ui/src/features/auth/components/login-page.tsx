import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { Button, Input, ErrorState, LoadingState } from "@/components/ui";
import {
  session,
  signIn,
  signOutReason,
  devLogin,
  sessionQueries,
  signInWithPassword,
  startSso,
} from "@/session";
import { useStore } from "@/lib";

/** The demo Gateway's built-in principals (dev login only). */
const DEV_PRINCIPALS = ["admin", "viewer", "acme-operator"] as const;

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="flex flex-col gap-2">
      <h2 id={id} className="text-sm font-medium">
        {title}
      </h2>
      {children}
    </section>
  );
}

export default function LoginPage() {
  const current = useStore(session);
  const reason = useStore(signOutReason);
  const location = useLocation();
  const navigate = useNavigate();
  const config = useQuery(sessionQueries.uiConfig());
  const [token, setToken] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [other, setOther] = useState("");
  const from = (location.state as { from?: string } | null)?.from ?? "/";

  const password_ = useMutation({
    mutationFn: () => signInWithPassword(username.trim(), password),
    onSuccess: () => {
      setPassword("");
      navigate(from, { replace: true });
    },
  });
  const sso = useMutation({
    mutationFn: async () => {
      const target = config.data?.sso;
      if (!target) throw new Error("Single sign-on is not configured.");
      window.location.assign(await startSso(target.authorize_url, target.client_id, from));
    },
  });
  const dev = useMutation({
    mutationFn: devLogin,
    onSuccess: (result) => {
      signIn({
        token: result.accessToken,
        principalId: result.principalId,
        sessionId: result.sessionId,
        expiresAt: result.expiresAt,
        refreshable: false,
      });
      navigate(from, { replace: true });
    },
  });

  if (current) return <Navigate to={from} replace />;
  const busy = password_.isPending || sso.isPending || dev.isPending;

  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="flex w-full max-w-md flex-col gap-5 rounded-xl border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        <div>
          <h1 className="text-lg font-semibold">Cloudlysis Control</h1>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">Sign in to the operations console.</p>
        </div>
        {reason ? (
          <p role="alert" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950">
            {reason}
          </p>
        ) : null}
        {config.isPending ? <LoadingState label="Loading sign-in options…" /> : null}
        {config.isError ? <ErrorState error={config.error} onRetry={() => void config.refetch()} /> : null}
        {config.data?.password_login_enabled ? (
          <Section id="password-login" title="Sign in with your Gateway account">
            <form
              className="flex flex-col gap-2"
              onSubmit={(event) => {
                event.preventDefault();
                if (username.trim() && password) password_.mutate();
              }}
            >
              <Input label="User name" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
              <Input
                label="Password"
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
              <div>
                <Button type="submit" variant="primary" disabled={busy || !username.trim() || !password}>
                  Sign in
                </Button>
              </div>
            </form>
            {password_.isError ? <ErrorState error={password_.error} title="Sign-in failed" /> : null}
          </Section>
        ) : null}
        {config.data?.sso ? (
          <Section id="sso-login" title="Single sign-on">
            <div>
              <Button disabled={busy} onClick={() => sso.mutate()}>
                Sign in with single sign-on
              </Button>
            </div>
            {sso.isError ? <ErrorState error={sso.error} title="Single sign-on failed" /> : null}
          </Section>
        ) : null}
        {config.data?.dev_login_enabled ? (
          <Section id="dev-login" title="Development sign-in">
            <p className="text-xs text-zinc-600 dark:text-zinc-400">The demo Gateway issues a token for a principal it knows.</p>
            <div className="flex flex-wrap gap-2">
              {DEV_PRINCIPALS.map((who) => (
                <Button key={who} variant={who === "admin" ? "primary" : "secondary"} disabled={busy} onClick={() => dev.mutate(who)}>
                  Sign in as {who}
                </Button>
              ))}
            </div>
            <form
              className="flex items-end gap-2"
              onSubmit={(event) => {
                event.preventDefault();
                if (other.trim()) dev.mutate(other.trim());
              }}
            >
              <Input label="Another principal" value={other} onChange={(e) => setOther(e.target.value)} />
              <Button type="submit" disabled={busy || !other.trim()}>
                Sign in as this principal
              </Button>
            </form>
            {dev.isError ? <ErrorState error={dev.error} title="Sign-in failed" /> : null}
          </Section>
        ) : null}
        <details className="text-sm">
          <summary className="cursor-pointer text-zinc-700 dark:text-zinc-300">Advanced: paste an access token</summary>
          <form
            className="mt-2 flex flex-col gap-2"
            onSubmit={(event) => {
              event.preventDefault();
              const value = token.trim().replace(/^Bearer\s+/i, "");
              if (!value) return;
              signIn({ token: value, principalId: null, sessionId: null, expiresAt: null, refreshable: false });
              navigate(from, { replace: true });
            }}
          >
            <Input
              label="Access token"
              hint="A bearer token issued by the Gateway. It is not refreshed: sign in again when it expires."
              type="password"
              autoComplete="off"
              value={token}
              onChange={(event) => setToken(event.target.value)}
            />
            <div>
              <Button type="submit" disabled={!token.trim()}>
                Sign in with token
              </Button>
            </div>
          </form>
        </details>
        {config.data ? (
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            Version {config.data.version} · {config.data.git_sha}
          </p>
        ) : null}
      </div>
    </main>
  );
}
