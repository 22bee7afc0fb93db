import { lazy, Suspense } from "react";
import { LoadingState } from "@/components/ui";

const CodeEditor = lazy(() => import("./code-editor"));

/** 409 plan_stale: what the plan was made from, what is there now, and what you wrote. */
export function StaleView({ base, current, mine }: { base: string; current: string | null; mine: string | null }) {
  const panes: [string, string][] = [
    ["Your base", base],
    ["Current", current ?? "(loading…)"],
  ];
  if (mine !== null) panes.push(["Yours", mine]);
  return (
    <section aria-label="Three-way view" className="grid grid-cols-1 gap-2 md:grid-cols-3">
      {panes.map(([title, text]) => (
        <div key={title} className="flex flex-col gap-1">
          <h4 className="text-xs font-semibold">{title}</h4>
          <Suspense fallback={<LoadingState label="Loading the editor…" />}>
            <CodeEditor value={text} language="json" readOnly label={`${title} (read-only)`} />
          </Suspense>
        </div>
      ))}
    </section>
  );
}
