/**
 * The permission of each operation: the IAM action names that grant it, canonical AWS name first, then the
 * Tigris names whose table row lists the operation. A Tigris-only name never appears in the permission of an
 * operation its row does not list; a name AWS also defines keeps its AWS meaning (s3:PutObject → UploadPartCopy).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
 */
import { OPERATIONS } from "./operations.js";
import { BYPASS_GOVERNANCE_RETENTION, TIGRIS_ACTIONS } from "./actions.js";

/** The action names that grant an operation, unversioned and versioned. */
export interface Permission {
  /** Names granting the unversioned request. */
  readonly actions: readonly string[];
  /** Names granting the request when it names a version (AWS's …Version actions only). */
  readonly versionActions: readonly string[];
}

function dedupe(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    if (seen.has(lower)) continue;
    seen.add(lower);
    out.push(name);
  }
  return out;
}

function build(): Map<string, Permission> {
  const tigrisByOperation = new Map<string, string[]>();
  for (const [action, operations] of TIGRIS_ACTIONS) {
    for (const op of operations) {
      const list = tigrisByOperation.get(op);
      if (list === undefined) tigrisByOperation.set(op, [action]);
      else list.push(action);
    }
  }
  const permissions = new Map<string, Permission>();
  for (const row of OPERATIONS) {
    if (permissions.has(row.operation)) continue;
    const tigris = tigrisByOperation.get(row.operation) ?? [];
    // AWS's own action for an operation always grants it (a policy written the AWS way must work); the
    // Tigris names add to it and never grant an operation their row does not list.
    const actions = Object.freeze(dedupe([...row.actions, ...tigris]));
    const versionActions =
      row.versionActions === undefined ? actions : Object.freeze([...row.versionActions]);
    permissions.set(row.operation, Object.freeze({ actions, versionActions }));
  }
  const bypass = Object.freeze([BYPASS_GOVERNANCE_RETENTION]);
  permissions.set("BypassGovernanceRetention", { actions: bypass, versionActions: bypass });
  return permissions;
}

const PERMISSIONS = build();

/** The permission of an operation (or of `BypassGovernanceRetention`); throws on an unknown name. */
export function permissionOf(operation: string): Permission {
  const p = PERMISSIONS.get(operation);
  if (p === undefined) throw new TypeError(`no permission for operation ${operation}`);
  return p;
}

/** The action names granting `operation`, versioned or not. */
export function actionsFor(operation: string, versioned: boolean): readonly string[] {
  const p = permissionOf(operation);
  return versioned ? p.versionActions : p.actions;
}
