import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { renderApp, signInForTest } from "@/test/render";

const setup = {
  version: "1.2.3",
  git_sha: "abc",
  instance_id: "control-1",
  state: { backend: "nats-jetstream", nats: "nats://nats:4222", replicas: 3, op_timeout_s: 5 },
  placement: { source: "nats", seed_file: null },
  swarm: { mode: "engine", discovery: true, discovery_interval_s: 15 },
  gateway: { url: "http://gateway:8080", public_url: "https://gw.example", dev_login: false, password_login: true, sso_client_id: "cloudlysis-control", timeout_s: 5 },
  auth: { issuer: "cloudlysis-gateway", audience: "cloudlysis-control", key_source: "jwks", jwks_url: "http://gateway:8080/.well-known/jwks.json", leeway_s: 30, rights_cache_ttl_s: 15 },
  observability: { grafana_url: "https://grafana.example", loki_explore_url: "https://grafana.example/explore?l", tempo_explore_url: "https://grafana.example/explore?t", loki_datasource_uid: "loki", tempo_datasource_uid: "tempo", otlp_endpoint: null, trace_sample_ratio: 1, log_level: "info" },
  guardrails: { max_lag: 1000, max_inflight: 100, drain_timeout_s: 60, step_timeout_s: 30, verify_timeout_s: 10 },
  jobs: { workers: 8, lease_s: 15 },
};

describe("Settings", () => {
  it("shows the effective setup the API runs with", async () => {
    installFakeApi({ routes: [["GET", /^\/admin\/v1\/settings$/, () => ({ body: setup })]] });
    signInForTest();
    renderApp("/settings");
    expect(await screen.findByText("nats://nats:4222")).toBeInTheDocument();
    expect(screen.getByText("15 s (how long a revoked session may keep working)")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "https://grafana.example" })).toBeInTheDocument();
    const explore = screen.getAllByRole("link", { name: "Open in Grafana Explore" }).map((a) => a.getAttribute("href"));
    expect(explore).toEqual(["https://grafana.example/explore?l", "https://grafana.example/explore?t"]);
    expect(screen.getByRole("region", { name: "Guardrails (tenant operations)" })).toHaveTextContent("Max lag1000");
    expect(screen.getByRole("region", { name: "Gateway and sign-in" })).toHaveTextContent("Single sign-on clientcloudlysis-control");
  });
});
