import { useId, type ReactNode, type SelectHTMLAttributes } from "react";
import { cn } from "@/lib";
import { fieldClass } from "./input";

export interface SelectOption {
  value: string;
  label: string;
}

export interface SelectProps extends Omit<SelectHTMLAttributes<HTMLSelectElement>, "children"> {
  label: ReactNode;
  options: readonly SelectOption[];
  /** Label of the empty choice ("any"); omit to require a value. */
  emptyLabel?: string;
}

export function Select({ label, options, emptyLabel, className, id, ...rest }: SelectProps) {
  const generated = useId();
  const selectId = id ?? generated;
  return (
    <div className={cn("flex flex-col gap-1", className)}>
      <label htmlFor={selectId} className="text-xs font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      <select id={selectId} className={cn(fieldClass, "pr-8")} {...rest}>
        {emptyLabel !== undefined ? <option value="">{emptyLabel}</option> : null}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}
