export const RIGHTS = {
  access: "control.access",
  jobsRead: "control.jobs.read",
  jobsRun: "control.jobs.run",
  auditRead: "control.audit.read",
  auditExport: "control.audit.export",
  iamRead: "control.iam.read",
  iamWrite: "control.iam.write",
  fleetRead: "control.fleet.read",
  placementRead: "control.placement.read",
  tenantsRead: "control.tenants.read",
  tenantsOperate: "control.tenants.operate",
  deploymentsRead: "control.deployments.read",
  deploymentsOperate: "control.deployments.operate",
  configRead: "control.config.read",
  configWrite: "control.config.write",
} as const;

export type Right = (typeof RIGHTS)[keyof typeof RIGHTS];

export function missingRightMessage(right: string): string {
  return `Requires the right ${right}`;
}
