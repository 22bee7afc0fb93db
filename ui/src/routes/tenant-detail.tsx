import { useParams } from "react-router";
import { TenantDetailPage } from "../features/tenants/components/tenant-detail-page";

export default function TenantDetailRoute() {
  const { tenantId = "" } = useParams();
  return <TenantDetailPage key={tenantId} tenantId={tenantId} />;
}
