import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { Page } from "@/components/layout";
import { ErrorState, LoadingState } from "@/components/ui";
import { sessionQueries } from "@/session";

export default function ObservabilityPage() {
  const config = useQuery(sessionQueries.uiConfig());
  const base = config.data?.grafana_base_url?.replace(/\/+$/, "");
  return (
    <Page title="Observability">
      {config.isPending ? <LoadingState /> : null}
      {config.isError ? <ErrorState error={config.error} onRetry={() => void config.refetch()} /> : null}
      {config.data ? (
        <section className="flex flex-col gap-2 rounded-lg border border-zinc-200 bg-white p-4 text-sm dark:border-zinc-800 dark:bg-zinc-900">
          <h2 className="font-semibold">Grafana</h2>
          {base ? (
            <ul className="flex flex-col gap-1">
              <li>
                <a className="text-sky-800 hover:underline dark:text-sky-300" href={base} target="_blank" rel="noreferrer">
                  Open Grafana <span aria-hidden="true">↗</span>
                </a>
              </li>
              <li>
                <a className="text-sky-800 hover:underline dark:text-sky-300" href={`${base}/explore`} target="_blank" rel="noreferrer">
                  Grafana Explore <span aria-hidden="true">↗</span>
                </a>
              </li>
            </ul>
          ) : (
            <p>Grafana is not configured for this deployment (the API reports no Grafana address).</p>
          )}
          <p className="text-zinc-600 dark:text-zinc-400">
            To follow one request through logs and traces, paste its request id, correlation id or trace id into the
            search box, or open <Link className="text-sky-800 underline dark:text-sky-300" to="/investigate">Investigate</Link>.
          </p>
        </section>
      ) : null}
    </Page>
  );
}
