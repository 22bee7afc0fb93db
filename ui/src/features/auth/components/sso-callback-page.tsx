import { useEffect, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { ErrorState, LoadingState } from "@/components/ui";
import { signInWithSso, takePendingSso } from "@/session";

interface Callback {
  failure: string | null;
  code: string | null;
  pending: ReturnType<typeof takePendingSso>;
}

// Read once per visit (StrictMode renders twice; the pending attempt is used up on reading).
let read: { search: string; callback: Callback } | null = null;

function readCallback(): Callback {
  const search = window.location.search;
  if (read?.search !== search) {
    const params = new URLSearchParams(search);
    read = { search, callback: { failure: params.get("error"), code: params.get("code"), pending: takePendingSso(params.get("state")) } };
  }
  return read.callback;
}

function refusal(cb: Callback): Error | null {
  if (cb.failure) return new Error(`The Gateway refused the sign-in (${cb.failure}).`);
  if (!cb.pending || !cb.code) return new Error("This sign-in was not started here, or it was already used. Start again.");
  return null;
}

/** Where the Gateway sends the browser back after single sign-on: exchanges the code (once). */
export default function SsoCallbackPage() {
  const navigate = useNavigate();
  const [callback] = useState(readCallback);
  const [error, setError] = useState<unknown>(() => refusal(callback));
  const started = useRef(false);

  useEffect(() => {
    // The code must not stay in the address bar or the history.
    if (window.location.search) window.history.replaceState(null, "", window.location.pathname);
    const { pending, code } = callback;
    if (started.current || !pending || !code || callback.failure) return; // a code works once
    started.current = true;
    signInWithSso(code, pending.verifier, pending.redirectUri)
      .then(() => navigate(pending.from, { replace: true }))
      .catch(setError);
  }, [callback, navigate]);
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="flex w-full max-w-md flex-col gap-4 rounded-xl border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        <h1 className="text-lg font-semibold">Signing in</h1>
        {error ? (
          <>
            <ErrorState error={error} title="Single sign-on failed" />
            <Link className="text-sm text-sky-700 underline dark:text-sky-400" to="/login">
              Back to sign-in
            </Link>
          </>
        ) : (
          <LoadingState label="Completing single sign-on…" />
        )}
      </div>
    </main>
  );
}
