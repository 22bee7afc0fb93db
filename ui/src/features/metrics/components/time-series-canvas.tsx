// The one place uPlot is used; loaded lazily (its own chunk, with its CSS), so no page pays for
// it before it shows a chart.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { MetricsUnit } from "@/api";
import { themeChoice, useStore } from "@/lib";
import { colourOf, formatValue, type ChartBand } from "@/features/metrics/model";

export interface TimeSeriesCanvasProps {
  /** [unix seconds, series 1, …] (model.alignSeries). */
  data: [number[], ...(number | null)[][]];
  names: readonly string[];
  unit: MetricsUnit;
  height: number;
  /** The time window shown, unix seconds (the x axis spans it even where there is no sample). */
  window: readonly [number, number];
  bands?: readonly ChartBand[];
  /** A bare line: no axes, no cursor. */
  sparkline?: boolean;
  /** The index into `data[0]` under the cursor, or null when it leaves. */
  onCursor?: (index: number | null) => void;
}

/** Canvas 2D is there (not in jsdom, where charts show their legend and summary only). */
function canDraw(): boolean {
  try {
    return Boolean(document.createElement("canvas").getContext("2d"));
  } catch {
    return false;
  }
}

const isDark = () => document.documentElement.classList.contains("dark");

function bandsPlugin(current: () => readonly ChartBand[]): uPlot.Plugin {
  return {
    hooks: {
      // Under the series: drawn right after the canvas is cleared.
      drawClear: [
        (u: uPlot) => {
          const bands = current();
          if (bands.length === 0) return;
          const { ctx } = u;
          const { top, height } = u.bbox;
          ctx.save();
          for (const band of bands) {
            const x0 = u.valToPos(band.from, "x", true);
            const x1 = u.valToPos(band.to, "x", true);
            ctx.fillStyle = isDark() ? "rgba(251, 191, 36, 0.22)" : "rgba(217, 119, 6, 0.16)";
            ctx.fillRect(x0, top, Math.max(x1 - x0, 3 * uPlot.pxRatio), height);
            ctx.fillStyle = isDark() ? "rgba(251, 191, 36, 0.9)" : "rgba(180, 83, 9, 0.9)";
            ctx.fillRect(x0, top, Math.max(1, uPlot.pxRatio), height);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** Options for the plot's shape; the window and the marks are read from `current()` at each draw. */
function options(current: () => TimeSeriesCanvasProps, width: number): uPlot.Options {
  const props = current();
  const dark = isDark();
  const axis = dark ? "#d4d4d8" : "#3f3f46";
  const grid = dark ? "rgba(255,255,255,0.08)" : "rgba(0,0,0,0.07)";
  return {
    width,
    height: props.height,
    legend: { show: false },
    cursor: props.sparkline ? { show: false } : { drag: { x: false, y: false }, points: { size: 6 } },
    padding: props.sparkline ? [2, 0, 2, 0] : [8, 8, 0, 0],
    scales: {
      x: { time: true, range: () => [current().window[0], current().window[1]] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: props.sparkline
      ? [{ show: false }, { show: false }]
      : [
          { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
          {
            stroke: axis,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            size: 64,
            values: (_u, splits) => splits.map((v) => formatValue(props.unit, v)),
          },
        ],
    series: [
      {},
      ...props.names.map((name, i) => ({
        label: name,
        stroke: colourOf(i),
        width: props.sparkline ? 1.25 : 1.5,
        points: { show: false },
        spanGaps: false,
      })),
    ],
    plugins: [bandsPlugin(() => current().bands ?? [])],
    hooks: {
      setCursor: [
        (u: uPlot) => {
          const index = u.cursor.idx;
          current().onCursor?.(index === null || index === undefined ? null : index);
        },
      ],
    },
  };
}

export default function TimeSeriesCanvas(props: TimeSeriesCanvasProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(props);
  const theme = useStore(themeChoice);
  const shape = [props.names.join("\n"), props.unit, props.height, props.sparkline, theme].join("|");
  const marks = JSON.stringify(props.bands ?? []);

  useEffect(() => {
    latest.current = props;
  });

  // Build the plot when its shape changes (series, unit, size, theme); new data, window or marks redraw it.
  useEffect(() => {
    const element = container.current;
    if (!element || !canDraw()) return;
    const width = Math.max(element.clientWidth, 40);
    const instance = new uPlot(options(() => latest.current, width), latest.current.data as uPlot.AlignedData, element);
    plot.current = instance;
    const resize = new ResizeObserver(() => {
      const next = Math.max(element.clientWidth, 40);
      if (next !== instance.width) instance.setSize({ width: next, height: latest.current.height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      instance.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(props.data as uPlot.AlignedData);
  }, [props.data, marks]);

  return <div ref={container} className="w-full min-w-0" data-testid="chart-canvas" style={{ minHeight: props.height }} />;
}
