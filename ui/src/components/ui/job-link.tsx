import type { ReactNode } from "react";
import { Link } from "react-router";
import { jobHref } from "@/lib";

/** The one way to link a job: to its live progress page. */
export function JobLink({ id, children, className }: { id: string; children?: ReactNode; className?: string }) {
  return (
    <Link className={className ?? "font-mono text-xs text-sky-800 hover:underline dark:text-sky-300"} to={jobHref(id)}>
      {children ?? id}
    </Link>
  );
}
