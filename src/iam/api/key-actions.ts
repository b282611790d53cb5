/**
 * Access key actions. In Tigris' model there are no IAM users: the UserName of these calls is the access key id,
 * and the key's tags are its user's tags.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
 */
import { IamError } from "../../errors.js";
import { accessKeyId, secretAccessKey } from "../../ids.js";
import type { KeyData, Tag } from "../store/index.js";
import { newestUse, sealSecret } from "../store/index.js";
import { byText, paginate, requireKey, userArn, type ActionSpec, type Call } from "./shared.js";

/** The reserved tag that sets a key's expiry: an ISO 8601 time after which the key stops working. */
export const EXPIRES_TAG = "s3gate:ExpiresAt";

const MAX_TAGS = 50;

/** The key a call names: AccessKeyId, else UserName (the same thing here); they must agree when both are given. */
function targetKey(call: Call, required: "AccessKeyId" | "UserName"): string {
  const id = call.params.opt("AccessKeyId");
  const user = call.params.opt("UserName");
  if (id !== undefined && user !== undefined && id !== user) {
    throw new IamError("NoSuchEntity", `The Access Key with id ${id} cannot be found for user ${user}.`);
  }
  const key = id ?? user;
  if (key === undefined) return call.params.req(required);
  return key;
}

/**
 * A key as ListAccessKeys shows it: AWS's members, `Status` `Expired` past its s3gate:ExpiresAt, and the name it
 * was created with (`Name`, an s3gate member the AWS SDKs skip).
 */
function keyMetadata(k: KeyData, now: number) {
  const expired = k.expiresAt !== undefined && now >= k.expiresAt;
  return {
    UserName: k.id,
    AccessKeyId: k.id,
    Status: expired ? "Expired" : k.status,
    CreateDate: new Date(k.createdAt),
    ...(k.name === undefined ? {} : { Name: k.name }),
  };
}

function expiryOf(tags: readonly Tag[]): number | undefined {
  const tag = tags.find((t) => t.Key === EXPIRES_TAG);
  if (tag === undefined) return undefined;
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(tag.Value)
    ? Date.parse(tag.Value)
    : Number.NaN;
  if (Number.isNaN(at))
    throw new IamError("InvalidInput", `${EXPIRES_TAG} must be an ISO 8601 time, e.g. 2030-01-01T00:00:00Z.`);
  return at;
}

function tagsFrom(call: Call): Tag[] {
  const tags = call.params.members("Tags").map((m) => ({ Key: m.req("Key"), Value: m.opt("Value") ?? "" }));
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128 || t.Value.length > 256 || /^aws:/i.test(t.Key)) {
      throw new IamError(
        "InvalidInput",
        `The tag ${t.Key} is not valid (key 1-128 characters, not aws:, value ≤ 256).`,
      );
    }
  }
  if (tags.length === 0)
    throw new IamError(
      "ValidationError",
      "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
    );
  return tags;
}

function withTags(k: KeyData, tags: Tag[]): KeyData {
  if (tags.length > MAX_TAGS)
    throw new IamError("LimitExceeded", `Cannot exceed quota for TagsPerUser: ${MAX_TAGS}`);
  const expiresAt = expiryOf(tags);
  const { expiresAt: _old, ...rest } = k;
  return expiresAt === undefined ? { ...rest, tags } : { ...rest, tags, expiresAt };
}

const keyResource = (call: Call): string => userArn(call, targetKey(call, "UserName"));

/** The key actions, by IAM action name. */
export const KEY_ACTIONS: ReadonlyMap<string, ActionSpec> = new Map<string, ActionSpec>([
  [
    "CreateAccessKey",
    {
      resource: (call) => userArn(call, "*"),
      async run(call) {
        const name = call.params.opt("UserName");
        const id = accessKeyId("S3GK");
        const secret = secretAccessKey();
        const now = call.deps.now();
        const data: KeyData = {
          id,
          sealedSecret: sealSecret(call.deps.master, id, secret),
          status: "Active",
          createdAt: now,
          ...(name === undefined ? {} : { name }),
          policies: [],
          tags: [],
        };
        await call.deps.replica.commit((tx) => tx.putKey(data));
        return {
          AccessKey: {
            UserName: id,
            AccessKeyId: id,
            Status: "Active",
            SecretAccessKey: secret,
            CreateDate: new Date(now),
            ...(name === undefined ? {} : { Name: name }),
          },
        };
      },
    },
  ],
  [
    "ListAccessKeys",
    {
      resource: (call) => userArn(call, call.params.opt("UserName") ?? "*"),
      run(call) {
        const user = call.params.opt("UserName");
        const state = call.deps.replica.state;
        const keys = user === undefined ? [...state.keys.values()] : [requireKey(state, user)];
        keys.sort((a, b) => byText(a.id, b.id));
        const { page, more } = paginate(keys, (k) => k.id, call.params);
        const now = call.deps.now();
        return { AccessKeyMetadata: page.map((k) => keyMetadata(k, now)), ...more };
      },
    },
  ],
  [
    "UpdateAccessKey",
    {
      resource: (call) => userArn(call, targetKey(call, "AccessKeyId")),
      async run(call) {
        const id = targetKey(call, "AccessKeyId");
        const status = call.params.req("Status") as "Active" | "Inactive";
        await call.deps.replica.commit((tx) => tx.putKey({ ...requireKey(tx, id), status }));
        return undefined;
      },
    },
  ],
  [
    "DeleteAccessKey",
    {
      resource: (call) => userArn(call, targetKey(call, "AccessKeyId")),
      async run(call) {
        const id = targetKey(call, "AccessKeyId");
        await call.deps.replica.commit((tx) => {
          requireKey(tx, id);
          tx.deleteKey(id);
        });
        return undefined;
      },
    },
  ],
  [
    "GetAccessKeyLastUsed",
    {
      resource: (call) => userArn(call, call.params.req("AccessKeyId")),
      async run(call) {
        const id = call.params.req("AccessKeyId");
        requireKey(call.deps.replica.state, id);
        const used = newestUse(call.deps.cache.lastUsed(id), await call.deps.peers?.lastUsed(id));
        return {
          UserName: id,
          AccessKeyLastUsed:
            used === undefined
              ? { ServiceName: "N/A", Region: "N/A" }
              : { LastUsedDate: new Date(used.at), ServiceName: used.service, Region: used.region },
        };
      },
    },
  ],
  [
    "TagUser",
    {
      resource: keyResource,
      async run(call) {
        const id = targetKey(call, "UserName");
        const added = tagsFrom(call);
        await call.deps.replica.commit((tx) => {
          const k = requireKey(tx, id);
          const tags = k.tags.filter((t) => !added.some((a) => a.Key === t.Key)).concat(added);
          tx.putKey(withTags(k, tags));
        });
        return undefined;
      },
    },
  ],
  [
    "UntagUser",
    {
      resource: keyResource,
      async run(call) {
        const id = targetKey(call, "UserName");
        const removed = new Set(call.params.list("TagKeys"));
        if (removed.size === 0) call.params.req("TagKeys.member.1");
        await call.deps.replica.commit((tx) => {
          const k = requireKey(tx, id);
          tx.putKey(
            withTags(
              k,
              k.tags.filter((t) => !removed.has(t.Key)),
            ),
          );
        });
        return undefined;
      },
    },
  ],
  [
    "ListUserTags",
    {
      resource: keyResource,
      run(call) {
        const k = requireKey(call.deps.replica.state, targetKey(call, "UserName"));
        const tags = [...k.tags].sort((a, b) => byText(a.Key, b.Key));
        const { page, more } = paginate(tags, (t) => t.Key, call.params);
        return { Tags: page.map((t) => ({ Key: t.Key, Value: t.Value })), ...more };
      },
    },
  ],
]);
