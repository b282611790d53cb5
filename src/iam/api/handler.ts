/**
 * The IAM API: the action table, authorization of each call (the root key, or a key whose attached policies
 * allow `iam:<Action>` on the target), and the response. Requests arrive authenticated from the pipeline.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html
 */
import type { ServerResponse } from "node:http";
import type { Authenticated } from "../../authenticate/index.js";
import { decide, denialDetails, denialMessage } from "../../authorize/index.js";
import type { IamRequest } from "../../classify/index.js";
import { IamError } from "../../errors.js";
import type { ParsedRequest } from "../../request.js";
import { StoreUnavailableError } from "../store/index.js";
import { KEY_ACTIONS } from "./key-actions.js";
import { parseIamParams, type Params } from "./params.js";
import {
  auditChange,
  auditTargets,
  bounded,
  isReadOnlyAction,
  type AuditEntry,
} from "../../observe/audit.js";
import type { ConditionContext } from "../../types.js";
import { POLICY_ACTIONS } from "./policy-actions.js";
import type { IamBody } from "./read-body.js";
import { responseBody, wantsJson, writeIamResponse } from "./respond.js";
import { userArn, type ActionSpec, type Call, type IamApiDeps } from "./shared.js";
import { SIMULATE_ACTIONS } from "./simulate-actions.js";
import { VERSION_ACTIONS } from "./version-actions.js";
import { EXPLAIN_ACTIONS } from "./explain-actions.js";

export type { IamApiDeps } from "./shared.js";

/** Every served action, by its IAM name. */
export const ACTIONS: ReadonlyMap<string, ActionSpec> = new Map([
  ...KEY_ACTIONS,
  ...POLICY_ACTIONS,
  ...VERSION_ACTIONS,
  ...SIMULATE_ACTIONS,
  ...EXPLAIN_ACTIONS,
]);

/** Tigris-style names for the tag actions; authorized as the AWS action they stand for. */
const ALIASES = new Map([
  ["TagAccessKey", "TagUser"],
  ["UntagAccessKey", "UntagUser"],
  ["ListAccessKeyTags", "ListUserTags"],
]);

const API_VERSION = "2010-05-08";

/** One authenticated IAM request, as the pipeline hands it over. */
export interface IamCall {
  readonly res: ServerResponse;
  readonly parsed: ParsedRequest;
  readonly auth: Authenticated;
  readonly request: IamRequest;
  readonly body: IamBody;
  readonly requestId: string;
}

/** The IAM API handler: answers the call, or throws an IamError (the pipeline writes it). Returns the action name. */
export type IamApi = (call: IamCall) => Promise<string>;

/** Builds the IAM API over the store, the cache and the organization id. */
export function createIamApi(deps: IamApiDeps): IamApi {
  return async (call) => {
    const params = parseIamParams(call.parsed, call.body.bytes);
    const action = params.raw.get("Action") ?? "Unknown";
    const audit = (outcome: AuditEntry["outcome"], error?: IamError, result?: unknown): void => {
      if (deps.audit?.enabled !== true) return;
      if (outcome === "success" && isReadOnlyAction(action)) return;
      deps.audit.write({
        time: new Date(deps.now()).toISOString(),
        log: "audit",
        requestId: call.requestId,
        actor: call.auth.principal.accessKeyId,
        actorVerified: true,
        sourceIp: sourceIpOf(call.request.context),
        action: bounded(action),
        targets: auditTargets(params.raw),
        change: outcome === "success" ? auditChange(action, params.raw, result) : undefined,
        outcome,
        error: error?.code,
        reason: error === undefined ? undefined : bounded(error.message),
      });
    };
    try {
      const result = await serve(deps, call, params);
      audit("success", undefined, result);
    } catch (err) {
      const e = err instanceof IamError ? err : new IamError("ServiceFailure");
      audit(e.code === "AccessDenied" ? "denied" : "failed", e);
      throw err;
    }
    return action;
  };
}

/** The aws:SourceIp of a request's condition context. */
export const sourceIpOf = (context: ConditionContext): string => context.get("aws:sourceip")?.[0] ?? "";

/** Serves one call; resolves with the action's result (what the response was written from). */
async function serve(
  deps: IamApiDeps,
  { res, parsed, auth, request, requestId }: IamCall,
  params: Params,
): Promise<unknown> {
  const action = params.opt("Action");
  if (action === undefined) throw new IamError("MissingAction", "Missing Action");
  const version = params.opt("Version");
  const name = ALIASES.get(action) ?? action;
  const spec = ACTIONS.get(name);
  if (spec === undefined || (version !== undefined && version !== API_VERSION)) {
    throw new IamError(
      "InvalidAction",
      `Could not find operation ${action} for version ${version ?? API_VERSION}`,
    );
  }
  if (!deps.replica.loaded) throw new IamError("ServiceUnavailable", "The key store has not loaded yet.");
  const call: Call = { deps, params, caller: auth.principal, context: request.context, requestId };
  if (!auth.principal.isRoot) authorize(call, name, spec);
  let result;
  try {
    result = await spec.run(call);
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw new IamError("ServiceUnavailable", err.message);
    throw err;
  }
  const json = wantsJson(parsed);
  writeIamResponse(res, responseBody(action, result, requestId, json), json, requestId);
  return result;
}

/** Allows the call only when the caller's attached policies allow `iam:<name>` on the target; fails closed. */
function authorize(call: Call, name: string, spec: ActionSpec): void {
  const id = call.caller.accessKeyId;
  const resource = spec.resource(call);
  let context = call.context;
  const extra = spec.conditions?.(call);
  if (extra !== undefined && extra.length > 0) {
    const merged = new Map(call.context);
    for (const [k, v] of extra) merged.set(k, v);
    context = merged;
  }
  const decision = decide(call.deps.cache.principalPolicies(id), {
    checks: [{ actions: [`iam:${name}`], resource }],
    context,
  });
  if (!decision.allowed) {
    call.deps.denials?.record({
      requestId: call.requestId,
      at: call.deps.now(),
      accessKeyId: id,
      operation: name,
      bucket: undefined,
      key: undefined,
      sourceIp: sourceIpOf(call.context),
      details: denialDetails(decision.deciding),
      needed: [{ action: `iam:${name}`, resource }],
    });
    throw new IamError("AccessDenied", denialMessage(userArn(call, id), decision.deciding, "iam"));
  }
}

/**
 * The action an IAM request names, read before it is authenticated (for its log lines and metrics): a served
 * action's name, or undefined (the name is the client's, and metric labels must stay bounded).
 */
export function iamActionName(req: ParsedRequest, body: { readonly bytes: Buffer }): string | undefined {
  let action: string | undefined;
  try {
    action = parseIamParams(req, body.bytes).raw.get("Action");
  } catch {
    return undefined;
  }
  return action !== undefined && ACTIONS.has(ALIASES.get(action) ?? action) ? action : undefined;
}
