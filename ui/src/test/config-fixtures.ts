// Config registry fixtures for the fake API: one routing config with a short history, its
// domains, a plan and the runners' definitions, shaped like the API's answers.
import type { ConfigDetail, ConfigHistoryEntry, ConfigPlan, DefinitionsOverview } from "@/api";

const ROUTES = [{ path_prefix: "/v1/tenants/{tenant}/commands", kind: "aggregate" }];
export const routingValue = { overrides: [], routes: ROUTES, schema_version: 1, upstream_timeout_ms: 5000 };

export const routingDetail: ConfigDetail = {
  domain: "routing",
  name: "gateway",
  scope: "platform",
  present: true,
  revision: "12",
  sha256: "ab".repeat(32),
  updated_at: "2026-12-01T10:00:00Z",
  updated_by: "alice",
  job_id: "j_" + "1".repeat(32),
  reason: "route acme to shard 2",
  source: "nats",
  read_only: false,
  value: routingValue,
  document: JSON.stringify(routingValue, null, 2),
  formats: ["json"],
  path: null,
};

export const routingHistory: ConfigHistoryEntry[] = [
  {
    revision: "12",
    previous_revision: "9",
    sha256: "ab".repeat(32),
    op: "apply",
    at: "2026-12-01T10:00:00Z",
    actor: "alice",
    reason: "route acme to shard 2",
    job_id: "j_" + "1".repeat(32),
    plan_hash: "cd".repeat(32),
    patch: [{ op: "add", path: "/overrides/0", value: { tenant: "acme", kind: "aggregate", shard: "aggregate-2", endpoints: [] } }],
  },
  {
    revision: "9",
    previous_revision: null,
    sha256: "ef".repeat(32),
    op: "baseline",
    at: "2026-12-01T10:00:00Z",
    actor: null,
    reason: null,
    job_id: null,
    plan_hash: null,
    patch: null,
  },
];

export const domainsList = {
  items: [
    {
      domain: "routing",
      description: "The Gateway's routing config",
      names: ["gateway"],
      scopes: "platform",
      formats: ["json"],
      read_only: false,
      reloads: "every Gateway instance",
      json_schema: { $ref: "#/$defs/RoutingConfig", $defs: { RoutingConfig: { type: "object", properties: { routes: { type: "array" } } } } },
    },
  ],
};

export function makePlan(overrides: Partial<ConfigPlan> = {}): ConfigPlan {
  return {
    domain: "routing",
    name: "gateway",
    scope: "platform",
    base_revision: "12",
    base_sha256: "ab".repeat(32),
    proposed_sha256: "12".repeat(32),
    target_revision: null,
    changed: true,
    checks: [],
    patch: [{ op: "add", path: "/overrides/1", value: { tenant: "globex", kind: "aggregate", shard: "aggregate-1", endpoints: [] } }],
    diff: [
      {
        old_start: 1,
        old_lines: 2,
        new_start: 1,
        new_lines: 3,
        lines: [
          { op: "equal", old: 1, new: 1, text: "{" },
          { op: "insert", old: null, new: 2, text: '  "overrides": ["globex"],' },
          { op: "equal", old: 2, new: 3, text: "}" },
        ],
      },
    ],
    impact: {
      summary: "1 of 50 tenants change route",
      services: [{ instance: "gateway", kind: "gateway", url: "http://gw", action: "reload" }],
      tenants_changed: 1,
      tenants_total: 50,
      changes: [{ tenant: "globex", kind: "aggregate", from_shard: "aggregate-2", to_shard: "aggregate-1", from_source: "placement", to_source: "override" }],
      changes_truncated: false,
    },
    verification: [{ tenant: "globex", kind: "aggregate", changed: true, shard: "aggregate-1", endpoints: [], before_shard: "aggregate-2", before_endpoints: [] }],
    findings: [],
    thresholds: {
      max_impact_percent: 25,
      verify_sample_changed: 20,
      verify_sample_unchanged: 10,
      verify_timeout_s: 10,
      block_unhealthy_targets: true,
      changes_paused: false,
    },
    plan_hash: "99".repeat(32),
    ok: true,
    ...overrides,
  };
}

export const definitionsOverview: DefinitionsOverview = {
  definitions: [
    {
      type: "saga",
      name: "order-fulfilment",
      version: 2,
      sha256: "77".repeat(32),
      description: "Adds a fraud check",
      runners: ["runner-1"],
      missing_on: [],
      sha256_mismatch: false,
      active_in: ["platform"],
    },
  ],
  runners: [{ instance: "runner-1", reachable: true, activation: { platform: "3" } }],
  activations: [{ scope: "platform", revision: "3" }],
};
