import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation, useParams } from "react-router";
import { Page } from "@/components/layout";
import { Button, ErrorState, Input, LoadingState, Modal, StatusBadge } from "@/components/ui";
import { RIGHTS } from "@/lib";
import { useRights } from "@/session";
import type { IamSession } from "@/features/iam/parse";
import { iamQueries, renameUser, revokeSession, setDisabled, setPassword } from "@/features/iam/queries";
import { useIamChange, type ChangeNotice } from "@/features/iam/use-iam-change";
import { ChangeNoticeBanner } from "./change-notice";
import { ConfirmModal } from "./confirm-modal";
import { RevokeAllSessionsModal } from "./revoke-all-sessions";
import { SessionsTable } from "./sessions-table";
import { UserBindings } from "./user-bindings";

const SELF = "You cannot change your own access (ask another administrator)";

type Dialog = "disable" | "enable" | "revoke-all" | "password" | "rename" | null;

export default function UserDetailPage() {
  const { userId = "" } = useParams();
  const location = useLocation();
  const initial = (location.state as { notice?: ChangeNotice } | null)?.notice ?? null;
  const rights = useRights();
  const user = useQuery(iamQueries.user(userId));
  const sessions = useQuery(iamQueries.sessions(userId));
  const change = useIamChange(initial);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [revoking, setRevoking] = useState<IamSession | null>(null);
  const [password, setNewPassword] = useState("");
  const [name, setName] = useState("");
  const writeBlocked = rights.reasonIfMissing(RIGHTS.iamWrite);
  const isSelf = rights.principalId === userId;
  const accessBlocked = writeBlocked ?? (isSelf ? SELF : null);
  const close = () => {
    setDialog(null);
    setRevoking(null);
    setNewPassword("");
    setName("");
    change.reset();
  };
  const active = (sessions.data ?? []).filter((s) => s.status === "active");
  const u = user.data;

  return (
    <Page
      title="User"
      crumbs={[
        { label: "Control", to: "/" },
        { label: "Users", to: "/users" },
        { label: userId },
      ]}
      actions={
        u ? (
          <>
            <Button
              disabledReason={writeBlocked}
              onClick={() => {
                setName(u.name ?? "");
                setDialog("rename");
              }}
            >
              Rename
            </Button>
            <Button disabledReason={writeBlocked} onClick={() => setDialog("password")}>
              Set password
            </Button>
            {u.disabled ? (
              <Button disabledReason={accessBlocked} onClick={() => setDialog("enable")}>
                Enable user
              </Button>
            ) : (
              <Button variant="danger" disabledReason={accessBlocked} onClick={() => setDialog("disable")}>
                Disable user
              </Button>
            )}
          </>
        ) : null
      }
    >
      <ChangeNoticeBanner notice={change.notice} />
      {change.error && dialog === null && revoking === null ? <ErrorState error={change.error} title="The Gateway refused the change" /> : null}
      {user.isPending ? <LoadingState label="Loading the user…" /> : null}
      {user.isError ? <ErrorState error={user.error} onRetry={() => void user.refetch()} /> : null}
      {u ? (
        <>
          <dl className="grid max-w-xl grid-cols-[10rem_1fr] gap-y-1 text-sm">
            <dt className="text-zinc-600 dark:text-zinc-400">User id</dt>
            <dd className="font-mono">{u.id}</dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Name</dt>
            <dd>{u.name ?? "—"}</dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Status</dt>
            <dd>
              <StatusBadge status={u.disabled ? "disabled" : "active"} />
            </dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Password</dt>
            <dd>{u.hasPassword ? "set" : "none (SSO or dev login only)"}</dd>
          </dl>
          <UserBindings user={u} blocked={accessBlocked} change={change} />
        </>
      ) : null}
      <section aria-labelledby="user-sessions" className="flex flex-col gap-2">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 id="user-sessions" className="text-sm font-semibold">
            Sessions
          </h2>
          <Button size="sm" variant="danger" disabledReason={writeBlocked ?? (active.length ? null : "No active session")} onClick={() => setDialog("revoke-all")}>
            Revoke all sessions
          </Button>
        </div>
        {sessions.isError ? <ErrorState error={sessions.error} /> : null}
        {sessions.data ? (
          <SessionsTable id="user-sessions" sessions={sessions.data} currentSessionId={rights.sessionId} blocked={writeBlocked} onRevoke={setRevoking} />
        ) : null}
      </section>

      <ConfirmModal
        open={dialog === "disable" || dialog === "enable"}
        title={dialog === "disable" ? "Disable user" : "Enable user"}
        action={dialog === "disable" ? "Disable user" : "Enable user"}
        typed={dialog === "disable" ? userId : undefined}
        busy={change.pending}
        error={change.error}
        onClose={close}
        onConfirm={() =>
          change.run({
            change: () => setDisabled(userId, dialog === "disable"),
            title: dialog === "disable" ? `User ${userId} disabled; every session revoked` : `User ${userId} enabled`,
            onDone: () => setDialog(null),
          })
        }
      >
        <p>
          {dialog === "disable"
            ? `${userId} can no longer sign in, and every session of theirs is revoked: their next request is refused.`
            : `${userId} may sign in again (revoked sessions stay revoked).`}
        </p>
      </ConfirmModal>
      <RevokeAllSessionsModal
        open={dialog === "revoke-all"}
        user={userId}
        active={active.length}
        isSelf={isSelf}
        change={change}
        onClose={close}
        onDone={() => setDialog(null)}
      />
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
        <p>Session {revoking?.id} of {userId} will stop working at once.</p>
      </ConfirmModal>
      <Modal
        open={dialog === "rename"}
        onClose={close}
        title="Rename user"
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button
              variant="primary"
              disabled={change.pending || !name.trim()}
              onClick={() => change.run({ change: () => renameUser(userId, name.trim()), title: `${userId} renamed to ${name.trim()}`, onDone: close })}
            >
              Save name
            </Button>
          </>
        }
      >
        <div className="flex flex-col gap-3">
          <Input label="Display name" value={name} data-autofocus onChange={(e) => setName(e.target.value)} />
          {change.error ? <ErrorState error={change.error} title="The Gateway refused the name" /> : null}
        </div>
      </Modal>
      <Modal
        open={dialog === "password"}
        onClose={close}
        title="Set password"
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button
              variant="primary"
              disabled={change.pending || password.length === 0}
              onClick={() => change.run({ change: () => setPassword(userId, password), title: `Password of ${userId} set`, onDone: close })}
            >
              Set password
            </Button>
          </>
        }
      >
        <div className="flex flex-col gap-3">
          <Input
            label="New password"
            hint="10 characters or more. Existing sessions keep working."
            type="password"
            autoComplete="new-password"
            value={password}
            data-autofocus
            onChange={(e) => setNewPassword(e.target.value)}
          />
          {change.error ? <ErrorState error={change.error} title="The Gateway refused the password" /> : null}
        </div>
      </Modal>
    </Page>
  );
}
