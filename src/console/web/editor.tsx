/**
 * The JSON editor: a textarea over a copy of its text in which each problem's range is marked, with the list
 * of problems (JSON path, line and column, message) whose buttons select the range. The problems come from
 * s3gate's own validator, run here as the user types, and from the server's answer on save.
 */
import { useMemo, useRef } from "preact/hooks";
import { locate, type Problem } from "./json-paths.js";

/** The document being edited and its problems (see `useDocument`). */
export interface EditedDocument {
  readonly document: string;
  setDocument(text: string): void;
  readonly problems: readonly Problem[];
  /** Where the problems came from, e.g. "s3gate's validator" or "the server". */
  readonly source: string;
}

export function JsonEditor({ label, doc }: { label: string; doc: EditedDocument }) {
  const props = {
    label,
    value: doc.document,
    onInput: doc.setDocument,
    problems: doc.problems,
    source: doc.source,
  };
  const area = useRef<HTMLTextAreaElement>(null);
  const backdrop = useRef<HTMLDivElement>(null);
  const located = useMemo(() => locate(props.value, props.problems), [props.value, props.problems]);
  const marks = useMemo(() => {
    const ranges = located.filter((p) => p.end > p.start).sort((a, b) => a.start - b.start);
    const parts: (string | { text: string })[] = [];
    let at = 0;
    for (const r of ranges) {
      if (r.start < at) continue;
      parts.push(props.value.slice(at, r.start), { text: props.value.slice(r.start, r.end) });
      at = r.end;
    }
    parts.push(props.value.slice(at) + "\n");
    return parts;
  }, [located, props.value]);
  const select = (start: number, end: number) => {
    const el = area.current;
    if (el === null) return;
    el.focus();
    el.setSelectionRange(start, Math.max(end, start + 1));
  };
  return (
    <div class="editor-wrap">
      <label for="policy-json">{props.label}</label>
      <div class="editor">
        <div class="backdrop" ref={backdrop} aria-hidden="true">
          {marks.map((m, i) => (typeof m === "string" ? m : <mark key={i}>{m.text}</mark>))}
        </div>
        <textarea
          id="policy-json"
          ref={area}
          spellcheck={false}
          value={props.value}
          aria-invalid={located.length > 0}
          aria-describedby="policy-problems"
          onInput={(e) => props.onInput(e.currentTarget.value)}
          onScroll={(e) => {
            if (backdrop.current !== null) {
              backdrop.current.scrollTop = e.currentTarget.scrollTop;
              backdrop.current.scrollLeft = e.currentTarget.scrollLeft;
            }
          }}
        />
      </div>
      <div id="policy-problems" aria-live="polite">
        {located.length === 0 ? (
          <p class="ok">No problems found by {props.source}.</p>
        ) : (
          <>
            <p class="error">
              {located.length} problem{located.length === 1 ? "" : "s"} found by {props.source}:
            </p>
            <ul class="problems">
              {located.map((p, i) => (
                <li key={i}>
                  <button type="button" class="link" onClick={() => select(p.start, p.end)}>
                    <code>{p.path === "" ? "$" : p.path}</code> (line {p.line}, column {p.column})
                  </button>
                  : {p.message}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}
