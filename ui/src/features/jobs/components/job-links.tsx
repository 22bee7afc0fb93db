import { Link } from "react-router";

export function JobLink({ id, children }: { id: string; children?: React.ReactNode }) {
  return (
    <Link className="font-mono text-xs text-sky-800 hover:underline dark:text-sky-300" to={`/jobs/${encodeURIComponent(id)}`}>
      {children ?? id}
    </Link>
  );
}
