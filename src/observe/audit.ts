/**
 * The audit log: one JSON line per IAM change, and per IAM call that was denied or failed (a read that succeeds
 * is not a change and is not logged), with who made it, from where, what it targeted, what it changed and how
 * it ended. Secrets never enter it: its fields are read from an allow-list of request parameters and result
 * members, each value bounded, so no line passes {@link MAX_AUDIT_FIELD_CHARS} per field.
 */
import { createJsonLines, type JsonLines } from "./log.js";

/** One audit line. */
export interface AuditEntry {
  readonly time: string;
  readonly log: "audit";
  readonly requestId: string;
  /** The access key that made the call; `claimed` when its authentication failed (not verified). */
  readonly actor: string | undefined;
  readonly actorVerified: boolean;
  readonly sourceIp: string;
  /** The IAM action named by the call ("Unknown" when it names none). */
  readonly action: string;
  /** What the call named: key ids, policy ARNs, versions, the status asked for. */
  readonly targets: Readonly<Record<string, string>>;
  /** What it changed: the key created, the policy version created or made default, the status set. */
  readonly change: Readonly<Record<string, string>> | undefined;
  readonly outcome: "success" | "denied" | "failed";
  readonly error: string | undefined;
  /** Why it was refused (the error's message). */
  readonly reason: string | undefined;
}

export type AuditLog = JsonLines<AuditEntry>;

/** The longest value a field of an audit line keeps; longer ones are cut and end with `…`. */
export const MAX_AUDIT_FIELD_CHARS = 256;

/** The request parameters an audit line names as targets (never a document or a secret). */
export const AUDIT_TARGET_PARAMS = [
  "UserName",
  "AccessKeyId",
  "PolicyArn",
  "PolicyName",
  "VersionId",
  "Status",
  "SetAsDefault",
] as const;

/** A value cut to {@link MAX_AUDIT_FIELD_CHARS}. */
export const bounded = (value: string): string =>
  value.length <= MAX_AUDIT_FIELD_CHARS ? value : `${value.slice(0, MAX_AUDIT_FIELD_CHARS - 1)}…`;

/**
 * What an IAM action's result says it changed: the key it created (never its secret), the policy and version it
 * created, the version it made default.
 */
export function auditChange(
  action: string,
  params: ReadonlyMap<string, string>,
  result: unknown,
): Record<string, string> {
  const r = (result ?? {}) as {
    AccessKey?: { AccessKeyId?: string; Name?: string };
    Policy?: { Arn?: string; DefaultVersionId?: string };
    PolicyVersion?: { VersionId?: string; IsDefaultVersion?: boolean };
  };
  const change: Record<string, string> = {};
  const put = (name: string, value: string | undefined): void => {
    if (value !== undefined) change[name] = bounded(value);
  };
  put("createdAccessKeyId", r.AccessKey?.AccessKeyId);
  put("name", r.AccessKey?.Name);
  put("createdPolicyArn", r.Policy?.Arn);
  put("createdVersionId", r.PolicyVersion?.VersionId ?? r.Policy?.DefaultVersionId);
  if (action === "UpdateAccessKey") put("statusSet", params.get("Status"));
  if (action === "SetDefaultPolicyVersion") put("defaultVersionId", params.get("VersionId"));
  if (action === "AttachUserPolicy" || action === "DetachUserPolicy")
    put(action === "AttachUserPolicy" ? "attached" : "detached", params.get("PolicyArn"));
  if (action === "DeletePolicyVersion") put("deletedVersionId", params.get("VersionId"));
  return change;
}

/** The targets of a call, from its parameters. */
export function auditTargets(params: ReadonlyMap<string, string>): Record<string, string> {
  const targets: Record<string, string> = {};
  for (const name of AUDIT_TARGET_PARAMS) {
    const value = params.get(name);
    if (value !== undefined) targets[name] = bounded(value);
  }
  const tagKeys = [...params]
    .filter(([k]) => /^(?:Tags\.member\.\d+\.Key|TagKeys\.member\.\d+)$/.test(k))
    .map(([, v]) => bounded(v));
  if (tagKeys.length > 0) targets.TagKeys = bounded(tagKeys.join(","));
  return targets;
}

/** Whether an IAM action changes nothing (its success is not audited). */
export const isReadOnlyAction = (action: string): boolean => /^(?:Get|List|Simulate)/.test(action);

/** The audit log at `where`: `stdout`, `off`, or a file path (appended); lost lines are told to `onDropped`. */
export function createAuditLog(where: string, onDropped: (lines: number) => void = () => {}): AuditLog {
  return createJsonLines<AuditEntry>(where, onDropped);
}
