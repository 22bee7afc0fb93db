import { RelativeTime, ScrollRegion } from "@/components/ui";
import { cn, formatAbsolute } from "@/lib";
import type { DriftItem } from "@/features/drift/types";

const th = "px-2 py-1.5 font-medium";
const td = "px-2 py-1.5 align-top";

function SeverityBadge({ severity }: { severity: DriftItem["severity"] }) {
  return (
    <span
      data-severity={severity}
      className={cn(
        "inline-flex rounded-full px-2 py-0.5 text-xs font-medium",
        severity === "critical" ? "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100" : "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
      )}
    >
      {severity}
    </span>
  );
}

/** The drift items; a service's button selects its item (its diff and remedies show below). */
export function DriftTable({ items, selected, onSelect }: { items: readonly DriftItem[]; selected?: string; onSelect: (id: string) => void }) {
  return (
    <ScrollRegion label="Drift items" className="rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table aria-label="Drift items" className="w-full text-left text-sm">
        <thead className="bg-zinc-100 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
          <tr>
            <th scope="col" className={th}>Severity</th>
            <th scope="col" className={th}>Category</th>
            <th scope="col" className={th}>Service</th>
            <th scope="col" className={th}>Field</th>
            <th scope="col" className={th}>Detail</th>
            <th scope="col" className={th}>Since</th>
            <th scope="col" className={th}>Acknowledged</th>
          </tr>
        </thead>
        <tbody>
          {items.length === 0 ? (
            <tr>
              <td colSpan={7} className={cn(td, "text-center text-zinc-600 dark:text-zinc-400")}>
                No item matches these filters.
              </td>
            </tr>
          ) : null}
          {items.map((item) => {
            const current = item.id === selected;
            return (
              <tr
                key={item.id}
                data-item={item.id}
                data-category={item.category}
                data-selected={current || undefined}
                className={cn("border-t border-zinc-200 dark:border-zinc-800", current && "bg-sky-50 dark:bg-sky-950")}
              >
                <td className={td}>
                  <SeverityBadge severity={item.severity} />
                </td>
                <td className={td}>{item.category}</td>
                <th scope="row" className={cn(td, "font-medium")}>
                  <button type="button" aria-pressed={current} onClick={() => onSelect(item.id)} className="text-left text-sky-800 underline dark:text-sky-300">
                    {item.service}
                  </button>
                  {item.instance && item.instance !== item.service ? <div className="text-xs font-normal">{item.instance}</div> : null}
                </th>
                <td className={td}>
                  <code className="font-mono text-xs">{item.field}</code>
                </td>
                <td className={td}>{item.detail}</td>
                <td className={td}>
                  <RelativeTime value={item.first_seen} />
                  <div className="text-xs text-zinc-600 dark:text-zinc-400">{formatAbsolute(item.first_seen)}</div>
                </td>
                <td className={td}>
                  {item.acknowledged ? (
                    <span
                      className="inline-flex rounded-full bg-zinc-200 px-2 py-0.5 text-xs font-medium text-zinc-800 dark:bg-zinc-700 dark:text-zinc-100"
                      title={`${item.acknowledged.by}: ${item.acknowledged.reason}`}
                    >
                      acknowledged
                    </span>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
