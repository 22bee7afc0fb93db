import type { DiffHunk } from "@/api";

export interface Row {
  oldNo: number | null;
  oldText: string | null;
  newNo: number | null;
  newText: string | null;
  kind: "equal" | "change";
}

/** A hunk's lines as side-by-side rows: runs of deletes and inserts are paired up. */
export function sideBySide(hunk: DiffHunk): Row[] {
  const rows: Row[] = [];
  let dels: DiffHunk["lines"] = [];
  let ins: DiffHunk["lines"] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, ins.length); i++) {
      const d = dels[i];
      const n = ins[i];
      rows.push({ oldNo: d?.old ?? null, oldText: d?.text ?? null, newNo: n?.new ?? null, newText: n?.text ?? null, kind: "change" });
    }
    dels = [];
    ins = [];
  };
  for (const line of hunk.lines) {
    if (line.op === "delete") dels.push(line);
    else if (line.op === "insert") ins.push(line);
    else {
      flush();
      rows.push({ oldNo: line.old ?? null, oldText: line.text, newNo: line.new ?? null, newText: line.text, kind: "equal" });
    }
  }
  flush();
  return rows;
}
