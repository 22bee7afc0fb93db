import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo } from "react";
import { alignSeries, formatValue, lastValue } from "@/features/metrics/model";
import { isMetricsUnavailable, metricsQueries } from "@/features/metrics/queries";

const TimeSeriesCanvas = lazy(() => import("./time-series-canvas"));

const SPARK_RANGE_S = 1800;
const SPARK_STEP_S = 30;

/** host:port of a URL, the `instance` label a scrape gives a target by default. */
function hostPort(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/**
 * The request rate of one fleet instance over the last 30 min, as a sparkline with its latest
 * value (`request_rate_by_instance`, one request per service however many rows show it). The
 * series is the one whose `instance` label is the instance's name or its URL's host:port.
 */
export function InstanceSparkline({ service, instance, url }: { service: string; instance: string; url: string }) {
  const result = useQuery(metricsQueries.range("request_rate_by_instance", { range: SPARK_RANGE_S, step: SPARK_STEP_S, service }));
  const address = hostPort(url);
  const series = useMemo(
    () => result.data?.series.find((s) => s.labels.instance === instance || (address !== null && s.labels.instance === address)),
    [result.data, instance, address],
  );
  const aligned = useMemo(() => alignSeries(series ? [series] : []), [series]);
  if (result.isPending) return <span className="text-xs text-zinc-600 dark:text-zinc-400">…</span>;
  if (result.isError) {
    const why = isMetricsUnavailable(result.error) ? "No metrics history (no metrics store)" : "Request rate could not be loaded";
    return (
      <span className="text-xs text-zinc-600 dark:text-zinc-400" title={why} data-testid="sparkline-unavailable">
        n/a<span className="sr-only">: {why}</span>
      </span>
    );
  }
  const latest = lastValue(aligned[1] ?? []);
  if (!series || latest === null || !result.data) {
    return (
      <span className="text-xs text-zinc-600 dark:text-zinc-400" title="No samples for this instance in the last 30 min">
        no data
      </span>
    );
  }
  const label = `Request rate of ${instance}, last 30 min: latest ${formatValue("reqps", latest)}`;
  return (
    <span className="inline-flex items-center gap-2" role="img" aria-label={label} title={label} data-testid="sparkline">
      <span className="inline-block w-24">
        <Suspense fallback={<span className="inline-block h-6 w-24" />}>
          <TimeSeriesCanvas data={aligned} names={[instance]} unit="reqps" height={24} window={[result.data.start, result.data.end]} sparkline />
        </Suspense>
      </span>
      <span className="font-mono text-xs tabular-nums">{formatValue("reqps", latest)}</span>
    </span>
  );
}
