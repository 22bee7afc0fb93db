import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { cn, currentTenant, useSetCurrentTenant, useStore } from "@/lib";
import { fieldClass } from "@/components/ui";
import { tenantQueries } from "@/features/tenants/queries";

const SUGGESTIONS = 8;
const DEBOUNCE_MS = 200;

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setDebounced(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

/**
 * The header's tenant picker: a typeahead (ARIA combobox) over `GET /admin/v1/tenants?q=`
 * (substring match). The chosen tenant is kept in `?tenant=` and scopes the Overview, Jobs and
 * Audit, and tenant-scoped calls (`x-tenant-id`). Enter on text that no suggestion matches still
 * sets it: a tenant no placement map names runs on the default shards and is a tenant all the same.
 */
export default function TenantPicker() {
  const tenant = useStore(currentTenant);
  const setTenant = useSetCurrentTenant();
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const query = useDebounced(text.trim(), DEBOUNCE_MS);
  const suggestions = useQuery({
    ...tenantQueries.list({ q: query || undefined, match: "substring", limit: SUGGESTIONS }),
    enabled: open,
    refetchInterval: false,
  });
  const options = open ? (suggestions.data?.items.map((item) => item.tenant_id) ?? []) : [];
  const expanded = open && options.length > 0;

  const choose = (value: string | null) => {
    setTenant(value);
    setText("");
    setOpen(false);
    setActive(-1);
    input.current?.blur();
  };

  return (
    <div className="relative flex items-center" data-testid="tenant-picker">
      <input
        ref={input}
        role="combobox"
        aria-label="Current tenant (empty: all tenants)"
        aria-expanded={expanded}
        aria-controls={expanded ? listId : undefined}
        aria-autocomplete="list"
        aria-activedescendant={active >= 0 && options[active] ? `${listId}-${active}` : undefined}
        className={cn(fieldClass, "w-44 pr-7 font-mono text-xs")}
        placeholder={tenant ? undefined : "All tenants"}
        value={open ? text : (tenant ?? "")}
        onFocus={() => {
          setText("");
          setOpen(true);
        }}
        onBlur={() => {
          setOpen(false);
          setActive(-1);
        }}
        onChange={(event) => {
          setText(event.target.value);
          setActive(-1);
          setOpen(true);
        }}
        onKeyDown={(event) => {
          if (event.key === "ArrowDown" || event.key === "ArrowUp") {
            event.preventDefault();
            if (options.length === 0) return;
            const step = event.key === "ArrowDown" ? 1 : -1;
            setActive((current) => (current + step + options.length) % options.length);
          } else if (event.key === "Enter") {
            event.preventDefault();
            const picked = active >= 0 ? options[active] : text.trim();
            if (picked) choose(picked);
            else if (text.trim() === "" && open) choose(null);
          } else if (event.key === "Escape") {
            setOpen(false);
            setActive(-1);
            input.current?.blur();
          }
        }}
      />
      {tenant && !open ? (
        <button
          type="button"
          className="absolute right-1 rounded px-1 text-sm text-zinc-600 hover:text-zinc-950 dark:text-zinc-400 dark:hover:text-white"
          aria-label={`Clear tenant ${tenant} (show all tenants)`}
          title="Show all tenants"
          onClick={() => choose(null)}
        >
          ×
        </button>
      ) : null}
      {open ? (
        <div className="absolute top-full right-0 z-40 mt-1 w-64 rounded-md border border-zinc-200 bg-white py-1 text-sm shadow-lg dark:border-zinc-700 dark:bg-zinc-900">
          {tenant ? (
            <p className="px-3 py-1 text-xs text-zinc-600 dark:text-zinc-400">
              Now <span className="font-mono">{tenant}</span>; Enter on empty text shows all tenants.
            </p>
          ) : null}
          {expanded ? (
            <ul id={listId} role="listbox" aria-label="Tenants" className="max-h-72 overflow-auto">
              {options.map((id, index) => (
                <li
                  key={id}
                  id={`${listId}-${index}`}
                  role="option"
                  aria-selected={index === active}
                  className={cn(
                    "cursor-pointer truncate px-3 py-1.5 font-mono text-xs",
                    index === active ? "bg-sky-100 text-sky-950 dark:bg-sky-900 dark:text-sky-50" : "hover:bg-zinc-100 dark:hover:bg-zinc-800",
                  )}
                  title={id}
                  // mousedown, not click: the input's blur would close the list first.
                  onMouseDown={(event) => {
                    event.preventDefault();
                    choose(id);
                  }}
                >
                  {id}
                </li>
              ))}
            </ul>
          ) : (
            <p role="status" className="px-3 py-1.5 text-xs text-zinc-600 dark:text-zinc-400">
              {suggestions.isError
                ? "Tenant search failed; Enter uses the text as typed."
                : suggestions.data === undefined || suggestions.isFetching
                  ? "Searching…"
                  : text.trim()
                    ? "No placement map names such a tenant; Enter uses it as typed."
                    : "No tenants."}
            </p>
          )}
        </div>
      ) : null}
    </div>
  );
}
