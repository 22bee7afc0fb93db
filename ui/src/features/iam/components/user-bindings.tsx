import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Button, Input, Select } from "@/components/ui";
import { parseTenants } from "@/features/iam/model";
import { scopeLabel, type IamBinding, type IamUser } from "@/features/iam/parse";
import { bindRole, iamQueries, unbindRole } from "@/features/iam/queries";
import type { useIamChange } from "@/features/iam/use-iam-change";
import { ConfirmModal } from "./confirm-modal";

type Change = ReturnType<typeof useIamChange>;

/** A user's role bindings: bind a role platform-wide or on some tenants, unbind one. */
export function UserBindings({ user, blocked, change }: { user: IamUser; blocked: string | null; change: Change }) {
  const roles = useQuery(iamQueries.roles());
  const [role, setRole] = useState("");
  const [limited, setLimited] = useState(false);
  const [tenants, setTenants] = useState("");
  const [unbinding, setUnbinding] = useState<IamBinding | null>(null);
  const chosen = parseTenants(tenants);
  const canBind = Boolean(role) && (!limited || chosen.length > 0) && !change.pending;

  return (
    <section aria-labelledby="bindings-heading" className="flex flex-col gap-3">
      <h2 id="bindings-heading" className="text-sm font-semibold">
        Role bindings
      </h2>
      {user.bindings.length === 0 ? <p className="text-sm text-zinc-600 dark:text-zinc-400">No role: this user has no right.</p> : null}
      <ul className="flex flex-col gap-2" aria-label="Role bindings">
        {user.bindings.map((b) => (
          <li key={b.role} className="flex flex-wrap items-center gap-3 rounded-md border border-zinc-200 px-3 py-2 text-sm dark:border-zinc-800">
            <code className="font-mono font-semibold">{b.role}</code>
            <span>{scopeLabel(b)}</span>
            <Button size="sm" variant="danger" disabledReason={blocked} onClick={() => setUnbinding(b)} aria-label={`Unbind ${b.role}`}>
              Unbind
            </Button>
          </li>
        ))}
      </ul>
      <form
        className="flex flex-wrap items-end gap-3 rounded-md border border-dashed border-zinc-300 p-3 dark:border-zinc-700"
        aria-label="Bind a role"
        onSubmit={(event) => {
          event.preventDefault();
          if (!canBind || blocked) return;
          const scope = limited ? chosen : null;
          change.run({
            change: () => bindRole(user.id, role, scope),
            title: `Role ${role} bound to ${user.id} (${scopeLabel({ role, tenants: scope })})`,
            onDone: () => {
              setRole("");
              setTenants("");
              setLimited(false);
            },
          });
        }}
      >
        <Select
          label="Role"
          emptyLabel="Choose a role"
          value={role}
          options={(roles.data ?? []).map((r) => ({ value: r.name, label: r.name }))}
          onChange={(e) => setRole(e.target.value)}
        />
        <fieldset className="flex flex-col gap-1 text-sm">
          <legend className="text-xs font-medium text-zinc-700 dark:text-zinc-300">Scope</legend>
          <label className="flex items-center gap-1">
            <input type="radio" name="scope" checked={!limited} onChange={() => setLimited(false)} /> Platform-wide
          </label>
          <label className="flex items-center gap-1">
            <input type="radio" name="scope" checked={limited} onChange={() => setLimited(true)} /> Only these tenants
          </label>
        </fieldset>
        {limited ? (
          <Input label="Tenants" hint="Tenant ids, separated by commas or spaces" value={tenants} onChange={(e) => setTenants(e.target.value)} />
        ) : null}
        <Button type="submit" variant="primary" disabled={!canBind} disabledReason={blocked}>
          Bind role
        </Button>
      </form>
      <ConfirmModal
        open={unbinding !== null}
        title="Unbind role"
        action="Unbind role"
        typed={user.id}
        busy={change.pending}
        error={change.error}
        onClose={() => {
          setUnbinding(null);
          change.reset();
        }}
        onConfirm={() =>
          unbinding &&
          change.run({
            change: () => unbindRole(user.id, unbinding.role),
            title: `Role ${unbinding.role} unbound from ${user.id}`,
            onDone: () => setUnbinding(null),
          })
        }
      >
        <p>
          {user.id} loses the rights of <code className="font-mono">{unbinding?.role}</code> ({unbinding ? scopeLabel(unbinding) : ""}) on
          their next request.
        </p>
      </ConfirmModal>
    </section>
  );
}
