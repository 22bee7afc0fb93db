import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { ChartBand } from "@/features/metrics";
import { deploymentBand } from "./model";
import { deploymentQueries } from "./queries";

/** The newest 50 deploys and rollbacks as chart marks (a chart keeps those in its window). */
export function useDeployBands(enabled: boolean): ChartBand[] {
  const deployments = useQuery({ ...deploymentQueries.list({ limit: 50 }), enabled });
  return useMemo(
    () => (deployments.data?.items ?? []).map((d) => deploymentBand(d)).filter((band): band is ChartBand => band !== null),
    [deployments.data],
  );
}
