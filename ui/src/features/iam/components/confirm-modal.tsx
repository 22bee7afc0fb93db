import { useState, type ReactNode } from "react";
import { Button, ErrorState, Input, Modal } from "@/components/ui";

/**
 * A confirmation for a dangerous change. With `typed`, the action stays disabled until that
 * exact text (the user id, the role name) is typed.
 */
export function ConfirmModal({
  open,
  title,
  children,
  action,
  typed,
  busy,
  error,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  action: string;
  typed?: string;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const [text, setText] = useState("");
  const close = () => {
    setText("");
    onClose();
  };
  const matches = typed === undefined || text === typed;
  return (
    <Modal
      open={open}
      onClose={close}
      title={title}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="danger" disabled={busy || !matches} onClick={onConfirm}>
            {action}
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-3 text-sm">
        {children}
        {typed !== undefined ? (
          <Input
            label={`Type ${typed} to confirm`}
            autoComplete="off"
            value={text}
            data-autofocus
            onChange={(event) => setText(event.target.value)}
          />
        ) : null}
        {error ? <ErrorState error={error} title="The Gateway refused the change" /> : null}
      </div>
    </Modal>
  );
}
