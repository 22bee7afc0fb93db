// Test data for component and route tests only; the app itself never invents data.
import type { AuditRow, Job, JobStep, WhoAmI } from "@/api";
import { RIGHTS } from "@/lib";

export const ALL_RIGHTS = Object.values(RIGHTS);
export const VIEWER_RIGHTS = [
  RIGHTS.access,
  RIGHTS.jobsRead,
  RIGHTS.auditRead,
  RIGHTS.iamRead,
  RIGHTS.fleetRead,
];

export function whoami(rights: string[] = ALL_RIGHTS, principal = "admin"): WhoAmI {
  return { principal_id: principal, session_id: `sess-${principal}`, rights, tenant_rights: {} };
}

let counter = 0;
const hex = (n: number, len: number) => n.toString(16).padStart(len, "0");

export function makeStep(overrides: Partial<JobStep> = {}): JobStep {
  return {
    name: "check.api",
    status: "succeeded",
    attempts: 1,
    started_at: "2026-11-27T00:00:00Z",
    finished_at: "2026-11-27T00:00:01Z",
    duration_ms: 1000,
    output: { ok: true },
    error: null,
    ...overrides,
  };
}

export function makeJob(overrides: Partial<Job> = {}): Job {
  counter += 1;
  return {
    id: `job-${hex(counter, 8)}`,
    kind: "platform.verify",
    status: "succeeded",
    reason: "routine check",
    params: {},
    tenant_id: null,
    created_by: "admin",
    created_at: "2026-11-27T00:00:00Z",
    started_at: "2026-11-27T00:00:00Z",
    finished_at: "2026-11-27T00:00:02Z",
    request_id: `00000000-0000-4000-8000-${hex(counter, 12)}`,
    correlation_id: `11111111-0000-4000-8000-${hex(counter, 12)}`,
    trace_id: hex(counter, 32),
    steps: [makeStep()],
    error: null,
    summary: null,
    runs: 1,
    ...overrides,
  };
}

export function makeAuditEvent(overrides: Partial<AuditRow> = {}): AuditRow {
  counter += 1;
  return {
    id: `evt-${hex(counter, 8)}`,
    at: "2026-11-27T00:00:00Z",
    actor: "admin",
    action: "jobs.create",
    target: "platform.verify",
    tenant_id: null,
    reason: "routine check",
    outcome: "succeeded",
    request_id: `22222222-0000-4000-8000-${hex(counter, 12)}`,
    correlation_id: `33333333-0000-4000-8000-${hex(counter, 12)}`,
    trace_id: hex(counter, 32),
    job_id: null,
    repeat: 1,
    ...overrides,
  };
}
