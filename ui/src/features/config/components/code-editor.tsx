// The config editor: CodeMirror 6, loaded only when a config page opens an editor (this module
// is imported lazily, so none of it is in the first load). JSON with completion from the
// domain's JSON Schema; YAML where the domain allows it; the server's findings as markers.
import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { yaml } from "@codemirror/lang-yaml";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting, syntaxTree } from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { EditorState, type Extension } from "@codemirror/state";
import { EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { useEffect, useRef } from "react";
import type { ConfigFinding } from "@/api";

type Schema = Record<string, unknown>;
type SyntaxNode = ReturnType<ReturnType<typeof syntaxTree>["resolveInner"]>;

export interface CodeEditorProps {
  value: string;
  onChange?: (value: string) => void;
  language: "json" | "yaml";
  readOnly?: boolean;
  schema?: Schema | null;
  findings?: readonly ConfigFinding[];
  label: string;
}

const VALUE_NODES = new Set(["Object", "Array", "String", "Number", "True", "False", "Null"]);

function unquote(state: EditorState, node: SyntaxNode): string {
  const text = state.sliceDoc(node.from, node.to);
  try {
    return JSON.parse(text) as string;
  } catch {
    return text.replace(/^"|"$/g, "");
  }
}

function valueChildren(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child: SyntaxNode | null = node.firstChild; child; child = child.nextSibling) if (VALUE_NODES.has(child.name)) out.push(child);
  return out;
}

/** The range of the JSON value a pointer names (as far as it exists), for a marker. */
function pointerRange(state: EditorState, pointer: string): { from: number; to: number } {
  const top = syntaxTree(state).topNode;
  let node: SyntaxNode | null = valueChildren(top)[0] ?? null;
  if (!node || !pointer) return { from: 0, to: Math.min(state.doc.length, node ? node.to : 0) };
  const tokens = pointer.split("/").slice(1).map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  let found: { from: number; to: number } = { from: node.from, to: node.from + 1 };
  for (const token of tokens) {
    let next: SyntaxNode | null = null;
    if (node.name === "Object") {
      for (let prop: SyntaxNode | null = node.firstChild; prop; prop = prop.nextSibling) {
        if (prop.name !== "Property") continue;
        const name = prop.getChild("PropertyName");
        if (name && unquote(state, name) === token) {
          found = { from: name.from, to: name.to };
          next = valueChildren(prop)[0] ?? null;
        }
      }
    } else if (node.name === "Array") {
      next = valueChildren(node)[Number(token)] ?? null;
    }
    if (!next) return found;
    node = next;
    found = { from: node.from, to: Math.min(node.to, node.from + 200) };
  }
  return found;
}

function resolveSchema(root: Schema, schema: Schema | undefined, path: readonly (string | number)[]): Schema | undefined {
  let current = schema;
  const deref = (s: Schema | undefined): Schema | undefined => {
    let seen = 0;
    while (s && typeof s.$ref === "string" && seen++ < 20) {
      const name = s.$ref.replace(/^#\/\$defs\//, "");
      s = (root.$defs as Record<string, Schema> | undefined)?.[name];
    }
    const options = (s?.anyOf ?? s?.oneOf) as Schema[] | undefined;
    if (options) return deref(options.find((o) => o.type !== "null") ?? options[0]);
    return s;
  };
  current = deref(current);
  for (const step of path) {
    if (!current) return undefined;
    if (typeof step === "number") current = deref(current.items as Schema | undefined);
    else current = deref((current.properties as Record<string, Schema> | undefined)?.[step] ?? (current.additionalProperties as Schema | undefined));
  }
  return current;
}

/** Where in the document a node is: object keys and array indices from the top. */
function pathOf(state: EditorState, node: SyntaxNode | null): (string | number)[] {
  const path: (string | number)[] = [];
  for (let n: SyntaxNode | null = node; n; n = n.parent) {
    const parent = n.parent;
    if (n.name === "Property") {
      const name = n.getChild("PropertyName");
      if (name) path.unshift(unquote(state, name));
    } else if (parent?.name === "Array" && VALUE_NODES.has(n.name)) {
      path.unshift(valueChildren(parent).findIndex((c) => c.from === n.from));
    }
  }
  return path;
}

function schemaCompletion(root: Schema) {
  return (context: CompletionContext): CompletionResult | null => {
    const word = context.matchBefore(/"?[\w.-]*/);
    const node = syntaxTree(context.state).resolveInner(context.pos, -1);
    let object: SyntaxNode | null = node;
    while (object && object.name !== "Object") {
      if (object.name === "Property" && node.name !== "PropertyName" && !(node.name === "Object" || node.name === "{")) {
        // A value position: offer the enum values of that property's schema.
        const schema = resolveSchema(root, root, pathOf(context.state, object));
        const values = (schema?.enum as unknown[] | undefined) ?? (schema?.const !== undefined ? [schema.const] : undefined);
        if (!values || !word) return null;
        return { from: word.from, options: values.map((v) => ({ label: JSON.stringify(v), type: "enum" })) };
      }
      object = object.parent;
    }
    if (!object || !word || (word.from === word.to && !context.explicit)) return null;
    const schema = resolveSchema(root, root, pathOf(context.state, object));
    const props = schema?.properties as Record<string, Schema> | undefined;
    if (!props) return null;
    return {
      from: word.from,
      options: Object.entries(props).map(([name, p]) => ({
        label: `"${name}"`,
        apply: `"${name}": `,
        type: "property",
        detail: typeof p.type === "string" ? p.type : undefined,
        info: typeof p.description === "string" ? p.description : undefined,
      })),
    };
  };
}

export default function CodeEditor({ value, onChange, language, readOnly = false, schema, findings, label }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  }, [onChange]);

  useEffect(() => {
    if (!host.current) return;
    const extensions: Extension[] = [
      lineNumbers(),
      history(),
      highlightActiveLine(),
      bracketMatching(),
      syntaxHighlighting(defaultHighlightStyle),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      language === "json" ? json() : yaml(),
      lintGutter(),
      EditorState.readOnly.of(readOnly),
      EditorView.editable.of(!readOnly),
      EditorView.contentAttributes.of({ "aria-label": label }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChangeRef.current?.(update.state.doc.toString());
      }),
      EditorView.theme({ "&": { fontSize: "12px", maxHeight: "60vh" }, ".cm-scroller": { overflow: "auto" } }),
    ];
    if (language === "json" && schema) extensions.push(autocompletion({ override: [schemaCompletion(schema)] }));
    const created = new EditorView({ parent: host.current, state: EditorState.create({ doc: value, extensions }) });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
    // The editor is created once per language/schema/mode; the text follows below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [language, readOnly, schema, label]);

  useEffect(() => {
    const current = view.current;
    if (current && current.state.doc.toString() !== value) {
      current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    const current = view.current;
    if (!current) return;
    const diagnostics: Diagnostic[] = (findings ?? []).map((f) => {
      const range = language === "json" ? pointerRange(current.state, f.pointer) : { from: 0, to: 0 };
      return { ...range, severity: f.severity === "warning" ? "warning" : "error", message: `${f.code}: ${f.message}`, source: f.pointer || "/" };
    });
    current.dispatch(setDiagnostics(current.state, diagnostics));
  }, [findings, language, value]);

  return <div ref={host} className="overflow-hidden rounded border border-zinc-300 dark:border-zinc-700" data-testid="config-editor" />;
}
