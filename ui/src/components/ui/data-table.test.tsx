import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { columnsToHide } from "./column-fit";
import { DataTable, type ColumnDef } from "./data-table";

interface Row {
  id: string;
  name: string;
  size: number;
}

const columns: ColumnDef<Row, unknown>[] = [
  { id: "name", header: "Name", accessorKey: "name" },
  { id: "size", header: "Size", accessorKey: "size" },
];

function setup(rows: Row[], path = "/") {
  const router = createMemoryRouter(
    [{ path: "/", element: <DataTable id="t" label="Things" columns={columns} data={rows} getRowId={(r) => r.id} /> }],
    { initialEntries: [path] },
  );
  render(<RouterProvider router={router} />);
  return router;
}

const bodyRows = () =>
  within(screen.getByRole("table", { name: "Things" }))
    .getAllByRole("row")
    .filter((row) => row.getAttribute("aria-rowindex"));

const rows: Row[] = [
  { id: "1", name: "beta", size: 2 },
  { id: "2", name: "alpha", size: 3 },
  { id: "3", name: "gamma", size: 1 },
];

describe("DataTable", () => {
  it("sorts by a column and keeps the sort in the URL", async () => {
    const router = setup(rows);
    await userEvent.click(screen.getByRole("button", { name: /Name/ }));
    expect(router.state.location.search).toContain("t.sort=name.asc");
    expect(bodyRows().map((r) => r.textContent)).toEqual(["alpha3", "beta2", "gamma1"]);
    expect(screen.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "ascending");
  });

  it("restores sort, filter and hidden columns from the URL", () => {
    setup(rows, "/?t.sort=size.desc&t.q=a&t.hide=size");
    expect(screen.getByLabelText("Filter rows")).toHaveValue("a");
    expect(screen.queryByRole("columnheader", { name: /Size/ })).not.toBeInTheDocument();
    // "a" matches alpha, beta and gamma; sorted by size descending (column hidden).
    expect(bodyRows().map((r) => r.textContent)).toEqual(["alpha", "beta", "gamma"]);
  });

  it("filters rows by text and hides columns from the column menu", async () => {
    const router = setup(rows);
    await userEvent.type(screen.getByLabelText("Filter rows"), "gam");
    expect(bodyRows()).toHaveLength(1);
    expect(screen.getByText("1 of 3 rows")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Columns" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "Size" }));
    expect(router.state.location.search).toContain("t.hide=size");
    expect(screen.queryByRole("columnheader", { name: /Size/ })).not.toBeInTheDocument();
  });

  it("renders only a window of 10,000 rows", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ id: String(i), name: `row ${i}`, size: i }));
    setup(many);
    const rendered = bodyRows();
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThan(100);
    expect(screen.getByText("10000 rows")).toBeInTheDocument();
  });

  it("says so when there are no rows", () => {
    setup([]);
    expect(screen.getByText("No rows.")).toBeInTheDocument();
  });
});

describe("columnsToHide", () => {
  const cols = [
    { id: "a", priority: 1, width: 300 },
    { id: "b", priority: 3, width: 200 },
    { id: "c", priority: 2, width: 200 },
    { id: "d", priority: 3, width: 200 },
  ];

  it("leaves out the lowest priority first, rightmost first, until the rest fits", () => {
    expect([...columnsToHide(cols, 900)]).toEqual([]);
    expect([...columnsToHide(cols, 800)]).toEqual(["d"]);
    expect([...columnsToHide(cols, 500)]).toEqual(["d", "b"]);
    expect([...columnsToHide(cols, 300)]).toEqual(["d", "b", "c"]);
  });

  it("never leaves out a priority-1 column, and leaves out nothing when the width is unknown", () => {
    expect([...columnsToHide(cols, 100)]).toEqual(["d", "b", "c"]);
    expect([...columnsToHide(cols, 0)]).toEqual([]);
  });
});

describe("DataTable in a narrow container", () => {
  it("leaves out low-priority columns, says so, shares the width and lists them in Columns", async () => {
    class WideObserver {
      constructor(private readonly callback: ResizeObserverCallback) {}
      observe(element: Element) {
        this.callback([{ contentRect: { width: 400 } } as ResizeObserverEntry], this as unknown as ResizeObserver);
        void element;
      }
      unobserve() {}
      disconnect() {}
    }
    vi.stubGlobal("ResizeObserver", WideObserver);
    const narrow: ColumnDef<Row, unknown>[] = [
      { id: "name", header: "Name", accessorKey: "name", meta: { priority: 1, width: 300 } },
      { id: "size", header: "Size", accessorKey: "size", meta: { priority: 3, width: 200 } },
    ];
    const router = createMemoryRouter([{ path: "/", element: <DataTable id="t" label="Things" columns={narrow} data={rows} getRowId={(r) => r.id} /> }]);
    render(<RouterProvider router={router} />);
    const table = screen.getByRole("table", { name: "Things" });
    expect(within(table).getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Name↕"]);
    expect(within(table).getByRole("columnheader")).toHaveStyle({ width: "100.00%" });
    expect(table).toHaveClass("table-fixed");
    expect(screen.getByText(/1 column left out to fit/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Columns" }));
    expect(screen.getByText("(left out to fit: hide another column)")).toBeInTheDocument();
  });
});
