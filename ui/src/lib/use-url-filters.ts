import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

/**
 * Filter values kept in the URL search params, so a filtered view is a shareable link.
 * Changing a filter drops the pagination cursor.
 */
export function useUrlFilters<K extends string>(keys: readonly K[]) {
  const [params, setParams] = useSearchParams();
  const values = useMemo(
    () => Object.fromEntries(keys.map((key) => [key, params.get(key) ?? ""])) as Record<K, string>,
    [params, keys],
  );
  const setValues = useCallback(
    (next: Partial<Record<K | "cursor", string>>) => {
      setParams((current) => {
        const updated = new URLSearchParams(current);
        for (const [key, value] of Object.entries(next) as [string, string | undefined][]) {
          if (value) updated.set(key, value);
          else updated.delete(key);
        }
        if (!("cursor" in next)) updated.delete("cursor");
        return updated;
      });
    },
    [setParams],
  );
  return { values, setValues, cursor: params.get("cursor") ?? undefined };
}
