import { revokeUserSessions } from "@/features/iam/queries";
import type { useIamChange } from "@/features/iam/use-iam-change";
import { ConfirmModal } from "./confirm-modal";

/** "Revoke all sessions" of one user, the user id typed to confirm (Sessions and User pages). */
export function RevokeAllSessionsModal({
  open,
  user,
  active,
  isSelf,
  change,
  onClose,
  onDone,
}: {
  open: boolean;
  user: string;
  /** How many of the user's sessions are active. */
  active: number;
  /** The user is the one signed in here. */
  isSelf: boolean;
  change: ReturnType<typeof useIamChange>;
  onClose: () => void;
  onDone: () => void;
}) {
  return (
    <ConfirmModal
      open={open}
      title="Revoke all sessions"
      action="Revoke all sessions"
      typed={user}
      busy={change.pending}
      error={change.error}
      onClose={onClose}
      onConfirm={() => change.run({ change: () => revokeUserSessions(user), title: `Every session of ${user} revoked`, onDone })}
    >
      <p>
        {active} active session(s) of {user} stop working at once.
        {isSelf ? " This includes the session you are using: you will be signed out." : ""}
      </p>
    </ConfirmModal>
  );
}
