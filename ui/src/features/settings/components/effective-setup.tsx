import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { api, unwrap, type EffectiveSettings } from "@/api";
import { ErrorState, LoadingState } from "@/components/ui";
import { settingsKeys } from "@/features/settings/queries";

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-zinc-600 dark:text-zinc-400">{label}</dt>
      <dd className="font-mono text-xs break-all">{children ?? "—"}</dd>
    </>
  );
}

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section aria-label={title} className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
      <h3 className="mb-2 text-sm font-semibold">{title}</h3>
      <dl className="grid grid-cols-[12rem_1fr] gap-x-3 gap-y-1 text-sm">{children}</dl>
    </section>
  );
}

const onOff = (value: boolean) => (value ? "on" : "off");

function Link_({ href, label }: { href: string | null; label?: string }) {
  return href ? (
    <a className="text-sky-700 underline dark:text-sky-400" href={href} target="_blank" rel="noreferrer">
      {label ?? href}
    </a>
  ) : null;
}

/** What this console is connected to: GET /admin/v1/settings (nothing secret is in it). */
export function EffectiveSetup() {
  const setup = useQuery({
    queryKey: settingsKeys.effective(),
    queryFn: async (): Promise<EffectiveSettings> => unwrap(await api.GET("/admin/v1/settings")),
    staleTime: 60_000,
  });
  if (setup.isPending) return <LoadingState label="Loading the setup…" />;
  if (setup.isError) return <ErrorState error={setup.error} onRetry={() => void setup.refetch()} />;
  const s = setup.data;
  return (
    <div className="grid gap-3 lg:grid-cols-2">
      <Card title="Versions">
        <Row label="Version">{s.version}</Row>
        <Row label="Git SHA">{s.git_sha}</Row>
        <Row label="Instance">{s.instance_id}</Row>
      </Card>
      <Card title="State">
        <Row label="Backend">{s.state.backend}</Row>
        <Row label="NATS">{s.state.nats}</Row>
        <Row label="Replicas">{s.state.replicas}</Row>
        <Row label="Operation timeout">{s.state.op_timeout_s} s</Row>
      </Card>
      <Card title="Placement and Swarm">
        <Row label="Placement source">{s.placement.source}</Row>
        <Row label="Placement seed file">{s.placement.seed_file}</Row>
        <Row label="Swarm mode">{s.swarm.mode}</Row>
        <Row label="Swarm discovery">{s.swarm.discovery ? `every ${s.swarm.discovery_interval_s} s` : "off"}</Row>
      </Card>
      <Card title="Gateway and sign-in">
        <Row label="Gateway">{s.gateway.url}</Row>
        <Row label="Gateway (browsers)">{s.gateway.public_url}</Row>
        <Row label="Password sign-in">{onOff(s.gateway.password_login)}</Row>
        <Row label="Single sign-on client">{s.gateway.sso_client_id ?? "off"}</Row>
        <Row label="Dev login">{onOff(s.gateway.dev_login)}</Row>
      </Card>
      <Card title="Tokens and rights">
        <Row label="Issuer">{s.auth.issuer}</Row>
        <Row label="Audience">{s.auth.audience}</Row>
        <Row label="Key source">{s.auth.key_source}</Row>
        <Row label="JWKS">{s.auth.jwks_url}</Row>
        <Row label="Clock leeway">{s.auth.leeway_s} s</Row>
        <Row label="Rights cache TTL">{s.auth.rights_cache_ttl_s} s (how long a revoked session may keep working)</Row>
      </Card>
      <Card title="Observability">
        <Row label="Grafana">
          <Link_ href={s.observability.grafana_url} />
        </Row>
        <Row label="Logs (Loki)">
          {s.observability.loki_explore_url ? <Link_ href={s.observability.loki_explore_url} label="Open in Grafana Explore" /> : null}
          {` datasource ${s.observability.loki_datasource_uid}`}
        </Row>
        <Row label="Traces (Tempo)">
          {s.observability.tempo_explore_url ? <Link_ href={s.observability.tempo_explore_url} label="Open in Grafana Explore" /> : null}
          {` datasource ${s.observability.tempo_datasource_uid}`}
        </Row>
        <Row label="OTLP endpoint">{s.observability.otlp_endpoint ?? "off"}</Row>
        <Row label="Trace sampling">{s.observability.trace_sample_ratio}</Row>
        <Row label="Log level">{s.observability.log_level}</Row>
      </Card>
      <Card title="Guardrails (tenant operations)">
        <Row label="Max lag">{s.guardrails.max_lag}</Row>
        <Row label="Max inflight">{s.guardrails.max_inflight}</Row>
        <Row label="Drain timeout">{s.guardrails.drain_timeout_s} s</Row>
        <Row label="Step timeout">{s.guardrails.step_timeout_s} s</Row>
        <Row label="Verify timeout">{s.guardrails.verify_timeout_s} s</Row>
      </Card>
      <Card title="Jobs">
        <Row label="Workers">{s.jobs.workers}</Row>
        <Row label="Lease">{s.jobs.lease_s} s</Row>
      </Card>
    </div>
  );
}
