import { useState } from "react";
import { lastRequest } from "@/api";
import { useStore } from "@/lib";
import { IdChip, RelativeTime } from "@/components/ui";

/** The ids of the latest API call, ready to paste into a support ticket. */
export function LastRequestPanel() {
  const last = useStore(lastRequest);
  const [open, setOpen] = useState(false);
  return (
    <section
      aria-label="Last request"
      className="border-t border-zinc-200 bg-white px-4 py-1.5 text-xs dark:border-zinc-800 dark:bg-zinc-900"
    >
      <button
        type="button"
        className="font-medium text-zinc-700 hover:underline dark:text-zinc-300"
        aria-expanded={open}
        onClick={() => setOpen((value) => !value)}
      >
        Last request
        {last ? (
          <span className="ml-2 font-mono text-zinc-600 dark:text-zinc-400">
            {last.method} {last.path} → {last.status ?? "network error"}
          </span>
        ) : (
          <span className="ml-2 text-zinc-600 dark:text-zinc-400">none yet</span>
        )}
      </button>
      {open && last ? (
        <div className="mt-1.5 flex flex-wrap gap-2 pb-1">
          <IdChip label="Request ID" value={last.requestId} />
          <IdChip label="Correlation ID" value={last.correlationId} />
          <IdChip label="Traceparent" value={last.traceparent} />
          <RelativeTime className="self-center text-zinc-600 dark:text-zinc-400" value={last.at} />
        </div>
      ) : null}
    </section>
  );
}
