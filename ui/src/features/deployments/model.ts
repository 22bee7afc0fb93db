import { parseRefusalCheck, type RefusalCheck } from "@/features/jobs";
import type { Deployment } from "./types";

/** Environment values are secrets: the API redacts them, and the UI never shows one anyway. */
export function isSecretPath(path: string): boolean {
  return path === "env" || path.startsWith("env.");
}

/** A service's image reference as Swarm runs it: repository, tag (the digest is left off). */
export function imageRef(service: { image: string; image_tag?: string | null }): string {
  return service.image_tag ? `${service.image}:${service.image_tag}` : service.image;
}

/** A deployment as a mark on a chart: from its start to its end (now while it runs), unix seconds. */
export function deploymentBand(d: { service: string; kind: string; started_at: string; finished_at?: string | null; to_image?: string | null }, now = Date.now()): { from: number; to: number; label: string } | null {
  const from = Date.parse(d.started_at);
  if (Number.isNaN(from)) return null;
  const end = d.finished_at ? Date.parse(d.finished_at) : now;
  const tag = d.to_image?.split(":").pop();
  return {
    from: from / 1000,
    to: (Number.isNaN(end) ? from : end) / 1000,
    label: `${d.kind === "rollback" ? "rollback" : "deploy"} ${d.service}${tag ? ` → ${tag}` : ""}`,
  };
}

/** The verification playbook a deployment of this kind runs (and runs again). */
export function playbookKind(d: Pick<Deployment, "kind">): "playbook.post_deploy" | "playbook.rollback_verify" {
  return d.kind === "rollback" ? "playbook.rollback_verify" : "playbook.post_deploy";
}

export interface PlaybookReport {
  playbook: string;
  ok: boolean;
  checks: RefusalCheck[];
  before: [number, number] | null;
  after: [number, number] | null;
  fromVersion: string | null;
  toVersion: string | null;
  rolledBack: boolean | null;
}

function timeWindow(raw: unknown): [number, number] | null {
  return Array.isArray(raw) && raw.length === 2 && raw.every((n) => typeof n === "number") ? [raw[0] as number, raw[1] as number] : null;
}

/** A verify step's output (service.deploy / service.rollback) or a playbook job's: null when it holds no report. */
export function parsePlaybookReport(output: unknown): PlaybookReport | null {
  if (!output || typeof output !== "object" || Array.isArray(output)) return null;
  const o = output as Record<string, unknown>;
  if (typeof o.playbook !== "string" || !Array.isArray(o.checks)) return null;
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  return {
    playbook: o.playbook,
    ok: o.ok === true,
    checks: o.checks.map(parseRefusalCheck),
    before: timeWindow(o.before),
    after: timeWindow(o.after),
    fromVersion: text(o.from_version),
    toVersion: text(o.to_version),
    rolledBack: typeof o.rolled_back === "boolean" ? o.rolled_back : null,
  };
}

