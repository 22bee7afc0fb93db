import { useQuery } from "@tanstack/react-query";
import { lastRequest } from "@/api";
import { Page } from "@/components/layout";
import { Button, IdChip, Select, ErrorState, LoadingState, RelativeTime } from "@/components/ui";
import { session, sessionQueries, useSignOut, useWhoami } from "@/session";
import { setTheme, themeChoice, type ThemeChoice, useStore } from "@/lib";

export default function SettingsPage() {
  const current = useStore(session);
  const theme = useStore(themeChoice);
  const last = useStore(lastRequest);
  const whoami = useWhoami();
  const config = useQuery(sessionQueries.uiConfig());
  const signOut = useSignOut();

  return (
    <Page title="Settings">
      <section aria-labelledby="appearance" className="flex max-w-xs flex-col gap-2">
        <h2 id="appearance" className="text-sm font-semibold">Appearance</h2>
        <Select
          label="Theme"
          value={theme}
          options={[
            { value: "system", label: "Follow the system" },
            { value: "light", label: "Light" },
            { value: "dark", label: "Dark" },
          ]}
          onChange={(event) => setTheme(event.target.value as ThemeChoice)}
        />
      </section>
      <section aria-labelledby="session-heading" className="flex flex-col gap-2">
        <h2 id="session-heading" className="text-sm font-semibold">Session</h2>
        <div className="flex flex-wrap gap-2">
          <IdChip label="Principal" value={whoami.data?.principal_id ?? current?.principalId} />
          <IdChip label="Session ID" value={whoami.data?.session_id ?? current?.sessionId} />
        </div>
        <p className="text-sm">Expires: <RelativeTime value={current?.expiresAt} /></p>
        {whoami.isPending ? <LoadingState /> : null}
        {whoami.isError ? <ErrorState error={whoami.error} /> : null}
        {whoami.data ? (
          <ul className="flex flex-wrap gap-1" aria-label="Your rights">
            {whoami.data.rights.map((right) => (
              <li key={right} className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800">{right}</li>
            ))}
          </ul>
        ) : null}
        <div>
          <Button
            onClick={signOut}
          >
            Sign out
          </Button>
        </div>
      </section>
      <section aria-labelledby="last-heading" className="flex flex-col gap-2">
        <h2 id="last-heading" className="text-sm font-semibold">Last request</h2>
        {last ? (
          <div className="flex flex-wrap gap-2">
            <IdChip label="Request ID" value={last.requestId} />
            <IdChip label="Correlation ID" value={last.correlationId} />
            <IdChip label="Traceparent" value={last.traceparent} />
          </div>
        ) : (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">No request yet.</p>
        )}
      </section>
      {config.data ? (
        <p className="text-xs text-zinc-600 dark:text-zinc-400">
          Cloudlysis Control {config.data.version} · {config.data.git_sha}
        </p>
      ) : null}
    </Page>
  );
}
