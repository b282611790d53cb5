/**
 * The IAM Query protocol's parameters: form-encoded body and query string (never both naming one parameter),
 * lists as `Name.member.N`, structures as `Name.member.N.Field`, each value checked against AWS's constraints.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/CommonParameters.html
 */
import { IamError } from "../../errors.js";
import type { ParsedRequest } from "../../request.js";
import { Q_AMZ_PREFIX } from "../../constants.js";

const MAX_PARAMS = 2000;

/** AWS's constraints on the parameters s3gate reads, by parameter name. */
const CONSTRAINTS = new Map<string, { pattern?: RegExp; min: number; max: number; rule?: string }>([
  ["UserName", { pattern: /^[\w+=,.@-]+$/, min: 1, max: 128, rule: "[\\w+=,.@-]+" }],
  ["AccessKeyId", { pattern: /^\w+$/, min: 16, max: 128, rule: "[\\w]+" }],
  ["PolicyName", { pattern: /^[\w+=,.@-]+$/, min: 1, max: 128, rule: "[\\w+=,.@-]+" }],
  ["PolicyArn", { min: 20, max: 2048 }],
  ["PolicySourceArn", { min: 20, max: 2048 }],
  [
    "Path",
    {
      pattern: /^(\/|\/[\u0021-\u007e]+\/)$/,
      min: 1,
      max: 512,
      rule: "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
    },
  ],
  ["PathPrefix", { pattern: /^\/[\u0021-\u007e]*$/, min: 1, max: 512, rule: "\\u002F[\\u0021-\\u007E]*" }],
  ["Description", { min: 0, max: 1000 }],
  ["PolicyDocument", { min: 1, max: 131072 }],
  [
    "VersionId",
    { pattern: /^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/, min: 1, max: 64, rule: "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?" },
  ],
  ["Marker", { pattern: /^[\u0020-\u00ff]+$/, min: 1, max: 320, rule: "[\\u0020-\\u00FF]+" }],
  ["Status", { pattern: /^(Active|Inactive)$/, min: 1, max: 16, rule: "Active|Inactive" }],
  ["Scope", { pattern: /^(All|AWS|Local)$/, min: 1, max: 8, rule: "All|AWS|Local" }],
  ["PolicyUsageFilter", { pattern: /^(PermissionsPolicy|PermissionsBoundary)$/, min: 1, max: 32 }],
  ["EntityFilter", { pattern: /^(User|Role|Group|LocalManagedPolicy|AWSManagedPolicy)$/, min: 1, max: 32 }],
]);

const camel = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

function invalid(name: string, value: string | null, constraint: string): IamError {
  const shown = value === null ? "null" : `'${value.length > 64 ? value.slice(0, 64) + "…" : value}'`;
  return new IamError(
    "ValidationError",
    `1 validation error detected: Value ${shown} at '${camel(name)}' failed to satisfy constraint: ${constraint}`,
  );
}

/** The parameters of one IAM request. */
export class Params {
  constructor(private readonly map: ReadonlyMap<string, string>) {}

  /** Every parameter as sent, unchecked (for the audit log's allow-list). */
  get raw(): ReadonlyMap<string, string> {
    return this.map;
  }

  /** An optional parameter, checked against its constraints. */
  opt(name: string): string | undefined {
    const value = this.map.get(name);
    if (value === undefined) return undefined;
    const c = CONSTRAINTS.get(name.slice(name.lastIndexOf(".") + 1));
    if (c !== undefined) {
      if (value.length < c.min)
        throw invalid(name, value, `Member must have length greater than or equal to ${c.min}`);
      if (value.length > c.max)
        throw invalid(name, value, `Member must have length less than or equal to ${c.max}`);
      if (c.pattern !== undefined && !c.pattern.test(value)) {
        throw invalid(
          name,
          value,
          `Member must satisfy regular expression pattern: ${c.rule ?? c.pattern.source}`,
        );
      }
    }
    return value;
  }

  /** A required parameter. */
  req(name: string): string {
    const value = this.opt(name);
    if (value === undefined) throw invalid(name, null, "Member must not be null");
    return value;
  }

  /** `Name.member.1 … Name.member.N` (contiguous from 1). */
  list(name: string): string[] {
    const out: string[] = [];
    for (let i = 1; ; i++) {
      const v = this.map.get(`${name}.member.${i}`);
      if (v === undefined) break;
      out.push(v);
    }
    return out;
  }

  /** `Name.member.N.Field` structures, as parameter views rooted at each member. */
  members(name: string): Params[] {
    const out: Params[] = [];
    for (let i = 1; ; i++) {
      const prefix = `${name}.member.${i}.`;
      const sub = new Map<string, string>();
      for (const [k, v] of this.map) if (k.startsWith(prefix)) sub.set(k.slice(prefix.length), v);
      if (sub.size === 0) break;
      out.push(new Params(sub));
    }
    return out;
  }

  /** An integer parameter in [min, max], or `fallback`. */
  int(name: string, min: number, max: number, fallback: number): number {
    const raw = this.map.get(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d{1,10}$/.test(raw)) throw invalid(name, raw, "Member must be an integer");
    const n = Number(raw);
    if (n < min) throw invalid(name, raw, `Member must have value greater than or equal to ${min}`);
    if (n > max) throw invalid(name, raw, `Member must have value less than or equal to ${max}`);
    return n;
  }

  /** A boolean parameter (`true` / `false`), or `fallback`. */
  bool(name: string, fallback: boolean): boolean {
    const raw = this.map.get(name);
    if (raw === undefined) return fallback;
    if (raw !== "true" && raw !== "false") throw invalid(name, raw, "Member must be true or false");
    return raw === "true";
  }
}

/**
 * Collects the parameters of an IAM request from its query (without the X-Amz-* authentication parameters)
 * and its form-encoded body. A parameter given twice is refused.
 */
export function parseIamParams(req: ParsedRequest, body: Buffer): Params {
  const map = new Map<string, string>();
  const add = (name: string, value: string): void => {
    if (map.has(name)) throw new IamError("ValidationError", `The parameter ${name} must not be repeated.`);
    if (map.size >= MAX_PARAMS) throw new IamError("ValidationError", "Too many parameters.");
    map.set(name, value);
  };
  for (const p of req.query) if (!p.name.startsWith(Q_AMZ_PREFIX)) add(p.name, p.value);
  if (body.length > 0) {
    const type = req.headers.get("content-type")?.[0]?.split(";")[0]?.trim().toLowerCase();
    if (type !== undefined && type !== "application/x-www-form-urlencoded") {
      throw new IamError("ValidationError", "The request body must be application/x-www-form-urlencoded.");
    }
    for (const [name, value] of new URLSearchParams(body.toString("utf8"))) add(name, value);
  }
  return new Params(map);
}
