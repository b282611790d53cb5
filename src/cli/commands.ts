/**
 * The management commands as data: `s3gate keys …`, `s3gate policies …`, `s3gate simulate`, `s3gate explain`. Each
 * row names its words, its options (node:util parseArgs), its help, and what it runs: IAM API calls through
 * {@link callIam}, answered as a table for people or JSON for scripts. Nothing works only against the local
 * process: every command talks to an s3gate through its IAM API.
 */
import { readFileSync } from "node:fs";
import type { ParseArgsConfig } from "node:util";
import { compilePolicy } from "../authorize/index.js";
import { isKnownAction } from "../iam/actions.js";
import { ApiError, callIam, UsageError, type Target } from "./iam-client.js";

/** What a command prints: rows for a table (people), and the value `--output json` prints (scripts). */
export interface Outcome {
  readonly rows?: readonly Record<string, string>[];
  readonly lines?: readonly string[];
  readonly json: unknown;
}

export interface Command {
  readonly words: readonly string[];
  readonly usage: string;
  readonly help: string;
  readonly options?: ParseArgsConfig["options"];
  /** Runs without a server (policies validate). */
  readonly offline?: true;
  run(ctx: CommandContext): Promise<Outcome>;
}

export interface CommandContext {
  readonly target: Target | undefined;
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: readonly string[];
  readonly now: () => number;
  /** The account part of s3gate's ARNs (S3GATE_ORGANIZATION_ID in the environment, or AWS's default). */
  readonly organizationId: string;
}

const EXPIRES_TAG = "s3gate:ExpiresAt";

const iam = (ctx: CommandContext, action: string, params: Record<string, string> = {}) =>
  callIam(ctx.target!, action, params, ctx.now);

function arg(ctx: CommandContext, index: number, name: string): string {
  const v = ctx.positionals[index];
  if (v === undefined) throw new UsageError(`missing ${name}`);
  return v;
}

const text = (v: unknown): string => (v === undefined || v === null ? "" : String(v));
const asList = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
const list = (ctx: CommandContext, name: string): string[] => {
  const v = ctx.values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
};

/** An ISO 8601 time, or a duration from now (`30m`, `12h`, `7d`). */
export function timeFrom(value: string, now: number): string {
  const m = /^(\d+)([mhd])$/.exec(value);
  if (m !== null) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"];
    return new Date(now + Number(m[1]) * unit).toISOString();
  }
  if (
    !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ||
    Number.isNaN(Date.parse(value))
  )
    throw new UsageError(`${value} is neither an ISO 8601 time nor a duration such as 12h or 7d`);
  return new Date(Date.parse(value)).toISOString();
}

/** Every page of a listing (Marker / IsTruncated). */
async function allPages(
  ctx: CommandContext,
  action: string,
  member: string,
  params: Record<string, string> = {},
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let marker: string | undefined;
  do {
    const page = await iam(ctx, action, marker === undefined ? params : { ...params, Marker: marker });
    out.push(...asList(page[member]));
    marker = page.IsTruncated === true ? text(page.Marker) : undefined;
  } while (marker !== undefined);
  return out;
}

async function keyDetails(ctx: CommandContext, id: string) {
  const [meta] = asList((await iam(ctx, "ListAccessKeys", { UserName: id })).AccessKeyMetadata);
  const used = (await iam(ctx, "GetAccessKeyLastUsed", { AccessKeyId: id })).AccessKeyLastUsed as
    Record<string, unknown> | undefined;
  const policies = asList((await iam(ctx, "ListAttachedUserPolicies", { UserName: id })).AttachedPolicies);
  const tags = asList((await iam(ctx, "ListUserTags", { UserName: id })).Tags);
  return {
    accessKeyId: id,
    name: text(meta?.Name),
    status: text(meta?.Status),
    created: text(meta?.CreateDate),
    expires: text(tags.find((t) => t.Key === EXPIRES_TAG)?.Value),
    lastUsed: text(used?.LastUsedDate),
    lastUsedService: text(used?.ServiceName),
    policies: policies.map((p) => text(p.PolicyArn)),
  };
}

async function createKey(
  ctx: CommandContext,
  name: string | undefined,
  expires: string | undefined,
  attach: string[],
) {
  const created = (await iam(ctx, "CreateAccessKey", name === undefined ? {} : { UserName: name }))
    .AccessKey as Record<string, unknown>;
  const id = text(created.AccessKeyId);
  if (expires !== undefined)
    await iam(ctx, "TagUser", {
      UserName: id,
      "Tags.member.1.Key": EXPIRES_TAG,
      "Tags.member.1.Value": expires,
    });
  for (const arn of attach) await iam(ctx, "AttachUserPolicy", { UserName: id, PolicyArn: arn });
  return {
    accessKeyId: id,
    secretAccessKey: text(created.SecretAccessKey),
    name: name ?? "",
    expires: expires ?? "",
    policies: attach,
  };
}

function exportLines(ctx: CommandContext, key: { accessKeyId: string; secretAccessKey: string }): string[] {
  return [
    `export AWS_ENDPOINT_URL=${ctx.target!.endpoint.origin} AWS_ENDPOINT_URL_IAM=${ctx.target!.endpoint.origin} ` +
      `AWS_ACCESS_KEY_ID=${key.accessKeyId} AWS_SECRET_ACCESS_KEY=${key.secretAccessKey} ` +
      `AWS_REGION=${ctx.target!.region} AWS_DEFAULT_REGION=${ctx.target!.region}`,
  ];
}

const keyRow = (k: Awaited<ReturnType<typeof keyDetails>>) => ({
  KEY: k.accessKeyId,
  NAME: k.name,
  STATUS: k.status,
  CREATED: k.created,
  EXPIRES: k.expires,
  "LAST USED": k.lastUsed,
});

function readDocument(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The policy ARN a command names: an ARN as given, or a name in the caller's account (`reader`). */
async function policyArn(ctx: CommandContext, given: string): Promise<string> {
  if (given.startsWith("arn:")) return given;
  const policies = await allPages(ctx, "ListPolicies", "Policies");
  const match = policies.find((p) => p.PolicyName === given);
  if (match === undefined) throw new ApiError(404, "NoSuchEntity", `no policy named ${given}`);
  return text(match.Arn);
}

export const COMMANDS: readonly Command[] = [
  {
    words: ["keys", "create"],
    usage: "s3gate keys create [--name NAME] [--expires TIME|DURATION] [--attach ARN]... [--env]",
    help: "Creates an access key; prints its secret once (with --env, as export lines).",
    options: {
      name: { type: "string" },
      expires: { type: "string" },
      attach: { type: "string", multiple: true },
      env: { type: "boolean" },
    },
    async run(ctx) {
      const expires =
        ctx.values.expires === undefined ? undefined : timeFrom(String(ctx.values.expires), ctx.now());
      const attach = await Promise.all(list(ctx, "attach").map((a) => policyArn(ctx, a)));
      const key = await createKey(ctx, ctx.values.name as string | undefined, expires, attach);
      const lines =
        ctx.values.env === true
          ? exportLines(ctx, key)
          : [
              `AccessKeyId:     ${key.accessKeyId}`,
              `SecretAccessKey: ${key.secretAccessKey}`,
              "The secret is shown only now.",
            ];
      return { lines, json: key };
    },
  },
  {
    words: ["keys", "list"],
    usage: "s3gate keys list",
    help: "Lists the access keys: name, status (Active, Inactive, Expired), created, expiry, last used.",
    async run(ctx) {
      const metas = await allPages(ctx, "ListAccessKeys", "AccessKeyMetadata");
      const keys = [];
      for (const m of metas) keys.push(await keyDetails(ctx, text(m.AccessKeyId)));
      return { rows: keys.map(keyRow), json: keys };
    },
  },
  {
    words: ["keys", "show"],
    usage: "s3gate keys show KEY",
    help: "Shows one key: its name, status, dates, last use and attached policies.",
    async run(ctx) {
      const k = await keyDetails(ctx, arg(ctx, 0, "KEY"));
      return { rows: [{ ...keyRow(k), POLICIES: k.policies.join(", ") }], json: k };
    },
  },
  ...(["enable", "disable"] as const).map((verb): Command => ({
    words: ["keys", verb],
    usage: `s3gate keys ${verb} KEY`,
    help: verb === "enable" ? "Makes a key Active." : "Makes a key Inactive (it can be enabled again).",
    async run(ctx) {
      const id = arg(ctx, 0, "KEY");
      const status = verb === "enable" ? "Active" : "Inactive";
      await iam(ctx, "UpdateAccessKey", { AccessKeyId: id, Status: status });
      return { lines: [`${id}: ${status}`], json: { accessKeyId: id, status } };
    },
  })),
  {
    words: ["keys", "delete"],
    usage: "s3gate keys delete KEY",
    help: "Deletes a key for good.",
    async run(ctx) {
      const id = arg(ctx, 0, "KEY");
      await iam(ctx, "DeleteAccessKey", { AccessKeyId: id });
      return { lines: [`${id}: deleted`], json: { accessKeyId: id, deleted: true } };
    },
  },
  {
    words: ["keys", "rotate"],
    usage: "s3gate keys rotate KEY [--grace DURATION] [--env]",
    help: "Creates a key with the same name and policies; the old key expires after the grace period (default 24h).",
    options: { grace: { type: "string" }, env: { type: "boolean" } },
    async run(ctx) {
      const old = await keyDetails(ctx, arg(ctx, 0, "KEY"));
      const key = await createKey(
        ctx,
        old.name === "" ? undefined : old.name,
        old.expires === "" ? undefined : old.expires,
        old.policies,
      );
      const oldExpires = timeFrom(String(ctx.values.grace ?? "24h"), ctx.now());
      await iam(ctx, "TagUser", {
        UserName: old.accessKeyId,
        "Tags.member.1.Key": EXPIRES_TAG,
        "Tags.member.1.Value": oldExpires,
      });
      const lines = [
        ...(ctx.values.env === true
          ? exportLines(ctx, key)
          : [`AccessKeyId:     ${key.accessKeyId}`, `SecretAccessKey: ${key.secretAccessKey}`]),
        `${old.accessKeyId} stops working at ${oldExpires}.`,
      ];
      return { lines, json: { ...key, replaced: old.accessKeyId, replacedExpires: oldExpires } };
    },
  },
  ...(["attach", "detach"] as const).map((verb): Command => ({
    words: ["keys", verb],
    usage: `s3gate keys ${verb} KEY POLICY`,
    help: verb === "attach" ? "Attaches a policy (ARN or name) to a key." : "Detaches a policy from a key.",
    async run(ctx) {
      const id = arg(ctx, 0, "KEY");
      const arn = await policyArn(ctx, arg(ctx, 1, "POLICY"));
      await iam(ctx, verb === "attach" ? "AttachUserPolicy" : "DetachUserPolicy", {
        UserName: id,
        PolicyArn: arn,
      });
      return {
        lines: [`${id}: ${verb === "attach" ? "attached" : "detached"} ${arn}`],
        json: { accessKeyId: id, policyArn: arn, [verb === "attach" ? "attached" : "detached"]: true },
      };
    },
  })),
  {
    words: ["policies", "create"],
    usage: "s3gate policies create NAME --file FILE [--description TEXT]",
    help: "Creates a policy from a JSON document.",
    options: { file: { type: "string" }, description: { type: "string" } },
    async run(ctx) {
      const name = arg(ctx, 0, "NAME");
      if (ctx.values.file === undefined) throw new UsageError("missing --file");
      const params: Record<string, string> = {
        PolicyName: name,
        PolicyDocument: readDocument(String(ctx.values.file)),
      };
      if (ctx.values.description !== undefined) params.Description = String(ctx.values.description);
      const p = (await iam(ctx, "CreatePolicy", params)).Policy as Record<string, unknown>;
      return { lines: [text(p.Arn)], json: p };
    },
  },
  {
    words: ["policies", "update"],
    usage: "s3gate policies update POLICY --file FILE",
    help: "Makes the document a new default version (the oldest other version goes when there are five).",
    options: { file: { type: "string" } },
    async run(ctx) {
      const arn = await policyArn(ctx, arg(ctx, 0, "POLICY"));
      if (ctx.values.file === undefined) throw new UsageError("missing --file");
      const document = readDocument(String(ctx.values.file));
      const versions = asList((await iam(ctx, "ListPolicyVersions", { PolicyArn: arn })).Versions);
      if (versions.length >= 5) {
        const oldest = versions
          .filter((v) => v.IsDefaultVersion !== true)
          .sort((a, b) => text(a.CreateDate).localeCompare(text(b.CreateDate)))[0];
        if (oldest !== undefined)
          await iam(ctx, "DeletePolicyVersion", { PolicyArn: arn, VersionId: text(oldest.VersionId) });
      }
      const v = (
        await iam(ctx, "CreatePolicyVersion", {
          PolicyArn: arn,
          PolicyDocument: document,
          SetAsDefault: "true",
        })
      ).PolicyVersion as Record<string, unknown>;
      return { lines: [`${arn}: default version ${text(v.VersionId)}`], json: { policyArn: arn, ...v } };
    },
  },
  {
    words: ["policies", "list"],
    usage: "s3gate policies list",
    help: "Lists the policies with their default version and how many keys they are attached to.",
    async run(ctx) {
      const policies = await allPages(ctx, "ListPolicies", "Policies");
      return {
        rows: policies.map((p) => ({
          NAME: text(p.PolicyName),
          ARN: text(p.Arn),
          DEFAULT: text(p.DefaultVersionId),
          KEYS: text(p.AttachmentCount),
        })),
        json: policies,
      };
    },
  },
  {
    words: ["policies", "show"],
    usage: "s3gate policies show POLICY [--version ID]",
    help: "Prints a policy's document (its default version, or --version), decoded.",
    options: { version: { type: "string" } },
    async run(ctx) {
      const arn = await policyArn(ctx, arg(ctx, 0, "POLICY"));
      const policy = (await iam(ctx, "GetPolicy", { PolicyArn: arn })).Policy as Record<string, unknown>;
      const versionId = text(ctx.values.version ?? policy.DefaultVersionId);
      const version = (await iam(ctx, "GetPolicyVersion", { PolicyArn: arn, VersionId: versionId }))
        .PolicyVersion as Record<string, unknown>;
      const document = JSON.parse(decodeURIComponent(text(version.Document))) as unknown;
      return {
        lines: JSON.stringify(document, null, 2).split("\n"),
        json: { policyArn: arn, versionId, document },
      };
    },
  },
  {
    words: ["policies", "versions"],
    usage: "s3gate policies versions POLICY",
    help: "Lists a policy's versions.",
    async run(ctx) {
      const arn = await policyArn(ctx, arg(ctx, 0, "POLICY"));
      const versions = asList((await iam(ctx, "ListPolicyVersions", { PolicyArn: arn })).Versions);
      return {
        rows: versions.map((v) => ({
          VERSION: text(v.VersionId),
          DEFAULT: v.IsDefaultVersion === true ? "yes" : "",
          CREATED: text(v.CreateDate),
        })),
        json: versions,
      };
    },
  },
  {
    words: ["policies", "delete"],
    usage: "s3gate policies delete POLICY",
    help: "Deletes a policy that no key is attached to, with all its versions.",
    async run(ctx) {
      const arn = await policyArn(ctx, arg(ctx, 0, "POLICY"));
      const users = asList((await iam(ctx, "ListEntitiesForPolicy", { PolicyArn: arn })).PolicyUsers);
      if (users.length > 0)
        throw new ApiError(
          409,
          "DeleteConflict",
          `${arn} is attached to ${users.map((u) => text(u.UserName)).join(", ")}`,
        );
      // IAM deletes a policy only once its other versions are gone.
      for (const v of asList((await iam(ctx, "ListPolicyVersions", { PolicyArn: arn })).Versions))
        if (v.IsDefaultVersion !== true)
          await iam(ctx, "DeletePolicyVersion", { PolicyArn: arn, VersionId: text(v.VersionId) });
      await iam(ctx, "DeletePolicy", { PolicyArn: arn });
      return { lines: [`${arn}: deleted`], json: { policyArn: arn, deleted: true } };
    },
  },
  {
    words: ["policies", "who"],
    usage: "s3gate policies who POLICY",
    help: "Lists the keys a policy is attached to.",
    async run(ctx) {
      const arn = await policyArn(ctx, arg(ctx, 0, "POLICY"));
      const users = asList((await iam(ctx, "ListEntitiesForPolicy", { PolicyArn: arn })).PolicyUsers);
      return {
        rows: users.map((u) => ({ KEY: text(u.UserName) })),
        json: users.map((u) => text(u.UserName)),
      };
    },
  },
  {
    words: ["policies", "validate"],
    usage: "s3gate policies validate --file FILE",
    help: "Checks a document offline with the server's own validator; problems are listed with their JSON paths.",
    options: { file: { type: "string" } },
    offline: true,
    async run(ctx) {
      if (ctx.values.file === undefined) throw new UsageError("missing --file");
      const result = compilePolicy(readDocument(String(ctx.values.file)), { id: "validate", isKnownAction });
      const problems = result.ok
        ? []
        : result.problems.map((p) => ({ path: p.path === "" ? "$" : p.path, message: p.message }));
      if (problems.length > 0) throw new InvalidDocument(problems);
      return { lines: ["valid"], json: { valid: true, problems: [] } };
    },
  },
  {
    words: ["simulate"],
    usage: "s3gate simulate --key KEY --action ACTION --resource ARN [--context KEY=VALUE]... [--account ID]",
    help: "Decides an action on a resource for a key, as s3gate would: the decision, deciding statement and failed condition.",
    options: {
      key: { type: "string" },
      action: { type: "string" },
      resource: { type: "string" },
      context: { type: "string", multiple: true },
      account: { type: "string" },
    },
    async run(ctx) {
      for (const need of ["key", "action", "resource"])
        if (ctx.values[need] === undefined) throw new UsageError(`missing --${need}`);
      const params: Record<string, string> = {
        // The key's user ARN, in s3gate's organization (S3GATE_ORGANIZATION_ID, as --account or the environment).
        PolicySourceArn: `arn:aws:iam::${String(ctx.values.account ?? ctx.organizationId)}:user/${String(ctx.values.key)}`,
        "ActionNames.member.1": String(ctx.values.action),
        "ResourceArns.member.1": String(ctx.values.resource),
      };
      list(ctx, "context").forEach((entry, i) => {
        const eq = entry.indexOf("=");
        if (eq <= 0) throw new UsageError(`--context ${entry}: expected KEY=VALUE`);
        params[`ContextEntries.member.${i + 1}.ContextKeyName`] = entry.slice(0, eq);
        params[`ContextEntries.member.${i + 1}.ContextKeyValues.member.1`] = entry.slice(eq + 1);
        params[`ContextEntries.member.${i + 1}.ContextKeyType`] = "string";
      });
      const results = asList((await iam(ctx, "SimulatePrincipalPolicy", params)).EvaluationResults);
      return {
        rows: results.map((r) => {
          const matched = asList(r.MatchedStatements)[0];
          const failed = r.FailedCondition as Record<string, unknown> | undefined;
          return {
            ACTION: text(r.EvalActionName),
            RESOURCE: text(r.EvalResourceName),
            DECISION: text(r.EvalDecision),
            STATEMENT: text(matched?.SourcePolicyId),
            "FAILED CONDITION":
              failed === undefined
                ? ""
                : `${text(failed.SourcePolicyId)} ${text(failed.StatementId)}: ${text(failed.Operator)} ${text(failed.Key)}${failed.Value === undefined ? " (absent)" : ` = ${text(failed.Value)}`}`,
          };
        }),
        json: results,
      };
    },
  },
  {
    words: ["denials"],
    usage: "s3gate denials [--key KEY] [--operation OPERATION] [--max N]",
    help: "Lists the recent denials of the s3gate answering, newest first (needs iam:ListDenials, which Admin has).",
    options: { key: { type: "string" }, operation: { type: "string" }, max: { type: "string" } },
    async run(ctx) {
      const params: Record<string, string> = {};
      if (ctx.values.key !== undefined) params.AccessKeyId = String(ctx.values.key);
      if (ctx.values.operation !== undefined) params.Operation = String(ctx.values.operation);
      if (ctx.values.max !== undefined) params.MaxItems = String(ctx.values.max);
      const denials = asList((await iam(ctx, "ListDenials", params)).Denials);
      return {
        rows: denials.map((d) => ({
          TIME: text(d.DeniedAt),
          REQUEST: text(d.RequestId),
          KEY: d.Anonymous === true ? "anonymous" : text(d.AccessKeyId),
          OPERATION: text(d.Operation),
          TARGET: [text(d.Bucket), text(d.Key)].filter((p) => p !== "").join("/"),
          DECISION: `${text(d.Decision)} ${text(d.Action)}`.trim(),
        })),
        json: denials,
      };
    },
  },
  {
    words: ["explain"],
    usage: "s3gate explain REQUEST-ID",
    help: "The full reason of a recent denial (needs iam:ExplainDenial, which Admin has).",
    async run(ctx) {
      const d = await iam(ctx, "ExplainDenial", { RequestId: arg(ctx, 0, "REQUEST-ID") });
      const failed = d.FailedCondition as Record<string, unknown> | undefined;
      const lines = [
        `${text(d.RequestId)}: ${text(d.Operation)} by ${d.Anonymous === true ? "an anonymous requester" : text(d.AccessKeyId)} from ${text(d.SourceIp)} at ${text(d.DeniedAt)}`,
        `decision: ${text(d.Decision)} on ${text(d.Action)} ${text(d.ResourceArn)}`,
        ...(d.DecidingPolicy === undefined
          ? []
          : [
              `deciding: ${text(d.DecidingPolicy)} ${text(d.DecidingPolicyVersion)} statement ${text(d.DecidingStatement)}`,
            ]),
        ...(failed === undefined
          ? []
          : [
              `failed condition: ${text(failed.Operator)} ${text(failed.Key)}${failed.Value === undefined ? "" : ` = ${text(failed.Value)}`}`,
            ]),
        ...asList(d.NeededChecks).map((c) => `needed: ${text(c.Action)} on ${text(c.Resource)}`),
      ];
      return { lines, json: d };
    },
  },
];

/** A document the validator refuses: its problems, with their JSON paths. */
export class InvalidDocument extends Error {
  constructor(readonly problems: readonly { path: string; message: string }[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
  }
}
