// Pure helpers of the charts: units, series names, aligning series on one time axis, marks.
import type { MetricsUnit } from "@/api";

/** A series as the API sends it: labels and [unix seconds, value or null] points. */
export interface PlotSeries {
  labels: Record<string, string>;
  points: ReadonlyArray<ReadonlyArray<number | null>>;
}

/** A stretch of time marked on a chart (a deploy, a drain): unix seconds. */
export interface ChartBand {
  from: number;
  to: number;
  label: string;
}

const trim = (value: string) => value.replace(/\.0+$|(\.\d*?)0+$/, "$1");

function number(value: number, digits: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim((value / 1e9).toFixed(digits))}G`;
  if (abs >= 1e6) return `${trim((value / 1e6).toFixed(digits))}M`;
  if (abs >= 1e4) return `${trim((value / 1e3).toFixed(digits))}k`;
  if (abs >= 100 || Number.isInteger(value)) return String(Math.round(value));
  if (abs >= 10) return trim(value.toFixed(1));
  return trim(value.toFixed(2));
}

/** A value in its unit, for legends and hover: "12.5 req/s", "1.2 %", "340 ms", "2.1 MiB". */
export function formatValue(unit: MetricsUnit, value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  switch (unit) {
    case "reqps":
      return `${number(value, 1)} req/s`;
    case "ratio": {
      const percent = value * 100;
      return `${percent !== 0 && Math.abs(percent) < 1 ? trim(percent.toFixed(2)) : trim(percent.toFixed(1))} %`;
    }
    case "seconds":
      if (value === 0) return "0 ms";
      if (Math.abs(value) < 0.001) return `${trim((value * 1e6).toFixed(0))} µs`;
      if (Math.abs(value) < 1) return `${trim((value * 1000).toFixed(value < 0.01 ? 1 : 0))} ms`;
      return `${trim(value.toFixed(2))} s`;
    case "bytes": {
      const units = ["B", "KiB", "MiB", "GiB", "TiB"];
      let scaled = value;
      let index = 0;
      while (Math.abs(scaled) >= 1024 && index < units.length - 1) {
        scaled /= 1024;
        index += 1;
      }
      return `${trim(scaled.toFixed(index === 0 ? 0 : 1))} ${units[index]}`;
    }
    default:
      return number(value, 1);
  }
}

/** The unit as a caption: what the y axis measures. */
export function unitLabel(unit: MetricsUnit): string {
  return { reqps: "requests per second", ratio: "percent", seconds: "latency", count: "count", bytes: "bytes" }[unit];
}

/** A series' name from the labels the query's `legend` names ("service version" → "aggregate 1.4.2"). */
export function seriesName(labels: Record<string, string>, legend: string, index = 0): string {
  const names = legend.split(/\s+/).filter(Boolean);
  const parts = names.map((name) => labels[name]).filter((value): value is string => Boolean(value));
  if (parts.length > 0) return parts.join(" ");
  const all = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  return all.length > 0 ? all.join(", ") : `series ${index + 1}`;
}

/**
 * The series on one time axis, as uPlot wants them: [times, values of series 1, …], each value
 * null where that series has no sample at that time (a gap, never an invented zero).
 */
export function alignSeries(series: readonly PlotSeries[]): [number[], ...(number | null)[][]] {
  const valid = (point: ReadonlyArray<number | null>): point is readonly [number, number | null] => typeof point[0] === "number";
  const times = [...new Set(series.flatMap((s) => s.points.filter(valid).map(([t]) => t)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = series.map((s) => {
    const column: (number | null)[] = new Array(times.length).fill(null);
    for (const point of s.points) {
      if (!valid(point)) continue;
      const value = point[1] ?? null;
      column[index.get(point[0])!] = value !== null && Number.isFinite(value) ? value : null;
    }
    return column;
  });
  return [times, ...columns];
}

/** The latest sample of a series that has one (what a legend shows when the cursor is away). */
export function lastValue(column: readonly (number | null)[]): number | null {
  for (let i = column.length - 1; i >= 0; i -= 1) {
    const value = column[i];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

/** Does any series have at least one sample? */
export function hasSamples(series: readonly PlotSeries[]): boolean {
  return series.some((s) => s.points.some((point) => point[1] !== null && point[1] !== undefined));
}

/** Marks that overlap [start, end] (unix seconds), clipped to it. */
export function bandsWithin(bands: readonly ChartBand[], start: number, end: number): ChartBand[] {
  return bands
    .filter((band) => band.to >= start && band.from <= end)
    .map((band) => ({ ...band, from: Math.max(band.from, start), to: Math.min(Math.max(band.to, band.from), end) }));
}

/** Unix seconds of an RFC 3339 time, or null. */
export function unixSeconds(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms / 1000;
}

/** The colours of series, in order; readable on white and on zinc-900. */
export const SERIES_COLOURS = ["#0369a1", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0f766e", "#a16207", "#be185d", "#4338ca", "#525252"];

export function colourOf(index: number): string {
  return SERIES_COLOURS[index % SERIES_COLOURS.length]!;
}

/** "last hour", "last 30 min", "last 6 h", "last 2 d". */
export function rangeLabel(seconds: number): string {
  if (seconds === 3600) return "last hour";
  if (seconds < 3600) return `last ${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `last ${trim((seconds / 3600).toFixed(1))} h`;
  return `last ${trim((seconds / 86_400).toFixed(1))} d`;
}
