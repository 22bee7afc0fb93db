import { useState } from "react";
import { copyText, cn } from "@/lib";

export function CopyButton({ value, label, className }: { value: string; label: string; className?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className={cn(
        "rounded px-1.5 py-0.5 text-xs font-medium text-sky-800 hover:bg-sky-100 dark:text-sky-300 dark:hover:bg-sky-900",
        className,
      )}
      aria-label={`Copy ${label}`}
      onClick={async () => {
        const ok = await copyText(value);
        setCopied(ok);
        if (ok) setTimeout(() => setCopied(false), 1500);
      }}
    >
      <span aria-live="polite">{copied ? "Copied" : "Copy"}</span>
    </button>
  );
}
