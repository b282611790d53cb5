/**
 * `helm template` for the subset of Go templates and Sprig that deploy/helm/s3gate uses, so that the chart's
 * output is checked where no helm binary can be installed (Debian has no helm package). Anything outside the
 * subset is an error, never silently ignored: a template that uses more must extend this renderer (and its tests)
 * first. Where `helm` is installed, test/deploy/manifests.test.ts also compares this output with the real one.
 *
 * Supported: text/template actions with `{{-`/`-}}` trimming, comments, pipelines, parentheses, variables
 * (`$`, `$x := …`, `range $k, $v := …`), `if`/`else if`/`else`, `range`, `with`, `define`, `include`,
 * `.Files.Get`, `.Capabilities.APIVersions.Has` (the API versions given, as `helm template --api-versions`
 * gives them), and the functions in FUNCS (`fail` stops the rendering with its message, as helm does).
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";

type Value = unknown;
export type Node =
  | { k: "text"; s: string }
  | { k: "out"; expr: string }
  | { k: "if"; branches: { cond: string | undefined; body: Node[] }[] }
  | { k: "range"; expr: string; keyVar?: string; valVar?: string; body: Node[]; else: Node[] }
  | { k: "with"; expr: string; body: Node[]; else: Node[] }
  | { k: "define"; name: string; body: Node[] };

interface Scope {
  readonly dot: Value;
  readonly root: Value;
  readonly vars: Map<string, Value>;
}

/** Splits a template into text and actions, applying the trim markers. */
function lex(src: string, file: string): { text?: string; action?: string }[] {
  const out: { text?: string; action?: string }[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src.startsWith("- ", start) || src.startsWith("-\n", start)) {
      text = text.replace(/\s+$/, "");
      start += 1;
    }
    out.push({ text });
    const close = src.indexOf("}}", start);
    if (close < 0) throw new Error(`${file}: unclosed action`);
    let body = src.slice(start, close);
    i = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      while (i < src.length && /\s/.test(src[i]!)) i++;
    }
    body = body.trim();
    if (!(body.startsWith("/*") && body.endsWith("*/"))) out.push({ action: body });
  }
  return out;
}

/** Builds the control-structure tree. */
function parseTemplate(src: string, file: string): Node[] {
  const tokens = lex(src, file);
  let p = 0;
  const block = (stops: string[]): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (p < tokens.length) {
      const t = tokens[p++]!;
      if (t.text !== undefined) {
        if (t.text !== "") nodes.push({ k: "text", s: t.text });
        continue;
      }
      const a = t.action!;
      const word = /^(\w+)\b\s*(.*)$/s.exec(a);
      const kw = word?.[1];
      if (kw !== undefined && stops.includes(kw)) return { nodes, stop: a };
      if (kw === "if") {
        const branches: { cond: string | undefined; body: Node[] }[] = [];
        let cond: string | undefined = word![2]!;
        for (;;) {
          const b = block(["else", "end"]);
          branches.push({ cond, body: b.nodes });
          if (b.stop === "end") break;
          const elseIf = /^else\s+if\s+(.*)$/s.exec(b.stop);
          cond = elseIf === null ? undefined : elseIf[1]!;
          if (elseIf === null) {
            const last = block(["end"]);
            branches.push({ cond: undefined, body: last.nodes });
            break;
          }
        }
        nodes.push({ k: "if", branches });
      } else if (kw === "range" || kw === "with") {
        const b = block(["else", "end"]);
        const other = b.stop === "end" ? [] : block(["end"]).nodes;
        if (kw === "with") nodes.push({ k: "with", expr: word![2]!, body: b.nodes, else: other });
        else {
          const m = /^(?:(\$\w+)\s*(?:,\s*(\$\w+))?\s*:=\s*)?(.*)$/s.exec(word![2]!)!;
          const [keyVar, valVar] = m[2] === undefined ? [undefined, m[1]] : [m[1], m[2]];
          nodes.push({ k: "range", expr: m[3]!, keyVar, valVar, body: b.nodes, else: other });
        }
      } else if (kw === "define") {
        const name = JSON.parse(word![2]!) as string;
        nodes.push({ k: "define", name, body: block(["end"]).nodes });
      } else if (kw === "else" || kw === "end" || kw === "template" || kw === "block") {
        throw new Error(`${file}: unexpected or unsupported {{ ${a} }}`);
      } else {
        nodes.push({ k: "out", expr: a });
      }
    }
    if (stops.length > 0) throw new Error(`${file}: missing {{ end }}`);
    return { nodes, stop: "" };
  };
  return block([]).nodes;
}

/** Go template truth: false, 0, nil, empty string, empty array or map are false. */
const truthy = (v: Value): boolean =>
  !(
    v === undefined ||
    v === null ||
    v === false ||
    v === 0 ||
    v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0)
  );

/** How Go prints a value with {{ }}. */
function show(v: Value): string {
  if (v === undefined || v === null) return "<no value>";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new Error(`cannot print ${JSON.stringify(v)} without toYaml`);
}

const indent = (n: number, s: string): string =>
  s
    .split("\n")
    .map((l) => " ".repeat(n) + l)
    .join("\n");

/** Helm's toYaml: sigs.k8s.io/yaml output (sorted keys) without the final newline. */
const toYaml = (v: Value): string =>
  v === undefined || v === null
    ? "null"
    : stringify(v, { sortMapEntries: true, lineWidth: 0 }).replace(/\n$/, "");

function toStr(v: Value): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === undefined || v === null) return "";
  throw new Error(`toString of ${JSON.stringify(v)}`);
}

export interface Chart {
  readonly dir: string;
  readonly files: Map<string, string>;
  readonly defines: Map<string, Node[]>;
  readonly templates: Map<string, Node[]>;
  readonly chart: Record<string, unknown>;
  readonly values: Record<string, unknown>;
}

/** Loads a chart directory: Chart.yaml, values.yaml, templates/*, files/*. */
export function loadChart(dir: string): Chart {
  const defines = new Map<string, Node[]>();
  const templates = new Map<string, Node[]>();
  const files = new Map<string, string>();
  for (const f of readdirSync(join(dir, "files")))
    files.set(`files/${f}`, readFileSync(join(dir, "files", f), "utf8"));
  for (const f of readdirSync(join(dir, "templates")).sort()) {
    const nodes = parseTemplate(readFileSync(join(dir, "templates", f), "utf8"), f);
    const rest: Node[] = [];
    for (const n of nodes) {
      if (n.k === "define") defines.set(n.name, n.body);
      else rest.push(n);
    }
    if (!f.startsWith("_")) templates.set(f, rest);
  }
  return {
    dir,
    files,
    defines,
    templates,
    chart: parse(readFileSync(join(dir, "Chart.yaml"), "utf8")) as Record<string, unknown>,
    values: parse(readFileSync(join(dir, "values.yaml"), "utf8")) as Record<string, unknown>,
  };
}

/** Deep merge of user values over the chart's (maps merge, everything else replaces; null deletes). */
export function mergeValues(base: Value, over: Value): Value {
  if (over === undefined) return base;
  if (typeof base !== "object" || base === null || Array.isArray(base)) return over;
  if (typeof over !== "object" || over === null || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = mergeValues(out[k], v);
  }
  return out;
}

class Renderer {
  constructor(
    private readonly chart: Chart,
    private readonly apiVersions: ReadonlySet<string>,
  ) {}

  private readonly funcs: Record<string, (...args: Value[]) => Value> = {
    include: (name, dot) => {
      const body = this.chart.defines.get(name as string);
      if (body === undefined) throw new Error(`include: no template "${String(name)}"`);
      return this.run(body, { dot, root: dot, vars: new Map([["$", dot]]) });
    },
    default: (def, given) => (truthy(given) ? given : def),
    required: (msg, v) => {
      if (!truthy(v)) throw new Error(`required: ${String(msg)}`);
      return v;
    },
    fail: (msg) => {
      throw new Error(`fail: ${String(msg)}`);
    },
    quote: (v) => JSON.stringify(toStr(v)),
    toString: (v: Value) => toStr(v),
    toYaml: (v) => toYaml(v),
    nindent: (n, s) => "\n" + indent(n as number, toStr(s)),
    indent: (n, s) => indent(n as number, toStr(s)),
    trunc: (n, s) => toStr(s).slice(0, n as number),
    trimSuffix: (suffix, s) =>
      toStr(s).endsWith(suffix as string) ? toStr(s).slice(0, -(suffix as string).length) : s,
    contains: (sub, s) => toStr(s).includes(toStr(sub)),
    replace: (from, to, s) => toStr(s).split(toStr(from)).join(toStr(to)),
    printf: (format, ...args) => {
      let i = 0;
      return (format as string).replace(/%([sdv%])/g, (_m, c: string) =>
        c === "%" ? "%" : toStr(args[i++]),
      );
    },
    b64enc: (s) => Buffer.from(toStr(s)).toString("base64"),
    sha256sum: (s) => createHash("sha256").update(toStr(s)).digest("hex"),
    and: (...args: Value[]) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
    or: (...args: Value[]) => args.find((a) => truthy(a)) ?? args[args.length - 1],
    not: (v) => !truthy(v),
    eq: (a, b) => a === b,
  };

  render(values: Value, release: { name: string; namespace: string }): Map<string, string> {
    const root = {
      Values: values,
      Release: { Name: release.name, Namespace: release.namespace, Service: "Helm", IsInstall: true },
      Chart: {
        Name: this.chart.chart.name,
        Version: this.chart.chart.version,
        AppVersion: this.chart.chart.appVersion,
      },
      Files: { Get: (path: Value) => this.chart.files.get(path as string) ?? "" },
      Capabilities: { APIVersions: { Has: (v: Value) => this.apiVersions.has(v as string) } },
    };
    const out = new Map<string, string>();
    for (const [name, nodes] of this.chart.templates) {
      out.set(name, this.run(nodes, { dot: root, root, vars: new Map([["$", root]]) }));
    }
    return out;
  }

  private run(nodes: Node[], scope: Scope): string {
    let out = "";
    const vars = new Map(scope.vars);
    const s: Scope = { ...scope, vars };
    for (const n of nodes) {
      if (n.k === "text") out += n.s;
      else if (n.k === "out") {
        const assign = /^(\$\w+)\s*:=\s*(.*)$/s.exec(n.expr);
        if (assign !== null) vars.set(assign[1]!, this.pipeline(assign[2]!, s));
        else out += show(this.pipeline(n.expr, s));
      } else if (n.k === "if") {
        const branch = n.branches.find((b) => b.cond === undefined || truthy(this.pipeline(b.cond, s)));
        if (branch !== undefined) out += this.run(branch.body, s);
      } else if (n.k === "with") {
        const v = this.pipeline(n.expr, s);
        out += truthy(v) ? this.run(n.body, { ...s, dot: v }) : this.run(n.else, s);
      } else if (n.k === "range") {
        const v = this.pipeline(n.expr, s);
        const entries: [Value, Value][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : typeof v === "object" && v !== null
            ? Object.keys(v)
                .sort()
                .map((k) => [k, (v as Record<string, unknown>)[k]])
            : [];
        if (entries.length === 0) out += this.run(n.else, s);
        for (const [k, x] of entries) {
          const inner = new Map(vars);
          if (n.keyVar !== undefined) inner.set(n.keyVar, k);
          if (n.valVar !== undefined) inner.set(n.valVar, x);
          out += this.run(n.body, { ...s, dot: x, vars: inner });
        }
      } else {
        throw new Error(`unexpected {{ define }} inside a template`);
      }
    }
    return out;
  }

  private pipeline(expr: string, s: Scope): Value {
    const commands = splitTop(tokenize(expr), "|");
    let result: Value = undefined;
    commands.forEach((cmd, i) => {
      result = this.command(cmd, s, i === 0 ? [] : [result]);
    });
    return result;
  }

  private command(tokens: string[], s: Scope, piped: Value[]): Value {
    if (tokens.length === 0) throw new Error("empty command");
    const [head, ...rest] = tokens;
    const args = (): Value[] => [...rest.map((t) => this.operand(t, s)), ...piped];
    if (/^[a-zA-Z]\w*$/.test(head!) && !["true", "false", "nil"].includes(head!)) {
      const fn = this.funcs[head!];
      if (fn === undefined) throw new Error(`unsupported function ${head}`);
      return fn(...args());
    }
    const v = this.operand(head!, s);
    if (typeof v === "function") return (v as (...a: Value[]) => Value)(...args());
    if (rest.length > 0 || piped.length > 0) throw new Error(`${head} is not a function`);
    return v;
  }

  private operand(tok: string, s: Scope): Value {
    if (tok.startsWith("(")) return this.pipeline(tok.slice(1, -1), s);
    if (tok.startsWith('"')) return JSON.parse(tok) as string;
    if (/^-?\d+(\.\d+)?$/.test(tok)) return Number(tok);
    if (tok === "true" || tok === "false") return tok === "true";
    if (tok === "nil") return null;
    if (tok === ".") return s.dot;
    const m = /^(\$\w*)?((?:\.\w+)*)$/.exec(tok);
    if (m === null) throw new Error(`unsupported operand ${tok}`);
    let v: Value;
    if (m[1] !== undefined) {
      if (!s.vars.has(m[1])) throw new Error(`undefined variable ${m[1]}`);
      v = s.vars.get(m[1]);
    } else v = s.dot;
    for (const field of m[2]!.split(".").slice(1)) {
      v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[field];
    }
    return v;
  }
}

/** Tokens of an action: strings, parenthesised groups (kept whole), words, `|`. */
function tokenize(expr: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      let j = i + 1;
      while (expr[j] !== '"') j += expr[j] === "\\" ? 2 : 1;
      out.push(expr.slice(i, j + 1));
      i = j + 1;
    } else if (c === "(") {
      let depth = 0;
      let j = i;
      for (; j < expr.length; j++) {
        if (expr[j] === '"') {
          j++;
          while (expr[j] !== '"') j += expr[j] === "\\" ? 2 : 1;
        } else if (expr[j] === "(") depth++;
        else if (expr[j] === ")" && --depth === 0) break;
      }
      out.push(expr.slice(i, j + 1));
      i = j + 1;
    } else if (c === "|") {
      out.push("|");
      i++;
    } else {
      const m = /^[^\s|()"]+/.exec(expr.slice(i))!;
      out.push(m[0]);
      i += m[0].length;
    }
  }
  return out;
}

function splitTop(tokens: string[], sep: string): string[][] {
  const out: string[][] = [[]];
  for (const t of tokens) {
    if (t === sep) out.push([]);
    else out.at(-1)!.push(t);
  }
  return out;
}

/** One template's tree, for the renderer's own tests. */
export const parseForTest = (src: string): Node[] => parseTemplate(src, "test");

/** Renders the chart like `helm template <release> <dir> -f <values>` and returns the objects. */
export function helmTemplate(
  chart: Chart,
  userValues: Record<string, unknown> = {},
  release = { name: "s3gate", namespace: "default" },
  apiVersions: readonly string[] = [],
): { files: Map<string, string>; objects: Record<string, unknown>[] } {
  const values = mergeValues(chart.values, userValues);
  const files = new Renderer(chart, new Set(apiVersions)).render(values, release);
  const objects: Record<string, unknown>[] = [];
  for (const [name, text] of files) {
    if (name === "NOTES.txt") continue;
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${name}: ${doc.errors[0]!.message}\n${text}`);
      const obj = doc.toJS() as Record<string, unknown> | null;
      if (obj !== null) objects.push(obj);
    }
  }
  return { files, objects };
}
