import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type RowData,
  type SortingState,
  type VisibilityState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useId, useMemo, useRef, useState, type MouseEvent, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { cn } from "@/lib";
import { columnsToHide, DEFAULT_WIDTH } from "./column-fit";
import { fieldClass } from "./input";

export type { ColumnDef } from "@tanstack/react-table";

declare module "@tanstack/react-table" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the augmented interface's own parameters
  interface ColumnMeta<TData extends RowData, TValue> {
    /** 1: always shown; 2 (default) and 3 give way, 3 first, when the table is too narrow. */
    priority?: 1 | 2 | 3;
    /** The width (px) the column needs to be readable; its share of the table follows it. */
    width?: number;
    /** false: the cell is not clipped (it holds a button whose tooltip must show). */
    clip?: boolean;
  }
}

/** A cell's full text as its tooltip, set only when the cell is cut off. */
function titleIfTruncated(event: MouseEvent<HTMLElement>) {
  const cell = event.currentTarget;
  if (cell.scrollWidth > cell.clientWidth + 1 && !cell.title) cell.title = cell.textContent ?? "";
}

export interface DataTableProps<T> {
  /** Prefix for this table's search params (`<id>.sort`, `<id>.q`, `<id>.hide`). */
  id: string;
  label: string;
  columns: ColumnDef<T, unknown>[];
  data: readonly T[];
  getRowId: (row: T) => string;
  rowClassName?: (row: T) => string | undefined;
  empty?: ReactNode;
  /** Height of the scroll area; rows outside it are not rendered. */
  height?: number | string;
  rowHeight?: number;
  toolbar?: ReactNode;
}

function parseSort(value: string | null): SortingState {
  if (!value) return [];
  return value
    .split(",")
    .map((part) => part.split("."))
    .filter(([id]) => Boolean(id))
    .map(([id, dir]) => ({ id: id!, desc: dir === "desc" }));
}

function formatSort(sorting: SortingState): string {
  return sorting.map((s) => `${s.id}.${s.desc ? "desc" : "asc"}`).join(",");
}

/**
 * A table whose sort, text filter and column visibility live in the URL, so a view can be
 * shared by its link. Rows are virtualised: only the visible ones are in the DOM.
 */
export function DataTable<T>({
  id,
  label,
  columns,
  data,
  getRowId,
  rowClassName,
  empty,
  height = "min(70vh, 720px)",
  rowHeight = 40,
  toolbar,
}: DataTableProps<T>) {
  const [params, setParams] = useSearchParams();
  const sortKey = `${id}.sort`;
  const filterKey = `${id}.q`;
  const hideKey = `${id}.hide`;
  const sorting = useMemo(() => parseSort(params.get(sortKey)), [params, sortKey]);
  const globalFilter = params.get(filterKey) ?? "";
  const columnVisibility = useMemo<VisibilityState>(() => {
    const hidden = params.get(hideKey);
    return Object.fromEntries((hidden ? hidden.split(",") : []).map((key) => [key, false]));
  }, [params, hideKey]);

  const update = (key: string, value: string) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  };

  // The table library is not memo-safe for the React compiler; it is used as documented.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable<T>({
    data: data as T[],
    columns,
    getRowId,
    state: { sorting, globalFilter, columnVisibility },
    onSortingChange: (updater) => {
      const next = typeof updater === "function" ? updater(sorting) : updater;
      update(sortKey, formatSort(next));
    },
    onGlobalFilterChange: (value) => update(filterKey, String(value ?? "")),
    onColumnVisibilityChange: (updater) => {
      const next = typeof updater === "function" ? updater(columnVisibility) : updater;
      update(
        hideKey,
        Object.entries(next)
          .filter(([, visible]) => !visible)
          .map(([key]) => key)
          .join(","),
      );
    },
    globalFilterFn: "includesString",
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
  });

  const rows = table.getRowModel().rows;
  const scrollRef = useRef<HTMLDivElement>(null);

  // Fit the width available: drop low-priority columns, then share the width by each column's need.
  const [available, setAvailable] = useState(0);
  useEffect(() => {
    const element = scrollRef.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => setAvailable(Math.floor(entry?.contentRect.width ?? 0)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const shownColumns = table.getVisibleLeafColumns();
  const fit = shownColumns.map((column) => ({
    id: column.id,
    priority: column.columnDef.meta?.priority ?? 2,
    width: column.columnDef.meta?.width ?? DEFAULT_WIDTH,
  }));
  const fitKey = `${available}|${fit.map((c) => `${c.id}:${c.priority}:${c.width}`).join(",")}`;
  // eslint-disable-next-line react-hooks/exhaustive-deps -- fitKey is the content of `fit`
  const hiddenToFit = useMemo(() => columnsToHide(fit, available), [fitKey]);
  const fitted = fit.filter((c) => !hiddenToFit.has(c.id));
  const fittedWidth = fitted.reduce((sum, c) => sum + c.width, 0);
  const share = (id: string) => {
    const column = fitted.find((c) => c.id === id);
    return available > 0 && column ? `${((column.width / fittedWidth) * 100).toFixed(2)}%` : undefined;
  };
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const virtualRows = virtualizer.getVirtualItems();
  const paddingTop = virtualRows[0]?.start ?? 0;
  const paddingBottom = virtualRows.length > 0 ? virtualizer.getTotalSize() - (virtualRows.at(-1)?.end ?? 0) : 0;
  const visibleColumnCount = fitted.length;
  const filterId = useId();

  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-end gap-2">
        <div className="flex flex-col gap-1">
          <label htmlFor={filterId} className="text-xs font-medium text-zinc-700 dark:text-zinc-300">
            Filter rows
          </label>
          <input
            id={filterId}
            type="search"
            className={cn(fieldClass, "w-56")}
            placeholder="Text in any column"
            value={globalFilter}
            onChange={(event) => table.setGlobalFilter(event.target.value)}
          />
        </div>
        <ColumnMenu
          columns={table.getAllLeafColumns().map((column) => ({
            id: column.id,
            label: typeof column.columnDef.header === "string" ? column.columnDef.header : column.id,
            visible: column.getIsVisible(),
            hiddenToFit: hiddenToFit.has(column.id),
            canHide: column.getCanHide(),
            toggle: (visible: boolean) => column.toggleVisibility(visible),
          }))}
        />
        <span className="pb-2 text-xs text-zinc-600 dark:text-zinc-400" aria-live="polite">
          {rows.length === data.length ? `${data.length} rows` : `${rows.length} of ${data.length} rows`}
          {hiddenToFit.size > 0 ? ` · ${hiddenToFit.size} column${hiddenToFit.size === 1 ? "" : "s"} left out to fit (see Columns)` : ""}
        </span>
        {toolbar ? <div className="ml-auto flex items-end gap-2">{toolbar}</div> : null}
      </div>
      <div
        ref={scrollRef}
        className="overflow-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900"
        style={{ maxHeight: height }}
        data-testid={`table-${id}`}
        tabIndex={0}
        role="region"
        aria-label={`${label} (scrollable)`}
      >
        <table className={cn("w-full border-collapse text-sm", available > 0 && "table-fixed")} aria-label={label} aria-rowcount={rows.length + 1}>
          <thead className="sticky top-0 z-10 bg-zinc-100 dark:bg-zinc-800">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.filter((header) => !hiddenToFit.has(header.column.id)).map((header) => {
                  const sorted = header.column.getIsSorted();
                  return (
                    <th
                      key={header.id}
                      scope="col"
                      aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}
                      style={{ width: share(header.column.id) }}
                      className="truncate px-3 py-2 text-left text-xs font-semibold whitespace-nowrap text-zinc-700 dark:text-zinc-200"
                    >
                      {header.isPlaceholder ? null : header.column.getCanSort() ? (
                        <button
                          type="button"
                          className="inline-flex items-center gap-1 hover:underline"
                          onClick={header.column.getToggleSortingHandler()}
                        >
                          {flexRender(header.column.columnDef.header, header.getContext())}
                          <span aria-hidden="true">{sorted === "asc" ? "▲" : sorted === "desc" ? "▼" : "↕"}</span>
                        </button>
                      ) : (
                        flexRender(header.column.columnDef.header, header.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={visibleColumnCount} className="p-6 text-center text-sm text-zinc-600 dark:text-zinc-400">
                  {empty ?? "No rows."}
                </td>
              </tr>
            ) : null}
            {paddingTop > 0 ? (
              <tr aria-hidden="true">
                <td colSpan={visibleColumnCount} style={{ height: paddingTop, padding: 0 }} />
              </tr>
            ) : null}
            {virtualRows.map((virtualRow) => {
              const row = rows[virtualRow.index]!;
              return (
                <tr
                  key={row.id}
                  data-index={virtualRow.index}
                  aria-rowindex={virtualRow.index + 2}
                  style={{ height: rowHeight }}
                  className={cn(
                    "group/row border-t border-zinc-100 dark:border-zinc-800",
                    rowClassName?.(row.original),
                  )}
                >
                  {row.getVisibleCells().filter((cell) => !hiddenToFit.has(cell.column.id)).map((cell) => (
                    <td
                      key={cell.id}
                      className={cn("px-3 py-1.5 align-middle whitespace-nowrap", cell.column.columnDef.meta?.clip !== false && "overflow-hidden text-ellipsis")}
                      onMouseEnter={titleIfTruncated}
                    >
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
              );
            })}
            {paddingBottom > 0 ? (
              <tr aria-hidden="true">
                <td colSpan={visibleColumnCount} style={{ height: paddingBottom, padding: 0 }} />
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </div>
  );
}

interface ColumnToggle {
  id: string;
  label: string;
  visible: boolean;
  /** Shown by choice, but left out because the table is too narrow. */
  hiddenToFit: boolean;
  canHide: boolean;
  toggle: (visible: boolean) => void;
}

function ColumnMenu({ columns }: { columns: ColumnToggle[] }) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  return (
    <div className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((value) => !value)}
        onKeyDown={(event) => {
          if (event.key === "Escape") setOpen(false);
        }}
        className="h-9 rounded-md border border-zinc-300 bg-white px-3 text-sm dark:border-zinc-600 dark:bg-zinc-800"
      >
        Columns
      </button>
      {open ? (
        <fieldset
          id={panelId}
          onKeyDown={(event) => {
            if (event.key === "Escape") setOpen(false);
          }}
          className="absolute z-30 mt-1 flex min-w-44 flex-col gap-1 rounded-md border border-zinc-200 bg-white p-2 shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
        >
          <legend className="sr-only">Visible columns</legend>
          {columns
            .filter((column) => column.canHide)
            .map((column) => (
              <label key={column.id} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={column.visible}
                  onChange={(event) => column.toggle(event.target.checked)}
                />
                {column.label}
                {column.visible && column.hiddenToFit ? (
                  <span className="text-xs text-zinc-600 dark:text-zinc-400">(left out to fit: hide another column)</span>
                ) : null}
              </label>
            ))}
        </fieldset>
      ) : null}
    </div>
  );
}
