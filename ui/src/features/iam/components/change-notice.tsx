import { Link } from "react-router";
import { auditHref } from "@/lib";
import type { ChangeNotice } from "@/features/iam/use-iam-change";

/** "Done", and the way to its audit events (every IAM change through the API is audited). */
export function ChangeNoticeBanner({ notice }: { notice: ChangeNotice | null }) {
  if (!notice) return null;
  return (
    <p role="status" className="rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm dark:border-emerald-800 dark:bg-emerald-950">
      {notice.title}. Recorded in the audit log:{" "}
      {notice.correlationId ? (
        <Link className="font-medium text-sky-700 underline dark:text-sky-400" to={auditHref({ correlation_id: notice.correlationId })}>
          view its audit events
        </Link>
      ) : (
        <Link className="font-medium text-sky-700 underline dark:text-sky-400" to={auditHref({})}>
          open the audit log
        </Link>
      )}
      .
    </p>
  );
}
