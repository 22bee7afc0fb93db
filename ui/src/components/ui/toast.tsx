import { useCallback, useMemo, useState, type ReactNode } from "react";
import { isApiError } from "@/api";
import { cn } from "@/lib";
import { ErrorIds } from "./states";
import { ToastContext, type ToastApi, type ToastInput } from "./toast-context";

type Tone = NonNullable<ToastInput["tone"]>;

interface ToastItem extends ToastInput {
  id: number;
}

const toneClass: Record<Tone, string> = {
  info: "border-sky-300 dark:border-sky-700",
  success: "border-emerald-400 dark:border-emerald-700",
  error: "border-red-400 dark:border-red-700",
};

let nextId = 1;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const dismiss = useCallback((id: number) => setItems((current) => current.filter((item) => item.id !== id)), []);

  const api = useMemo<ToastApi>(() => {
    const show = (toast: ToastInput) => {
      const id = nextId++;
      setItems((current) => [...current.slice(-4), { ...toast, id }]);
      // Errors stay until dismissed: their ids are what the operator needs to copy.
      if (toast.tone !== "error") setTimeout(() => dismiss(id), 6000);
    };
    return {
      show,
      error(error, title) {
        if (isApiError(error)) {
          show({
            tone: "error",
            title: title ?? error.title,
            detail: error.missingRight ? `Missing right ${error.missingRight}` : (error.detail ?? undefined),
            requestId: error.requestId,
            correlationId: error.correlationId,
          });
        } else {
          show({ tone: "error", title: title ?? "Something went wrong", detail: String(error) });
        }
      },
    };
  }, [dismiss]);

  return (
    <ToastContext.Provider value={api}>
      {children}
      <div
        aria-live="polite"
        aria-label="Notifications"
        role="region"
        className="pointer-events-none fixed right-4 bottom-4 z-50 flex w-96 max-w-[calc(100vw-2rem)] flex-col gap-2"
      >
        {items.map((item) => (
          <div
            key={item.id}
            role={item.tone === "error" ? "alert" : "status"}
            className={cn(
              "pointer-events-auto flex flex-col gap-2 rounded-lg border-l-4 bg-white p-3 text-sm shadow-lg dark:bg-zinc-900",
              toneClass[item.tone ?? "info"],
            )}
          >
            <div className="flex items-start justify-between gap-2">
              <p className="font-medium">{item.title}</p>
              <button
                type="button"
                className="rounded px-1 text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
                aria-label="Dismiss notification"
                onClick={() => dismiss(item.id)}
              >
                ×
              </button>
            </div>
            {item.detail ? <p className="text-zinc-700 dark:text-zinc-300">{item.detail}</p> : null}
            {item.requestId || item.correlationId ? (
              <ErrorIds requestId={item.requestId ?? null} correlationId={item.correlationId ?? null} />
            ) : null}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
