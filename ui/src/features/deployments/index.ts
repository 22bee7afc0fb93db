// Public surface of the deployments feature (Swarm services, their tasks, deploy / roll back).
export { StateBadge } from "./components/deployment-status";
export { ServiceActionButton, type ServiceAction } from "./components/service-action";
export { SwarmErrorState, SwarmUnavailableNotice } from "./components/swarm-unavailable";
export { TasksTable } from "./components/tasks-table";
export { deploymentBand, imageRef } from "./model";
export { useDeployBands } from "./use-deploy-bands";
export { deploymentKeys, deploymentQueries, isSwarmUnavailable, swarmKeys, swarmQueries, type DeploymentFilters } from "./queries";
export type * from "./types";
export { DEPLOYMENT_KINDS, DEPLOYMENT_STATUSES } from "./types";
