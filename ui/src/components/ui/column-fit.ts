// Which columns of a DataTable fit the width it has (docs/ui.md: tables never overflow).

/** The width a column gets when it does not say (px). */
export const DEFAULT_WIDTH = 120;


export interface FitColumn {
  id: string;
  priority: number;
  width: number;
}

/**
 * The columns to leave out so the rest fit `available` px: lowest priority first, the rightmost
 * of a priority first; a priority-1 column is never left out (the table then truncates). None
 * when the width is unknown (no layout, as in tests).
 */
export function columnsToHide(columns: readonly FitColumn[], available: number): Set<string> {
  const hidden = new Set<string>();
  if (available <= 0) return hidden;
  let total = columns.reduce((sum, c) => sum + c.width, 0);
  const order = columns.map((c, index) => ({ ...c, index })).sort((a, b) => b.priority - a.priority || b.index - a.index);
  for (const column of order) {
    if (total <= available || column.priority <= 1) break;
    hidden.add(column.id);
    total -= column.width;
  }
  return hidden;
}

