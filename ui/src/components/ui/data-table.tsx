import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
  type VisibilityState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useId, useMemo, useRef, useState, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { cn } from "@/lib";
import { fieldClass } from "./input";

export type { ColumnDef } from "@tanstack/react-table";

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
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const virtualRows = virtualizer.getVirtualItems();
  const paddingTop = virtualRows[0]?.start ?? 0;
  const paddingBottom = virtualRows.length > 0 ? virtualizer.getTotalSize() - (virtualRows.at(-1)?.end ?? 0) : 0;
  const visibleColumnCount = table.getVisibleLeafColumns().length;
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
            canHide: column.getCanHide(),
            toggle: (visible: boolean) => column.toggleVisibility(visible),
          }))}
        />
        <span className="pb-2 text-xs text-zinc-600 dark:text-zinc-400" aria-live="polite">
          {rows.length === data.length ? `${data.length} rows` : `${rows.length} of ${data.length} rows`}
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
        <table className="w-full border-collapse text-sm" aria-label={label} aria-rowcount={rows.length + 1}>
          <thead className="sticky top-0 z-10 bg-zinc-100 dark:bg-zinc-800">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sorted = header.column.getIsSorted();
                  return (
                    <th
                      key={header.id}
                      scope="col"
                      aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}
                      className="px-3 py-2 text-left text-xs font-semibold whitespace-nowrap text-zinc-700 dark:text-zinc-200"
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
                    "border-t border-zinc-100 dark:border-zinc-800",
                    rowClassName?.(row.original),
                  )}
                >
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} className="px-3 py-1.5 align-middle whitespace-nowrap">
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
              </label>
            ))}
        </fieldset>
      ) : null}
    </div>
  );
}
