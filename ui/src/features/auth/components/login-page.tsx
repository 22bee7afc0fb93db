import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { Button, Input, ErrorState, LoadingState } from "@/components/ui";
import { session, signIn, signOutReason, devLogin, sessionQueries } from "@/session";
import { useStore } from "@/lib";

export default function LoginPage() {
  const current = useStore(session);
  const reason = useStore(signOutReason);
  const location = useLocation();
  const navigate = useNavigate();
  const config = useQuery(sessionQueries.uiConfig());
  const [token, setToken] = useState("");
  const from = (location.state as { from?: string } | null)?.from ?? "/";

  const login = useMutation({
    mutationFn: devLogin,
    onSuccess: (result) => {
      signIn({
        token: result.accessToken,
        principalId: result.principalId,
        sessionId: result.sessionId,
        expiresAt: result.expiresAt,
      });
      navigate(from, { replace: true });
    },
  });

  if (current) return <Navigate to={from} replace />;

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
        {config.data?.dev_login_enabled ? (
          <section aria-labelledby="dev-login" className="flex flex-col gap-2">
            <h2 id="dev-login" className="text-sm font-medium">
              Development sign-in
            </h2>
            <p className="text-xs text-zinc-600 dark:text-zinc-400">
              The demo Gateway issues a token for a built-in principal.
            </p>
            <div className="flex gap-2">
              <Button variant="primary" disabled={login.isPending} onClick={() => login.mutate("admin")}>
                Sign in as admin
              </Button>
              <Button disabled={login.isPending} onClick={() => login.mutate("viewer")}>
                Sign in as viewer
              </Button>
            </div>
          </section>
        ) : null}
        {login.isError ? <ErrorState error={login.error} title="Sign-in failed" /> : null}
        <form
          className="flex flex-col gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            const value = token.trim().replace(/^Bearer\s+/i, "");
            if (!value) return;
            signIn({ token: value, principalId: null, sessionId: null, expiresAt: null });
            navigate(from, { replace: true });
          }}
        >
          <Input
            label="Access token"
            hint="Paste a bearer token issued by the Gateway."
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
        {config.data ? (
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            Version {config.data.version} · {config.data.git_sha}
          </p>
        ) : null}
      </div>
    </main>
  );
}
