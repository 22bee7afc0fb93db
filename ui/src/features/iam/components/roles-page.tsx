import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { Page } from "@/components/layout";
import { Button, EmptyState, ErrorState, LoadingState } from "@/components/ui";
import { RIGHTS, userHref } from "@/lib";
import { useRights } from "@/session";
import { holdersByRole, type IamRole } from "@/features/iam/parse";
import { createRole, deleteRole, iamQueries, putRole } from "@/features/iam/queries";
import { useIamChange } from "@/features/iam/use-iam-change";
import { ChangeNoticeBanner } from "./change-notice";
import { ConfirmModal } from "./confirm-modal";
import { byArea } from "@/features/iam/model";
import { RoleEditor } from "./role-editor";

export default function RolesPage() {
  const roles = useQuery(iamQueries.roles());
  const users = useQuery(iamQueries.users());
  const catalog = useQuery(iamQueries.rights());
  const rights = useRights();
  const change = useIamChange();
  const [editing, setEditing] = useState<IamRole | "new" | null>(null);
  const [deleting, setDeleting] = useState<IamRole | null>(null);
  const blocked = rights.reasonIfMissing(RIGHTS.iamWrite);
  const holders = holdersByRole(users.data ?? []);
  const describe = new Map((catalog.data ?? []).map((r) => [r.right, r.description]));
  const close = () => {
    setEditing(null);
    setDeleting(null);
    change.reset();
  };

  return (
    <Page
      title="Roles & Permissions"
      actions={
        <Button variant="primary" disabledReason={blocked} onClick={() => setEditing("new")}>
          Create role
        </Button>
      }
    >
      <ChangeNoticeBanner notice={change.notice} />
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Roles grant rights; a role is bound to a user platform-wide or on some tenants only (Users).
      </p>
      {roles.isPending ? <LoadingState label="Loading roles…" /> : null}
      {roles.isError ? <ErrorState error={roles.error} onRetry={() => void roles.refetch()} /> : null}
      {roles.data && roles.data.length === 0 ? <EmptyState title="The Gateway returned no roles." /> : null}
      {roles.data && roles.data.length > 0 ? (
        <ul className="grid gap-3 md:grid-cols-2" aria-label="Roles">
          {roles.data.map((role) => {
            const bound = holders.get(role.name) ?? [];
            return (
              <li key={role.name} className="flex flex-col gap-2 rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
                <div className="flex flex-wrap items-center justify-between gap-2">
                  <h2 className="font-mono text-sm font-semibold">{role.name}</h2>
                  <div className="flex gap-2">
                    <Button size="sm" disabledReason={blocked} onClick={() => setEditing(role)} aria-label={`Edit ${role.name}`}>
                      Edit
                    </Button>
                    <Button
                      size="sm"
                      variant="danger"
                      disabledReason={blocked ?? (bound.length ? `Still bound to ${bound.join(", ")}: unbind it first` : null)}
                      onClick={() => setDeleting(role)}
                      aria-label={`Delete ${role.name}`}
                    >
                      Delete
                    </Button>
                  </div>
                </div>
                {role.description ? <p className="text-sm">{role.description}</p> : null}
                <p className="text-xs text-zinc-600 dark:text-zinc-400">
                  {bound.length ? "Bound to: " : "Bound to nobody."}
                  {bound.map((id, i) => (
                    <span key={id}>
                      {i ? ", " : ""}
                      <Link className="font-mono text-sky-700 underline dark:text-sky-400" to={userHref(id)}>
                        {id}
                      </Link>
                    </span>
                  ))}
                </p>
                {role.rights.length === 0 ? (
                  <p className="text-xs text-zinc-600 dark:text-zinc-400">No rights.</p>
                ) : (
                  <ul className="flex flex-wrap gap-1" aria-label={`Rights of ${role.name}`}>
                    {role.rights.map((right) => (
                      <li key={right} title={describe.get(right)} className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800">
                        {right}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            );
          })}
        </ul>
      ) : null}
      <section aria-labelledby="catalog-heading" className="flex flex-col gap-2">
        <h2 id="catalog-heading" className="text-sm font-semibold">
          Rights catalog
        </h2>
        {catalog.isError ? <ErrorState error={catalog.error} /> : null}
        {byArea(catalog.data ?? []).map(([area, list]) => (
          <div key={area}>
            <h3 className="text-xs font-semibold text-zinc-700 dark:text-zinc-300">{area}</h3>
            <dl className="grid grid-cols-[16rem_1fr] gap-x-3 text-sm">
              {list.map((r) => (
                <div key={r.right} className="contents">
                  <dt className="font-mono text-xs">{r.right}</dt>
                  <dd>{r.description}</dd>
                </div>
              ))}
            </dl>
          </div>
        ))}
      </section>
      {editing !== null ? (
        <RoleEditor
          open
          role={editing === "new" ? null : editing}
          catalog={catalog.data ?? []}
          busy={change.pending}
          error={change.error}
          onClose={close}
          onSave={(role) =>
            change.run({
              change: () => (editing === "new" ? createRole(role) : putRole(role.name, role.rights, role.description)),
              title: editing === "new" ? `Role ${role.name} created` : `Role ${role.name} saved`,
              onDone: () => setEditing(null),
            })
          }
        />
      ) : null}
      <ConfirmModal
        open={deleting !== null}
        title="Delete role"
        action="Delete role"
        typed={deleting?.name}
        busy={change.pending}
        error={change.error}
        onClose={close}
        onConfirm={() =>
          deleting && change.run({ change: () => deleteRole(deleting.name), title: `Role ${deleting.name} deleted`, onDone: () => setDeleting(null) })
        }
      >
        <p>Role {deleting?.name} is bound to nobody; deleting it cannot be undone.</p>
      </ConfirmModal>
    </Page>
  );
}
