import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useNavigate } from "react-router";
import { Page } from "@/components/layout";
import { Button, ErrorState, Input, LoadingState, Modal, StatusBadge } from "@/components/ui";
import { RIGHTS, userHref, useUrlFilters } from "@/lib";
import { useRights } from "@/session";
import { scopeLabel, type IamUser } from "@/features/iam/parse";
import { createUser, iamQueries } from "@/features/iam/queries";
import { useIamChange } from "@/features/iam/use-iam-change";

const PAGE_SIZE = 25;
const FILTERS = ["q", "page"] as const;

function matches(user: IamUser, q: string): boolean {
  const needle = q.trim().toLowerCase();
  return !needle || user.id.includes(needle) || (user.name ?? "").toLowerCase().includes(needle);
}

function CreateUser({ open, onClose }: { open: boolean; onClose: () => void }) {
  const navigate = useNavigate();
  const change = useIamChange();
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const close = () => {
    setId("");
    setName("");
    setPassword("");
    change.reset();
    onClose();
  };
  const submit = () =>
    change.run({
      change: () => createUser({ id: id.trim(), name: name.trim(), ...(password ? { password } : {}) }),
      title: `User ${id.trim()} created`,
      onDone: (notice) => {
        const created = id.trim();
        close();
        // The new user's page says it was created and links the audit events.
        navigate(userHref(created), { state: { notice } });
      },
    });
  return (
    <Modal
      open={open}
      onClose={close}
      title="Create user"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="primary" disabled={change.pending || !id.trim() || !name.trim()} onClick={submit}>
            Create user
          </Button>
        </>
      }
    >
      <form
        className="flex flex-col gap-3"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <Input label="User id" hint="Lower case: a-z, 0-9, . _ - (the sign-in name)" value={id} data-autofocus onChange={(e) => setId(e.target.value)} />
        <Input label="Display name" value={name} onChange={(e) => setName(e.target.value)} />
        <Input
          label="Initial password (optional)"
          hint="10 characters or more; without one the user signs in by SSO or dev login only."
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {change.error ? <ErrorState error={change.error} title="The Gateway refused the new user" /> : null}
      </form>
    </Modal>
  );
}

export default function UsersPage() {
  const users = useQuery(iamQueries.users());
  const rights = useRights();
  const [creating, setCreating] = useState(false);
  const { values, setValues } = useUrlFilters(FILTERS);
  const page = Math.max(0, Number.parseInt(values.page || "0", 10) || 0);
  const found = useMemo(() => (users.data ?? []).filter((u) => matches(u, values.q)), [users.data, values.q]);
  const shown = found.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  const lastPage = Math.max(0, Math.ceil(found.length / PAGE_SIZE) - 1);

  return (
    <Page
      title="Users"
      actions={
        <Button variant="primary" disabledReason={rights.reasonIfMissing(RIGHTS.iamWrite)} onClick={() => setCreating(true)}>
          Create user
        </Button>
      }
    >
      <p className="text-sm text-zinc-600 dark:text-zinc-400">The Gateway's users, their role bindings and whether they may sign in.</p>
      <div className="flex max-w-sm">
        <Input label="Search users" placeholder="id or name" value={values.q} onChange={(e) => setValues({ q: e.target.value, page: "" })} />
      </div>
      {users.isPending ? <LoadingState label="Loading users…" /> : null}
      {users.isError ? <ErrorState error={users.error} onRetry={() => void users.refetch()} /> : null}
      {users.data ? (
        <>
          <table className="w-full text-left text-sm" aria-label="Users">
            <thead className="text-xs text-zinc-600 dark:text-zinc-400">
              <tr>
                <th className="py-2">User</th>
                <th>Name</th>
                <th>Roles</th>
                <th>Status</th>
                <th>Password</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((user) => (
                <tr key={user.id} className="border-t border-zinc-200 dark:border-zinc-800">
                  <td className="py-2">
                    <Link className="font-mono text-sky-700 underline dark:text-sky-400" to={userHref(user.id)}>
                      {user.id}
                    </Link>
                  </td>
                  <td>{user.name ?? "—"}</td>
                  <td>{user.bindings.length ? user.bindings.map((b) => `${b.role} (${scopeLabel(b)})`).join("; ") : "—"}</td>
                  <td>
                    <StatusBadge status={user.disabled ? "disabled" : "active"} />
                  </td>
                  <td>{user.hasPassword ? "set" : "none"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 ? <p className="text-sm text-zinc-600 dark:text-zinc-400">No user matches.</p> : null}
          <nav aria-label="Pagination" className="flex items-center gap-2 text-sm">
            <Button size="sm" disabled={page === 0} onClick={() => setValues({ page: String(page - 1) })}>
              Previous
            </Button>
            <span>
              Page {Math.min(page, lastPage) + 1} of {lastPage + 1} · {found.length} users
            </span>
            <Button size="sm" disabled={page >= lastPage} onClick={() => setValues({ page: String(page + 1) })}>
              Next
            </Button>
          </nav>
        </>
      ) : null}
      <CreateUser open={creating} onClose={() => setCreating(false)} />
    </Page>
  );
}
