/**
 * Managed policy actions: create, list, get, delete; attach and detach to keys; who a policy is attached to.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachUserPolicy.html
 */
import { policyId } from "../../ids.js";
import { IamError } from "../../errors.js";
import { isManagedArn, MANAGED_POLICIES } from "../managed-policies.js";
import type { PolicyData } from "../store/index.js";
import { compileDocument } from "./policy-document.js";
import {
  attachmentCount,
  byText,
  checkPolicyArn,
  paginate,
  policyArn,
  policyOut,
  requireKey,
  requirePolicy,
  userArn,
  type ActionSpec,
  type Call,
} from "./shared.js";

/** AWS's default quota of managed policies attached to one user (here: one key). */
export const MAX_POLICIES_PER_KEY = 10;

function readOnly(arn: string): void {
  if (isManagedArn(arn))
    throw new IamError("InvalidInput", `Policy ${arn} is a prebuilt policy and cannot be changed.`);
}

const arnParam = (call: Call): string => checkPolicyArn(call.params.req("PolicyArn"));
const attachConditions = (call: Call): [string, string[]][] => [["iam:policyarn", [arnParam(call)]]];

/** Every policy a listing may show: prebuilt (Scope AWS) then stored (Scope Local). */
function allPolicies(call: Call, scope: string): PolicyData[] {
  const out: PolicyData[] = [];
  if (scope !== "Local") out.push(...MANAGED_POLICIES.values());
  if (scope !== "AWS") out.push(...call.deps.replica.state.policies.values());
  return out;
}

/** The policy actions, by IAM action name. */
export const POLICY_ACTIONS: ReadonlyMap<string, ActionSpec> = new Map<string, ActionSpec>([
  [
    "CreatePolicy",
    {
      resource: (call) => policyArn(call, call.params.opt("Path") ?? "/", call.params.req("PolicyName")),
      async run(call) {
        const name = call.params.req("PolicyName");
        const path = call.params.opt("Path") ?? "/";
        const description = call.params.opt("Description");
        const document = call.params.req("PolicyDocument");
        const arn = policyArn(call, path, name);
        compileDocument(document, arn, "v1");
        const tags = call.params
          .members("Tags")
          .map((m) => ({ Key: m.req("Key"), Value: m.opt("Value") ?? "" }));
        const now = call.deps.now();
        const created = await call.deps.replica.commit((tx) => {
          // Policy names are unique in the account whatever their path, as in AWS.
          for (const p of tx.base.policies.values()) {
            if (p.name === name && tx.policy(p.arn) !== undefined) {
              throw new IamError(
                "EntityAlreadyExists",
                `A policy called ${name} already exists. Duplicate names are not allowed.`,
              );
            }
          }
          const data: PolicyData = {
            arn,
            policyId: policyId(),
            name,
            path,
            ...(description === undefined ? {} : { description }),
            createdAt: now,
            updatedAt: now,
            defaultVersionId: "v1",
            nextVersion: 2,
            versions: [{ versionId: "v1", document, createdAt: now }],
            tags,
          };
          tx.putPolicy(data);
          return data;
        });
        return { Policy: policyOut(created, 0) };
      },
    },
  ],
  [
    "ListPolicies",
    {
      resource: (call) => policyArn(call, "/", "*"),
      run(call) {
        const scope = call.params.opt("Scope") ?? "All";
        const prefix = call.params.opt("PathPrefix") ?? "/";
        const onlyAttached = call.params.bool("OnlyAttached", false);
        call.params.opt("PolicyUsageFilter");
        const state = call.deps.replica.state;
        const counts = new Map<string, number>();
        for (const k of state.keys.values())
          for (const arn of k.policies) counts.set(arn, (counts.get(arn) ?? 0) + 1);
        const policies = allPolicies(call, scope)
          .filter((p) => p.path.startsWith(prefix) && (!onlyAttached || (counts.get(p.arn) ?? 0) > 0))
          .sort((a, b) => byText(a.arn, b.arn));
        const { page, more } = paginate(policies, (p) => p.arn, call.params);
        return { Policies: page.map((p) => policyOut(p, counts.get(p.arn) ?? 0)), ...more };
      },
    },
  ],
  [
    "GetPolicy",
    {
      resource: arnParam,
      run(call) {
        const state = call.deps.replica.state;
        const p = requirePolicy(state, arnParam(call));
        return { Policy: policyOut(p, attachmentCount(state, p.arn)) };
      },
    },
  ],
  [
    "DeletePolicy",
    {
      resource: arnParam,
      async run(call) {
        const arn = arnParam(call);
        readOnly(arn);
        await call.deps.replica.commit((tx) => {
          const p = requirePolicy(tx, arn);
          for (const k of tx.keys()) {
            if (k.policies.includes(arn))
              throw new IamError("DeleteConflict", "Cannot delete a policy attached to entities.");
          }
          if (p.versions.length > 1) {
            throw new IamError(
              "DeleteConflict",
              "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
            );
          }
          tx.deletePolicy(arn);
        });
        return undefined;
      },
    },
  ],
  [
    "AttachUserPolicy",
    {
      resource: (call) => userArn(call, call.params.req("UserName")),
      conditions: attachConditions,
      async run(call) {
        const id = call.params.req("UserName");
        const arn = arnParam(call);
        await call.deps.replica.commit((tx) => {
          const k = requireKey(tx, id);
          requirePolicy(tx, arn);
          if (k.policies.includes(arn)) return;
          if (k.policies.length >= MAX_POLICIES_PER_KEY) {
            throw new IamError(
              "LimitExceeded",
              `Cannot exceed quota for PoliciesPerUser: ${MAX_POLICIES_PER_KEY}`,
            );
          }
          tx.putKey({ ...k, policies: [...k.policies, arn] });
        });
        return undefined;
      },
    },
  ],
  [
    "DetachUserPolicy",
    {
      resource: (call) => userArn(call, call.params.req("UserName")),
      conditions: attachConditions,
      async run(call) {
        const id = call.params.req("UserName");
        const arn = arnParam(call);
        await call.deps.replica.commit((tx) => {
          const k = requireKey(tx, id);
          if (!k.policies.includes(arn)) throw new IamError("NoSuchEntity", `Policy ${arn} was not found.`);
          tx.putKey({ ...k, policies: k.policies.filter((a) => a !== arn) });
        });
        return undefined;
      },
    },
  ],
  [
    "ListUserPolicies",
    {
      // Tigris answers with the policies attached to the key (AWS: its inline policies, which keys do not have).
      resource: (call) => userArn(call, call.params.req("UserName")),
      run(call) {
        const state = call.deps.replica.state;
        const k = requireKey(state, call.params.req("UserName"));
        const names = k.policies.map((arn) => requirePolicy(state, arn).name).sort(byText);
        const { page, more } = paginate(names, (n) => n, call.params);
        return { PolicyNames: page, ...more };
      },
    },
  ],
  [
    "ListAttachedUserPolicies",
    {
      resource: (call) => userArn(call, call.params.req("UserName")),
      run(call) {
        const state = call.deps.replica.state;
        const k = requireKey(state, call.params.req("UserName"));
        const prefix = call.params.opt("PathPrefix") ?? "/";
        const attached = k.policies
          .map((arn) => requirePolicy(state, arn))
          .filter((p) => p.path.startsWith(prefix))
          .sort((a, b) => byText(a.arn, b.arn));
        const { page, more } = paginate(attached, (p) => p.arn, call.params);
        return { AttachedPolicies: page.map((p) => ({ PolicyName: p.name, PolicyArn: p.arn })), ...more };
      },
    },
  ],
  [
    "ListEntitiesForPolicy",
    {
      resource: arnParam,
      run(call) {
        const state = call.deps.replica.state;
        const arn = arnParam(call);
        requirePolicy(state, arn);
        const filter = call.params.opt("EntityFilter");
        call.params.opt("PathPrefix");
        const users =
          filter === undefined || filter === "User"
            ? [...state.keys.values()]
                .filter((k) => k.policies.includes(arn))
                .sort((a, b) => byText(a.id, b.id))
            : [];
        const { page, more } = paginate(users, (k) => k.id, call.params);
        return {
          PolicyGroups: [],
          PolicyUsers: page.map((k) => ({ UserName: k.id, UserId: k.id })),
          PolicyRoles: [],
          ...more,
        };
      },
    },
  ],
]);
