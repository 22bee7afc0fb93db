import { useQuery } from "@tanstack/react-query";
import { lastRequest } from "@/api";
import { Page } from "@/components/layout";
import { Button, IdChip, Select, ErrorState, LoadingState, RelativeTime } from "@/components/ui";
import { session, sessionQueries, useSignOut, useWhoami } from "@/session";
import { setTheme, themeChoice, type ThemeChoice, useStore } from "@/lib";
import { EffectiveSetup } from "./effective-setup";

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
        <p className="text-sm">
          Access token expires: <RelativeTime value={current?.expiresAt} />
          {current?.refreshable ? " (refreshed automatically before then)" : current ? " (not refreshed: sign in again then)" : ""}
        </p>
        {whoami.isPending ? <LoadingState /> : null}
        {whoami.isError ? <ErrorState error={whoami.error} /> : null}
        {whoami.data ? (
          <>
            <ul className="flex flex-wrap gap-1" aria-label="Your rights">
              {whoami.data.rights.map((right) => (
                <li key={right} className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800">{right}</li>
              ))}
            </ul>
            {Object.keys(whoami.data.tenant_rights).length ? (
              <ul className="flex flex-col gap-1 text-sm" aria-label="Your rights on some tenants only">
                {Object.entries(whoami.data.tenant_rights).map(([right, tenants]) => (
                  <li key={right}>
                    <code className="font-mono text-xs">{right}</code> on {tenants.join(", ")}
                  </li>
                ))}
              </ul>
            ) : null}
          </>
        ) : null}
        <div>
          <Button onClick={() => void signOut()}>Sign out</Button>
        </div>
      </section>
      <section aria-labelledby="setup-heading" className="flex flex-col gap-2">
        <h2 id="setup-heading" className="text-sm font-semibold">Effective setup</h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">What this console is connected to and how it is configured (nothing secret).</p>
        <EffectiveSetup />
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
