import { useParams } from "react-router";
import { DeploymentDetailPage } from "../features/deployments/components/deployment-detail-page";

export default function DeploymentDetailRoute() {
  const { deploymentId = "" } = useParams();
  return <DeploymentDetailPage key={deploymentId} deploymentId={deploymentId} />;
}
