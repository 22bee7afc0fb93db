import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Page } from "@/components/layout";
import { Button, ErrorState, Input, LoadingState } from "@/components/ui";
import { RIGHTS, useUrlFilters } from "@/lib";
import { useRights } from "@/session";
import { filterSessions } from "@/features/iam/model";
import type { IamSession } from "@/features/iam/parse";
import { iamQueries, revokeSession } from "@/features/iam/queries";
import { useIamChange } from "@/features/iam/use-iam-change";
import { ChangeNoticeBanner } from "./change-notice";
import { ConfirmModal } from "./confirm-modal";
import { RevokeAllSessionsModal } from "./revoke-all-sessions";
import { SessionsTable } from "./sessions-table";

const FILTERS = ["user", "active", "soon"] as const;
export default function SessionsPage() {
  const sessions = useQuery(iamQueries.sessions());
  const rights = useRights();
  const change = useIamChange();
  const { values, setValues } = useUrlFilters(FILTERS);
  const [revoking, setRevoking] = useState<IamSession | null>(null);
  const [revokingAll, setRevokingAll] = useState(false);
  const blocked = rights.reasonIfMissing(RIGHTS.iamWrite);
  const shown = useMemo(() => filterSessions(sessions.data ?? [], values), [sessions.data, values]);
  const user = values.user;
  const activeOfUser = (sessions.data ?? []).filter((s) => s.principalId === user && s.status === "active").length;
  const close = () => {
    setRevoking(null);
    setRevokingAll(false);
    change.reset();
  };

  return (
    <Page title="Sessions">
      <ChangeNoticeBanner notice={change.notice} />
      <div className="flex flex-wrap items-end gap-4" role="group" aria-label="Filters">
        <Input label="User" placeholder="user id" value={values.user} onChange={(e) => setValues({ user: e.target.value.trim() })} />
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={Boolean(values.active)} onChange={(e) => setValues({ active: e.target.checked ? "1" : "" })} />
          Active only
        </label>
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={Boolean(values.soon)} onChange={(e) => setValues({ soon: e.target.checked ? "1" : "" })} />
          Expires within the hour
        </label>
        {user ? (
          <Button variant="danger" disabledReason={blocked ?? (activeOfUser ? null : `No active session of ${user}`)} onClick={() => setRevokingAll(true)}>
            Revoke all sessions of {user}
          </Button>
        ) : null}
      </div>
      {sessions.isPending ? <LoadingState label="Loading sessions…" /> : null}
      {sessions.isError ? <ErrorState error={sessions.error} onRetry={() => void sessions.refetch()} /> : null}
      {sessions.data ? (
        <SessionsTable id="sessions" sessions={shown} currentSessionId={rights.sessionId} blocked={blocked} onRevoke={setRevoking} />
      ) : null}
      <ConfirmModal
        open={revoking !== null}
        title="Revoke session"
        action="Revoke session"
        busy={change.pending}
        error={change.error}
        onClose={close}
        onConfirm={() =>
          revoking && change.run({ change: () => revokeSession(revoking.id), title: `Session ${revoking.id} revoked`, onDone: () => setRevoking(null) })
        }
      >
        <p>
          Session {revoking?.id} of {revoking?.principalId ?? "an unknown user"} will stop working at once.
        </p>
      </ConfirmModal>
      <RevokeAllSessionsModal
        open={revokingAll}
        user={user}
        active={activeOfUser}
        isSelf={user === rights.principalId}
        change={change}
        onClose={close}
        onDone={() => setRevokingAll(false)}
      />
    </Page>
  );
}
