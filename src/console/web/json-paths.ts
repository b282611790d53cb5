/**
 * Where a validator's problem lies in the text of a document: the JSON path the policy validator reports
 * (`Statement[1].Condition.IpAddress.aws:SourceIp[0]`) resolved against the document's syntax tree (by
 * jsonc-parser), or the offset a syntax error names. Pure, for the console's editor.
 */
import { parseTree, type Node } from "jsonc-parser";

export interface Problem {
  readonly path: string;
  readonly message: string;
}

export interface Located extends Problem {
  /** The text range to highlight; the whole document's start when nothing nearer is found. */
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
}

/**
 * The node a path names, walking the tree itself: a property name may contain dots or colons
 * (`aws:SourceIp`, `s3:ExistingObjectTag/a.b`), so the longest name that the rest of the path begins with is
 * taken. Stops at the deepest node found.
 */
export function nodeAtPath(root: Node | undefined, path: string): Node | undefined {
  let node = root;
  let rest = path;
  while (node !== undefined && rest !== "") {
    const index = /^\[(\d+)\]/.exec(rest);
    if (index !== null) {
      const child = node.type === "array" ? node.children?.[Number(index[1])] : undefined;
      if (child === undefined) break;
      node = child;
      rest = rest.slice(index[0].length).replace(/^\./, "");
      continue;
    }
    if (node.type !== "object") break;
    let best: { name: string; value: Node } | undefined;
    for (const prop of node.children ?? []) {
      const [key, value] = prop.children ?? [];
      const name = typeof key?.value === "string" ? key.value : undefined;
      if (name === undefined || value === undefined) continue;
      const fits = rest === name || rest.startsWith(`${name}.`) || rest.startsWith(`${name}[`);
      if (fits && (best === undefined || name.length > best.name.length)) best = { name, value };
    }
    if (best === undefined) break;
    node = best.value;
    rest = rest.slice(best.name.length).replace(/^\./, "");
  }
  return node;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

/** Each problem with its place in `text`. */
export function locate(text: string, problems: readonly Problem[]): Located[] {
  const root = parseTree(text);
  return problems.map((p) => {
    let start = 0;
    let end = 0;
    const offset = /at offset (\d+)/.exec(p.message);
    if (offset !== null) {
      start = Math.min(Number(offset[1]), text.length);
      end = Math.min(start + 1, text.length);
    } else if (p.path !== "" && p.path !== "$") {
      const node = nodeAtPath(root, p.path);
      if (node !== undefined && node !== root) {
        start = node.offset;
        end = node.offset + node.length;
      }
    }
    return { ...p, start, end, ...lineColumn(text, start) };
  });
}

/**
 * The problems in a MalformedPolicyDocument message from the server (`path: message; path: message`, as
 * s3gate's IAM API and bucket policy writer word it).
 */
export function problemsFromMessage(message: string): Problem[] {
  return message
    .split("; ")
    .filter((part) => part !== "")
    .map((part) => {
      const m = /^((?:[A-Za-z][\w]*(?:\[\d+\])*)(?:\.[^\s]+?)*): (.*)$/s.exec(part);
      return m === null ? { path: "", message: part } : { path: m[1]!, message: m[2]! };
    });
}
