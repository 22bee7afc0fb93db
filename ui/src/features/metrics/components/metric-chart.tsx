import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useId, useMemo, useState, type ReactNode } from "react";
import { isApiError, type MetricsRange } from "@/api";
import { Button } from "@/components/ui";
import { alignSeries, bandsWithin, colourOf, formatValue, hasSamples, lastValue, rangeLabel, seriesName, unitLabel, type ChartBand } from "@/features/metrics/model";
import { isMetricsUnavailable, metricsQueries, type MetricsParams, type MetricsQueryName } from "@/features/metrics/queries";

const TimeSeriesCanvas = lazy(() => import("./time-series-canvas"));

export interface MetricChartProps {
  query: MetricsQueryName;
  /** Defaults to the query's own title from the API. */
  title?: string;
  params?: Omit<MetricsParams, "range">;
  /** Seconds back from now; an hour by default. */
  range?: number;
  /** Marks (deploys, drains), unix seconds. */
  bands?: readonly ChartBand[];
  /** What the marks are, for the caption ("deploys"). */
  bandsLabel?: string;
  height?: number;
  /** Only the series whose labels pass (e.g. one instance). */
  filter?: (labels: Record<string, string>) => boolean;
}

/** Notices (no store, no data, an error) keep a modest height: they may stay for a long time. */
const NOTICE_HEIGHT = 96;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** The frame every chart state shares: a titled figure, so a page keeps its layout while data loads. */
function ChartFrame({ title, caption, state, children, height }: { title: string; caption: string; state: string; children: ReactNode; height?: number }) {
  const titleId = useId();
  return (
    <figure aria-labelledby={titleId} data-testid="metric-chart" data-state={state} className="flex min-w-0 flex-col gap-2 rounded-lg border border-zinc-200 bg-white p-3 dark:border-zinc-800 dark:bg-zinc-900">
      <figcaption className="flex flex-wrap items-baseline justify-between gap-x-2">
        <span id={titleId} className="text-sm font-semibold">
          {title}
        </span>
        <span className="text-xs text-zinc-600 dark:text-zinc-400">{caption}</span>
      </figcaption>
      <div className="min-w-0" style={{ minHeight: height }}>
        {children}
      </div>
    </figure>
  );
}

function Notice({ children, testId, height }: { children: ReactNode; testId: string; height: number }) {
  return (
    <div data-testid={testId} role="status" className="flex h-full flex-col justify-center gap-1 rounded-md border border-dashed border-zinc-300 p-3 text-sm text-zinc-700 dark:border-zinc-700 dark:text-zinc-300" style={{ minHeight: height }}>
      {children}
    </div>
  );
}

/** A detail as a sentence: capitalised, ending with a full stop. */
function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** What a chart says when the API has no metrics store (503 metrics_unavailable). */
export function MetricsUnavailableNotice({ error, height = NOTICE_HEIGHT }: { error: unknown; height?: number }) {
  return (
    <Notice testId="chart-unavailable" height={height}>
      <span className="font-medium">No metrics history available.</span>
      <span className="text-xs text-zinc-600 dark:text-zinc-400">
        {sentence(isApiError(error) && error.detail ? error.detail : "The API has no metrics store (CONTROL_METRICS_URL is unset) or the store does not answer")} Live
        state (fleet, jobs, placement) is unaffected.
      </span>
    </Notice>
  );
}

function Legend({ names, columns, unit, index, times }: { names: string[]; columns: (number | null)[][]; unit: MetricsRange["unit"]; index: number | null; times: number[] }) {
  const at = index !== null ? times[index] : undefined;
  return (
    <div className="flex flex-col gap-1 text-xs">
      <p className="text-zinc-600 dark:text-zinc-400" aria-live="off">
        {at !== undefined ? `At ${timeFormat.format(at * 1000)}` : "Latest"}
      </p>
      <ul className="flex flex-wrap gap-x-4 gap-y-1" aria-label="Legend">
        {names.map((name, i) => {
          const column = columns[i] ?? [];
          const value = index !== null ? (column[index] ?? null) : lastValue(column);
          // A series with no sample at the chart's last time has ended (a version no longer
          // running): its latest value is history, and says so.
          const current = column.length > 0 ? (column[column.length - 1] ?? null) : null;
          const ended = index === null && value !== null && current === null;
          return (
            <li key={name} className="flex min-w-0 items-center gap-1.5" data-series={name} data-current={current ?? ""}>
              <span aria-hidden="true" className="inline-block h-0.5 w-3 shrink-0 rounded" style={{ backgroundColor: colourOf(i), height: 3 }} />
              <span className="max-w-48 truncate" title={name}>
                {name}
              </span>
              <span className="font-mono tabular-nums">{formatValue(unit, value)}</span>
              {ended ? <span className="text-zinc-600 dark:text-zinc-400">(ended)</span> : null}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/**
 * One named query as a line chart (uPlot, loaded lazily): units on the axis and in the legend,
 * the value under the cursor, marks as vertical bands, and a clear state for loading, errors,
 * no data and `metrics_unavailable` (no metrics store).
 */
export function MetricChart({ query, title, params, range = 3600, bands = [], bandsLabel = "marks", height = 180, filter }: MetricChartProps) {
  const result = useQuery(metricsQueries.range(query, { range, ...params }));
  const [cursor, setCursor] = useState<number | null>(null);
  const data = result.data;
  const shown = useMemo(() => (data ? data.series.filter((s) => !filter || filter(s.labels)) : []), [data, filter]);
  const aligned = useMemo(() => alignSeries(shown), [shown]);
  const names = useMemo(() => (data ? shown.map((s, i) => seriesName(s.labels, data.legend, i)) : []), [data, shown]);
  const heading = title ?? data?.title ?? query.replace(/_/g, " ");
  const caption = `${data ? unitLabel(data.unit) + ", " : ""}${rangeLabel(range)}`;

  if (result.isPending) {
    return (
      <ChartFrame title={heading} caption={caption} state="loading" height={height}>
        <div role="status" className="h-full animate-pulse rounded-md bg-zinc-100 p-3 text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400" style={{ minHeight: height }}>
          Loading chart…
        </div>
      </ChartFrame>
    );
  }
  if (result.isError && !data) {
    return (
      <ChartFrame title={heading} caption={caption} state={isMetricsUnavailable(result.error) ? "unavailable" : "error"}>
        {isMetricsUnavailable(result.error) ? (
          <MetricsUnavailableNotice error={result.error} />
        ) : (
          <Notice testId="chart-error" height={NOTICE_HEIGHT}>
            <span className="font-medium text-red-800 dark:text-red-300">
              The chart could not be loaded: {isApiError(result.error) ? `${result.error.title} (HTTP ${result.error.status})` : String(result.error)}
            </span>
            {isApiError(result.error) ? <span className="font-mono text-xs">request {result.error.requestId}</span> : null}
            <span>
              <Button size="sm" onClick={() => void result.refetch()}>
                Retry
              </Button>
            </span>
          </Notice>
        )}
      </ChartFrame>
    );
  }
  if (!data || !hasSamples(shown)) {
    return (
      <ChartFrame title={heading} caption={caption} state="empty">
        <Notice testId="chart-empty" height={NOTICE_HEIGHT}>
          <span className="font-medium">No data in the {rangeLabel(range)}.</span>
          <span className="text-xs text-zinc-600 dark:text-zinc-400">The metrics store answered, but has no samples of this query for this range.</span>
        </Notice>
      </ChartFrame>
    );
  }

  const [times, ...columns] = aligned;
  const marks = bandsWithin(bands, data.start, data.end);
  const summary = `${heading}, ${rangeLabel(range)}: ${names.map((name, i) => `${name} ${formatValue(data.unit, lastValue(columns[i] ?? []))}`).join("; ")}${marks.length > 0 ? `; ${marks.length} ${bandsLabel} marked` : ""}`;
  return (
    <ChartFrame title={heading} caption={caption} state="data" height={height}>
      <div role="img" aria-label={summary} className="min-w-0">
        <Suspense fallback={<div style={{ height }} />}>
          <TimeSeriesCanvas data={aligned} names={names} unit={data.unit} height={height} window={[data.start, data.end]} bands={marks} onCursor={setCursor} />
        </Suspense>
      </div>
      <Legend names={names} columns={columns} unit={data.unit} index={cursor} times={times} />
      {marks.length > 0 ? (
        <ul aria-label={`Marked ${bandsLabel}`} className="mt-1 flex flex-wrap gap-x-3 text-xs text-amber-800 dark:text-amber-300">
          {marks.map((band) => (
            <li key={`${band.from}-${band.label}`} title={dateTimeFormat.format(band.from * 1000)}>
              <span aria-hidden="true">▍</span> {band.label} at {timeFormat.format(band.from * 1000)}
            </li>
          ))}
        </ul>
      ) : null}
    </ChartFrame>
  );
}
