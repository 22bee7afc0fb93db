import { useId, useState } from "react";
import { cn, currentTenant, useSetCurrentTenant, useStore } from "@/lib";
import { fieldClass } from "@/components/ui";

/**
 * The tenant that tenant-scoped calls act in (sent as `x-tenant-id`). There is no Tenants
 * API yet, so the id is typed rather than picked from a list.
 */
export function TenantSelector() {
  const tenant = useStore(currentTenant);
  const [draft, setDraft] = useState(tenant ?? "");
  const [editing, setEditing] = useState(false);
  const setTenant = useSetCurrentTenant();
  const inputId = useId();

  const apply = (value: string | null) => {
    setTenant(value);
    setEditing(false);
  };

  if (!editing) {
    return (
      <button
        type="button"
        className="inline-flex h-9 items-center gap-1 rounded-md border border-zinc-300 px-2 text-sm dark:border-zinc-600"
        onClick={() => {
          setDraft(tenant ?? "");
          setEditing(true);
        }}
        aria-label={`Tenant: ${tenant ?? "all tenants"}. Change tenant`}
      >
        <span className="text-zinc-600 dark:text-zinc-400">Tenant</span>
        <span className="max-w-32 truncate font-mono text-xs">{tenant ?? "all"}</span>
      </button>
    );
  }
  return (
    <form
      className="flex items-center gap-1"
      onSubmit={(event) => {
        event.preventDefault();
        apply(draft.trim() || null);
      }}
    >
      <label htmlFor={inputId} className="sr-only">
        Tenant id
      </label>
      <input
        id={inputId}
        autoFocus
        className={cn(fieldClass, "w-40 font-mono text-xs")}
        placeholder="tenant id (empty = all)"
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Escape") setEditing(false);
        }}
      />
      <button type="submit" className="h-9 rounded-md bg-sky-700 px-2 text-sm text-white">
        Set
      </button>
      {tenant ? (
        <button type="button" className="h-9 rounded-md px-2 text-sm" onClick={() => apply(null)}>
          Clear
        </button>
      ) : null}
    </form>
  );
}
