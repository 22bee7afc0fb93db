import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import type { DefinitionView } from "@/api";
import { Page } from "@/components/layout";
import { Button, DataTable, ErrorState, LoadingState, Modal, type ColumnDef } from "@/components/ui";
import { asJson, configHref } from "@/lib";
import { definitionQueries } from "@/features/definitions/queries";

type Selected = Pick<DefinitionView, "type" | "name" | "version">;

function DocumentModal({ selected, onClose }: { selected: Selected; onClose: () => void }) {
  const doc = useQuery(definitionQueries.document(selected.type as "effect" | "saga", selected.name, selected.version));
  return (
    <Modal open onClose={onClose} size="lg" title={`${selected.type} ${selected.name} v${selected.version}`} description="The definition document as a Runner holds it (read-only).">
      {doc.data ? (
        <pre className="max-h-[60vh] overflow-auto rounded bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-800" aria-label="Definition document">
          {asJson(doc.data)}
        </pre>
      ) : doc.isError ? (
        <ErrorState error={doc.error} title="The document could not be loaded" />
      ) : (
        <LoadingState label="Loading the document…" />
      )}
    </Modal>
  );
}

export default function DefinitionsPage() {
  const overview = useQuery(definitionQueries.overview());
  const [selected, setSelected] = useState<Selected | null>(null);
  const columns: ColumnDef<DefinitionView, unknown>[] = [
    { id: "type", header: "Type", accessorKey: "type" },
    {
      id: "name",
      header: "Name",
      accessorKey: "name",
      cell: (c) => (
        <Button size="sm" variant="ghost" onClick={() => setSelected(c.row.original)} aria-label={`Document of ${c.row.original.type} ${c.row.original.name} v${c.row.original.version}`}>
          {c.row.original.name}
        </Button>
      ),
    },
    { id: "version", header: "Version", accessorKey: "version" },
    {
      id: "sha256",
      header: "sha256",
      accessorKey: "sha256",
      cell: (c) => (
        <code className="font-mono text-xs" title={c.row.original.sha256}>
          {c.row.original.sha256.slice(0, 12)}
          {c.row.original.sha256_mismatch ? " (differs between Runners)" : ""}
        </code>
      ),
    },
    {
      id: "active_in",
      header: "Active in",
      accessorFn: (d) => d.active_in.join(", "),
      cell: (c) =>
        c.row.original.active_in.length ? (
          <span className="flex flex-wrap gap-1">
            {c.row.original.active_in.map((scope) => (
              <Link key={scope} className="text-sky-800 hover:underline dark:text-sky-300" to={configHref("runner.activation", "activation", scope)}>
                {scope}
              </Link>
            ))}
          </span>
        ) : (
          "not active"
        ),
    },
    {
      id: "runners",
      header: "Runners",
      accessorFn: (d) => d.runners.join(", "),
      cell: (c) => `${c.row.original.runners.join(", ")}${c.row.original.missing_on.length ? ` (missing on ${c.row.original.missing_on.join(", ")})` : ""}`,
    },
  ];
  return (
    <Page title="Definitions">
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        Runner definitions (effects and sagas) as each Runner reports them: version, sha256 and where each is active. The
        documents are immutable artifacts, shown read-only. Activation changes go through the Config flow of{" "}
        <Link className="text-sky-800 underline dark:text-sky-300" to={configHref("runner.activation", "activation")}>
          runner.activation
        </Link>
        .
      </p>
      {overview.data ? (
        <>
          <DataTable
            id="definitions"
            label="Definitions"
            columns={columns}
            data={overview.data.definitions}
            getRowId={(d) => `${d.type}/${d.name}/${d.version}`}
            empty="No Runner answered with its definitions."
            height="auto"
          />
          <section aria-label="Activation" className="text-sm">
            <h2 className="text-lg font-semibold">Activation</h2>
            <ul>
              {overview.data.activations.map((a) => (
                <li key={a.scope}>
                  <Link className="text-sky-800 underline dark:text-sky-300" to={configHref("runner.activation", "activation", a.scope)}>
                    {a.scope}
                  </Link>
                  : revision {a.revision ?? "none (nothing activated)"}
                </li>
              ))}
            </ul>
            <h3 className="mt-2 font-semibold">Runners</h3>
            <ul>
              {overview.data.runners.map((r) => (
                <li key={r.instance}>
                  {r.instance}: {r.reachable ? Object.entries(r.activation).map(([scope, rev]) => `${scope} at revision ${rev ?? "none"}`).join(", ") || "runs no activation yet" : "unreachable"}
                </li>
              ))}
            </ul>
          </section>
        </>
      ) : overview.isError ? (
        <ErrorState error={overview.error} onRetry={() => void overview.refetch()} title="The definitions could not be loaded" />
      ) : (
        <LoadingState label="Loading definitions…" />
      )}
      {selected ? <DocumentModal selected={selected} onClose={() => setSelected(null)} /> : null}
    </Page>
  );
}
