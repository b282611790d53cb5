/**
 * Checks Kubernetes objects offline: kubernetes-models' JSON-schema validation (types, required fields, enums),
 * plus the unknown-field check that `kubectl apply` does with --validate=strict (its default), which those
 * schemas leave out. Known fields come from the same package's type declarations.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ConfigMap, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import {
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string } } & Record<
  string,
  unknown
>;

interface Model {
  validate(): void;
}
const MODELS = new Map<string, { model: new (data: never) => Model; types: string }>([
  ["v1/ConfigMap", { model: ConfigMap, types: "kubernetes-models/v1/ConfigMap.d.ts" }],
  ["v1/Secret", { model: Secret, types: "kubernetes-models/v1/Secret.d.ts" }],
  ["v1/Service", { model: Service, types: "kubernetes-models/v1/Service.d.ts" }],
  ["v1/ServiceAccount", { model: ServiceAccount, types: "kubernetes-models/v1/ServiceAccount.d.ts" }],
  ["apps/v1/Deployment", { model: Deployment, types: "kubernetes-models/apps/v1/Deployment.d.ts" }],
  ["apps/v1/StatefulSet", { model: StatefulSet, types: "kubernetes-models/apps/v1/StatefulSet.d.ts" }],
  [
    "networking.k8s.io/v1/Ingress",
    { model: Ingress, types: "kubernetes-models/networking.k8s.io/v1/Ingress.d.ts" },
  ],
  [
    "networking.k8s.io/v1/NetworkPolicy",
    { model: NetworkPolicy, types: "kubernetes-models/networking.k8s.io/v1/NetworkPolicy.d.ts" },
  ],
  [
    "autoscaling/v2/HorizontalPodAutoscaler",
    {
      model: HorizontalPodAutoscaler,
      types: "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler.d.ts",
    },
  ],
  [
    "policy/v1/PodDisruptionBudget",
    { model: PodDisruptionBudget, types: "kubernetes-models/policy/v1/PodDisruptionBudget.d.ts" },
  ],
  [
    "monitoring.coreos.com/v1/ServiceMonitor",
    {
      model: ServiceMonitor,
      types: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor.d.ts",
    },
  ],
  [
    "monitoring.coreos.com/v1/PrometheusRule",
    {
      model: PrometheusRule,
      types: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule.d.ts",
    },
  ],
]);

const require = createRequire(import.meta.url);
const NODE_MODULES = join(dirname(require.resolve("kubernetes-models/package.json")), "..");

/** A type expression from a declaration file. */
type TypeNode =
  | { t: "any" }
  | { t: "array"; of: TypeNode }
  | { t: "object"; members: Map<string, TypeNode>; index?: TypeNode }
  | { t: "union"; of: TypeNode[] }
  | { t: "ref"; file: string; name: string };

const fileCache = new Map<string, { imports: Map<string, string>; root: TypeNode }>();

/** Parses the interface (or type alias) a declaration file exports first. */
function loadDeclaration(file: string): { imports: Map<string, string>; root: TypeNode } {
  const cached = fileCache.get(file);
  if (cached !== undefined) return cached;
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    const spec = m[2]!;
    const target = spec.startsWith(".") ? join(dirname(file), spec) : join(NODE_MODULES, spec);
    imports.set(m[1]!, `${target}.d.ts`);
  }
  let root: TypeNode;
  const iface = /export interface \w+(?: extends [\w, ]+)? \{/.exec(text);
  const alias = /export declare type \w+ = ([^;]+);/.exec(text);
  if (iface !== null && (alias === null || iface.index < alias.index)) {
    root = new TypeParser(text, iface.index + iface[0].length - 1, file).parseType();
  } else if (alias !== null) {
    root = new TypeParser(alias[1]!, 0, file).parseType();
  } else {
    throw new Error(`no declaration in ${file}`);
  }
  const entry = { imports, root };
  fileCache.set(file, entry);
  return entry;
}

class TypeParser {
  constructor(
    private readonly s: string,
    private i: number,
    private readonly file: string,
  ) {}

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
  private eat(tok: string): boolean {
    this.ws();
    if (this.s.startsWith(tok, this.i)) {
      this.i += tok.length;
      return true;
    }
    return false;
  }
  private expect(tok: string): void {
    if (!this.eat(tok))
      throw new Error(`${this.file}: expected ${tok} at ${this.s.slice(this.i, this.i + 40)}`);
  }

  parseType(): TypeNode {
    const of = [this.primary()];
    while (this.eat("|")) of.push(this.primary());
    return of.length === 1 ? of[0]! : { t: "union", of };
  }

  private primary(): TypeNode {
    this.ws();
    if (this.eat("{")) return this.members();
    if (this.eat("Array<")) {
      const of = this.parseType();
      this.expect(">");
      return { t: "array", of };
    }
    const lit = /^("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)/.exec(this.s.slice(this.i));
    if (lit !== null) {
      this.i += lit[0].length;
      return { t: "any" };
    }
    const id = /^\w+/.exec(this.s.slice(this.i));
    if (id === null) throw new Error(`${this.file}: type expected at ${this.s.slice(this.i, this.i + 40)}`);
    this.i += id[0].length;
    if (["string", "number", "boolean", "any", "unknown", "object", "null", "undefined"].includes(id[0])) {
      return { t: "any" };
    }
    return { t: "ref", file: this.file, name: id[0] };
  }

  private members(): TypeNode {
    const members = new Map<string, TypeNode>();
    let index: TypeNode | undefined;
    for (;;) {
      if (this.eat("}")) return { t: "object", members, index };
      if (this.eat("[")) {
        this.expect("key");
        this.expect(":");
        this.expect("string");
        this.expect("]");
        this.expect(":");
        index = this.parseType();
      } else {
        this.ws();
        const name = /^"([^"]+)"|^(\w+)/.exec(this.s.slice(this.i));
        if (name === null)
          throw new Error(`${this.file}: member expected at ${this.s.slice(this.i, this.i + 40)}`);
        this.i += name[0].length;
        this.eat("?");
        this.expect(":");
        members.set(name[1] ?? name[2]!, this.parseType());
      }
      this.eat(";");
    }
  }
}

function resolve(node: TypeNode): TypeNode {
  if (node.t !== "ref") return node;
  const target = loadDeclaration(node.file).imports.get(node.name);
  if (target === undefined) return { t: "any" }; // ModelData, TypeMeta and friends
  return resolve(loadDeclaration(target).root);
}

/** Paths of fields the schema does not know. */
function unknownFields(value: unknown, node: TypeNode, path: string): string[] {
  const type = resolve(node);
  if (type.t === "any" || value === null || value === undefined) return [];
  if (type.t === "union") {
    const results = type.of.map((b) => unknownFields(value, b, path));
    return results.find((r) => r.length === 0) ?? results[0]!;
  }
  if (type.t === "array") {
    return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, type.of, `${path}[${i}]`)) : [];
  }
  if (typeof value !== "object" || Array.isArray(value) || type.t !== "object") return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const member = type.members.get(k) ?? type.index;
    if (member === undefined) out.push(`${path}.${k}`);
    else out.push(...unknownFields(v, member, `${path}.${k}`));
  }
  return out;
}

/** Problems with one object: an unknown kind, schema errors, unknown fields. Empty when it is valid. */
export function validateObject(obj: K8sObject): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const entry = MODELS.get(key);
  if (entry === undefined) return [`${key}: no schema for this kind (add it to test/deploy/k8s-schema.ts)`];
  const problems: string[] = [];
  try {
    new entry.model(structuredClone(obj) as never).validate();
  } catch (err) {
    problems.push(`${key} ${obj.metadata?.name}: ${(err as Error).message}`);
  }
  const root = loadDeclaration(join(NODE_MODULES, entry.types)).root;
  for (const f of unknownFields(obj, root, ""))
    problems.push(`${key} ${obj.metadata?.name}: unknown field ${f}`);
  return problems;
}
