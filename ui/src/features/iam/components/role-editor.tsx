import { useState } from "react";
import type { RightInfo } from "@/api";
import { Button, ErrorState, Input, Modal } from "@/components/ui";
import { byArea } from "@/features/iam/model";

/** Create a role (name, description, rights) or edit one's rights, as a checklist by area. */
export function RoleEditor({
  open,
  role,
  catalog,
  busy,
  error,
  onSave,
  onClose,
}: {
  open: boolean;
  /** The role to edit; null to create one. */
  role: { name: string; rights: string[]; description?: string } | null;
  catalog: readonly RightInfo[];
  busy: boolean;
  error: unknown;
  onSave: (role: { name: string; rights: string[]; description: string }) => void;
  onClose: () => void;
}) {
  const [name, setName] = useState(role?.name ?? "");
  const [description, setDescription] = useState(role?.description ?? "");
  const [chosen, setChosen] = useState<Set<string>>(new Set(role?.rights ?? []));
  const unknown = [...chosen].filter((r) => !catalog.some((c) => c.right === r));
  const toggle = (right: string) =>
    setChosen((current) => {
      const next = new Set(current);
      if (next.has(right)) next.delete(right);
      else next.add(right);
      return next;
    });
  const title = role ? `Edit role ${role.name}` : "Create role";
  return (
    <Modal
      open={open}
      onClose={onClose}
      title={title}
      size="lg"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            disabled={busy || !name.trim()}
            onClick={() => onSave({ name: name.trim(), rights: [...chosen].sort(), description: description.trim() })}
          >
            {role ? "Save role" : "Create role"}
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-3">
        {role ? null : <Input label="Role name" hint="Lower case: a-z, 0-9, . _ -" value={name} data-autofocus onChange={(e) => setName(e.target.value)} />}
        <Input label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
        {byArea(catalog).map(([area, rights]) => (
          <fieldset key={area} className="flex flex-col gap-1">
            <legend className="text-xs font-semibold text-zinc-700 dark:text-zinc-300">{area}</legend>
            {rights.map((r) => (
              <label key={r.right} className="flex items-start gap-2 text-sm">
                <input type="checkbox" className="mt-1" checked={chosen.has(r.right)} onChange={() => toggle(r.right)} />
                <span>
                  <code className="font-mono text-xs">{r.right}</code>
                  <span className="block text-xs text-zinc-600 dark:text-zinc-400">{r.description}</span>
                </span>
              </label>
            ))}
          </fieldset>
        ))}
        {unknown.length ? (
          <p className="text-xs text-amber-800 dark:text-amber-300">
            Kept, though the control plane gives them no meaning: {unknown.join(", ")}
          </p>
        ) : null}
        {error ? <ErrorState error={error} title="The Gateway refused the role" /> : null}
      </div>
    </Modal>
  );
}
