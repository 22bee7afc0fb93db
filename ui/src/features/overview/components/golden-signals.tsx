import { RIGHTS } from "@/lib";
import { useRights } from "@/session";
import { useDeployBands } from "@/features/deployments";
import { MetricChart } from "@/features/metrics";
import { RequiresRight } from "./card";

const HOUR = 3600;

/** Request rate, 5xx ratio and p99 per service over the last hour, deploys marked as bands. */
export function GoldenSignals() {
  const rights = useRights();
  const bands = useDeployBands(rights.has(RIGHTS.deploymentsRead));
  if (!rights.has(RIGHTS.fleetRead)) return <RequiresRight right={RIGHTS.fleetRead} />;
  return (
    <div className="grid min-w-0 gap-3 lg:grid-cols-3">
      <MetricChart query="request_rate_by_service" title="Request rate by service" range={HOUR} bands={bands} bandsLabel="deploys" />
      <MetricChart query="error_ratio_by_service" title="5xx ratio by service" range={HOUR} bands={bands} bandsLabel="deploys" />
      <MetricChart query="p99_by_service" title="p99 latency by service" range={HOUR} bands={bands} bandsLabel="deploys" />
    </div>
  );
}
