import { useEffect, useId, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { normaliseSearchId, cn, investigateHref, isTypingTarget } from "@/lib";
import { fieldClass } from "@/components/ui";

/** Paste a request id, correlation id or trace id to see everything that carries it. `/` focuses it. */
export function GlobalSearch() {
  const [text, setText] = useState("");
  const [invalid, setInvalid] = useState(false);
  const navigate = useNavigate();
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      if (isTypingTarget(event.target)) return;
      event.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  return (
    <form
      role="search"
      className="relative flex-1"
      onSubmit={(event) => {
        event.preventDefault();
        const id = normaliseSearchId(text);
        setInvalid(id === null);
        if (id) navigate(investigateHref(id));
      }}
    >
      <label htmlFor={inputId} className="sr-only">
        Investigate an id (request id, correlation id or trace id)
      </label>
      <input
        ref={input}
        id={inputId}
        type="search"
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setInvalid(false);
        }}
        placeholder="Request id, correlation id or trace id…  ( / )"
        aria-keyshortcuts="/"
        aria-invalid={invalid || undefined}
        className={cn(fieldClass, "max-w-md font-mono text-xs")}
      />
      {invalid ? (
        <p role="alert" className="absolute mt-1 text-xs text-red-700 dark:text-red-400">
          That does not look like an id.
        </p>
      ) : null}
    </form>
  );
}
