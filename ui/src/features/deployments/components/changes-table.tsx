import { ScrollRegion } from "@/components/ui";
import { isSecretPath } from "@/features/deployments/model";
import type { SpecChange } from "@/features/deployments/types";


function Value({ path, value }: { path: string; value: string | null | undefined }) {
  if (value === null || value === undefined) return <span className="text-zinc-500 dark:text-zinc-400">(none)</span>;
  if (isSecretPath(path)) {
    return (
      <span className="rounded bg-zinc-200 px-1.5 py-0.5 text-xs italic dark:bg-zinc-700" title="Environment values are redacted">
        redacted
      </span>
    );
  }
  return <code className="font-mono text-xs break-all">{value}</code>;
}

const CHANGE_LABEL: Record<SpecChange["change"], string> = { added: "added", removed: "removed", changed: "changed" };

/** What a deployment changed in the service spec: path, kind of change, before → after. */
export function ChangesTable({
  changes,
  available,
  label = "What changed",
  unavailable = "What changed is not available: the spec before this deployment was not recorded.",
  none = "No change to the service spec was recorded.",
}: {
  changes: readonly SpecChange[];
  available: boolean;
  label?: string;
  unavailable?: string;
  none?: string;
}) {
  if (!available) {
    return (
      <p className="text-sm text-zinc-700 dark:text-zinc-300">{unavailable}</p>
    );
  }
  if (changes.length === 0) return <p className="text-sm text-zinc-700 dark:text-zinc-300">{none}</p>;
  return (
    <ScrollRegion label={label}>
      <table aria-label={label} className="w-full text-left text-sm">
        <thead className="text-xs text-zinc-600 dark:text-zinc-400">
          <tr>
            <th scope="col" className="px-2 py-1 font-medium">Path</th>
            <th scope="col" className="px-2 py-1 font-medium">Change</th>
            <th scope="col" className="px-2 py-1 font-medium">Before</th>
            <th scope="col" className="px-2 py-1 font-medium">
              <span className="sr-only">to</span>
            </th>
            <th scope="col" className="px-2 py-1 font-medium">After</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((c) => (
            <tr key={`${c.path}-${c.change}`} className="border-t border-zinc-200 align-top dark:border-zinc-800" data-path={c.path}>
              <td className="px-2 py-1"><code className="font-mono text-xs">{c.path}</code></td>
              <td className="px-2 py-1">{CHANGE_LABEL[c.change]}</td>
              <td className="px-2 py-1"><Value path={c.path} value={c.before} /></td>
              <td className="px-2 py-1" aria-hidden="true">→</td>
              <td className="px-2 py-1"><Value path={c.path} value={c.after} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
