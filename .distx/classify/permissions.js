/**
 * The permission of each operation: the IAM action names that grant it, canonical AWS name first, then the
 * Tigris names whose table row lists the operation. A Tigris-only name never appears in the permission of an
 * operation its row does not list; a name AWS also defines keeps its AWS meaning (s3:PutObject → UploadPartCopy).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
 */
import { OPERATIONS } from "./operations.js";
import { BYPASS_GOVERNANCE_RETENTION, TIGRIS_ACTIONS } from "./actions.js";
function dedupe(names) {
    const seen = new Set();
    const out = [];
    for (const name of names) {
        const lower = name.toLowerCase();
        if (seen.has(lower))
            continue;
        seen.add(lower);
        out.push(name);
    }
    return out;
}
function build() {
    const tigrisByOperation = new Map();
    for (const [action, operations] of TIGRIS_ACTIONS) {
        for (const op of operations) {
            const list = tigrisByOperation.get(op);
            if (list === undefined)
                tigrisByOperation.set(op, [action]);
            else
                list.push(action);
        }
    }
    const permissions = new Map();
    for (const row of OPERATIONS) {
        if (permissions.has(row.operation))
            continue;
        const tigris = tigrisByOperation.get(row.operation) ?? [];
        // AWS's own action for an operation always grants it (a policy written the AWS way must work); the
        // Tigris names add to it and never grant an operation their row does not list.
        const actions = Object.freeze(dedupe([...row.actions, ...tigris]));
        const versionActions = row.versionActions === undefined ? actions : Object.freeze([...row.versionActions]);
        permissions.set(row.operation, Object.freeze({ actions, versionActions }));
    }
    const bypass = Object.freeze([BYPASS_GOVERNANCE_RETENTION]);
    permissions.set("BypassGovernanceRetention", { actions: bypass, versionActions: bypass });
    return permissions;
}
const PERMISSIONS = build();
/** The permission of an operation (or of `BypassGovernanceRetention`); throws on an unknown name. */
export function permissionOf(operation) {
    const p = PERMISSIONS.get(operation);
    if (p === undefined)
        throw new TypeError(`no permission for operation ${operation}`);
    return p;
}
/** The action names granting `operation`, versioned or not. */
export function actionsFor(operation, versioned) {
    const p = permissionOf(operation);
    return versioned ? p.versionActions : p.actions;
}
//# sourceMappingURL=permissions.js.map