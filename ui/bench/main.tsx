// Benchmark fixture: the app's DataTable with 10,000 synthetic rows, measured in Chromium by
// scripts/bench.mjs. Nothing here ships in the app build.
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import { createMemoryRouter, RouterProvider } from "react-router";
import { DataTable, type ColumnDef, StatusBadge } from "@/components/ui";
import "@/index.css";

interface Row {
  id: string;
  kind: string;
  status: string;
  created_at: string;
  duration_ms: number;
}

const STATUSES = ["pending", "running", "succeeded", "failed", "cancelled"];
const columns: ColumnDef<Row, unknown>[] = [
  { id: "id", header: "Id", accessorKey: "id" },
  { id: "kind", header: "Kind", accessorKey: "kind" },
  { id: "status", header: "Status", accessorKey: "status", cell: (c) => <StatusBadge status={c.row.original.status} /> },
  { id: "created_at", header: "Created", accessorKey: "created_at" },
  { id: "duration_ms", header: "Duration", accessorKey: "duration_ms" },
];

function rows(count: number): Row[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `row-${String(i).padStart(5, "0")}`,
    kind: i % 3 === 0 ? "platform.verify" : "tenant.migrate",
    status: STATUSES[i % STATUSES.length]!,
    created_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    duration_ms: (i * 7919) % 100_000,
  }));
}

const frames = () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
const root = createRoot(document.getElementById("root")!);

function mount(data: Row[]) {
  const router = createMemoryRouter([
    { path: "/", element: <DataTable id="bench" label="Benchmark rows" columns={columns} data={data} getRowId={(r) => r.id} /> },
  ]);
  flushSync(() => root.render(<RouterProvider router={router} />));
}

declare global {
  interface Window {
    runBench: (count: number) => Promise<{ render: number; sort: number; scroll: number; domRows: number }>;
  }
}

window.runBench = async (count) => {
  flushSync(() => root.render(<div />));
  await frames();
  const data = rows(count);
  const t0 = performance.now();
  mount(data);
  await frames();
  const render = performance.now() - t0;

  const sortButton = [...document.querySelectorAll("th button")].find((b) => b.textContent?.startsWith("Duration")) as HTMLButtonElement;
  const t1 = performance.now();
  sortButton.click();
  await frames();
  const sort = performance.now() - t1;

  const scroller = document.querySelector('[data-testid="table-bench"]') as HTMLElement;
  const t2 = performance.now();
  scroller.scrollTop = scroller.scrollHeight;
  await frames();
  await frames();
  const scroll = performance.now() - t2;
  const domRows = document.querySelectorAll("tbody tr[aria-rowindex]").length;
  return { render, sort, scroll, domRows };
};
