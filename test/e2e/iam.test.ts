/**
 * The IAM API end to end: @aws-sdk/client-iam against s3gate in front of a real S3 server, through every
 * operation, its errors and its pagination; the seed's workflow (no permissions → attach → detach → disable →
 * delete) as far as the data path authorizes today; the JSON protocol, raw errors, and who may call what.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeleteAccessKeyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  SetDefaultPolicyVersionCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { ListBucketsCommand, CreateBucketCommand } from "@aws-sdk/client-s3";
import { ROOT_KEY, startRig, type Rig } from "../helpers/backend.js";
import { code, iamClient, rawIam, s3Client, type Creds } from "../iam/helpers.js";

const ORG = "123456789012";
let rig: Rig;
let root: IAMClient;

const READ_ONLY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Read",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: "arn:aws:s3:::images/*",
    },
  ],
});

async function newKey(): Promise<Creds> {
  const out = await root.send(new CreateAccessKeyCommand({}));
  return { accessKeyId: out.AccessKey!.AccessKeyId!, secretAccessKey: out.AccessKey!.SecretAccessKey! };
}

async function newPolicy(name: string, doc = READ_ONLY, path?: string): Promise<string> {
  const out = await root.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: doc, Path: path }));
  return out.Policy!.Arn!;
}

beforeAll(async () => {
  rig = await startRig({ S3GATE_ORGANIZATION_ID: ORG });
  root = iamClient(rig.endpoint, ROOT_KEY);
});
afterAll(async () => {
  await rig.stop();
});

describe("the seed's workflow", () => {
  it("no permissions → attach → detach → disable → delete", async () => {
    const key = await newKey();
    const s3 = s3Client(rig.endpoint, key);
    const iam = iamClient(rig.endpoint, key);
    // A new key can do nothing.
    expect(await code(s3.send(new ListBucketsCommand({})))).toBe("AccessDenied");
    expect(await code(iam.send(new ListPoliciesCommand({})))).toBe("AccessDenied");
    // Attach a policy: the cache holds its compiled form for the data path.
    const arn = await newPolicy("workflow-read");
    await root.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: arn }));
    expect(rig.gateway.iam.cache.principalPolicies(key.accessKeyId).map((p) => p.id)).toEqual([arn]);
    // Detach: nothing again.
    await root.send(new DetachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: arn }));
    expect(rig.gateway.iam.cache.principalPolicies(key.accessKeyId)).toEqual([]);
    // Disable: refused at authentication, on both APIs.
    await root.send(
      new UpdateAccessKeyCommand({
        UserName: key.accessKeyId,
        AccessKeyId: key.accessKeyId,
        Status: "Inactive",
      }),
    );
    expect(await code(s3.send(new ListBucketsCommand({})))).toBe("InvalidAccessKeyId");
    expect(await code(iam.send(new ListPoliciesCommand({})))).toBe("InvalidClientTokenId");
    // Enable again: authenticates (and is denied by policy, having none).
    await root.send(new UpdateAccessKeyCommand({ AccessKeyId: key.accessKeyId, Status: "Active" }));
    expect(await code(s3.send(new ListBucketsCommand({})))).toBe("AccessDenied");
    // Delete: unknown key.
    await root.send(new DeleteAccessKeyCommand({ AccessKeyId: key.accessKeyId }));
    expect(await code(s3.send(new ListBucketsCommand({})))).toBe("InvalidAccessKeyId");
    expect(await code(root.send(new DeleteAccessKeyCommand({ AccessKeyId: key.accessKeyId })))).toBe(
      "NoSuchEntity",
    );
  });
});

describe("access keys", () => {
  it("CreateAccessKey returns the secret once; ListAccessKeys never does", async () => {
    const out = await root.send(new CreateAccessKeyCommand({ UserName: "ci-uploader" }));
    const k = out.AccessKey!;
    expect(k.AccessKeyId).toMatch(/^S3GK[A-Z2-7]{16}$/);
    expect(k.SecretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(k.UserName).toBe(k.AccessKeyId);
    expect(k.Status).toBe("Active");
    const list = await root.send(new ListAccessKeysCommand({ UserName: k.AccessKeyId }));
    expect(list.AccessKeyMetadata).toEqual([
      { UserName: k.AccessKeyId, AccessKeyId: k.AccessKeyId, Status: "Active", CreateDate: k.CreateDate },
    ]);
    expect(JSON.stringify(list)).not.toContain(k.SecretAccessKey);
  });

  it("paginates ListAccessKeys with Marker and MaxItems", async () => {
    for (let i = 0; i < 3; i++) await newKey();
    const all = (await root.send(new ListAccessKeysCommand({ MaxItems: 1000 }))).AccessKeyMetadata!;
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await root.send(new ListAccessKeysCommand({ MaxItems: 2, Marker: marker }));
      expect(page.AccessKeyMetadata!.length).toBeLessThanOrEqual(2);
      seen.push(...page.AccessKeyMetadata!.map((k) => k.AccessKeyId!));
      marker = page.IsTruncated === true ? page.Marker : undefined;
      if (page.IsTruncated === true) expect(page.Marker).toBeDefined();
      pages++;
    } while (marker !== undefined);
    expect(seen).toEqual(all.map((k) => k.AccessKeyId));
    expect(pages).toBe(Math.ceil(all.length / 2));
  });

  it.each([
    [
      "UpdateAccessKey on an unknown key",
      () => new UpdateAccessKeyCommand({ AccessKeyId: "S3GKAAAAAAAAAAAAAAAA", Status: "Inactive" }),
      "NoSuchEntity",
    ],
    [
      "UpdateAccessKey with a bad status",
      () => new UpdateAccessKeyCommand({ AccessKeyId: "S3GKAAAAAAAAAAAAAAAA", Status: "Paused" as "Active" }),
      "ValidationError",
    ],
    ["ListAccessKeys MaxItems 0", () => new ListAccessKeysCommand({ MaxItems: 0 }), "ValidationError"],
    [
      "ListAccessKeys with a forged Marker",
      () => new ListAccessKeysCommand({ Marker: "not a marker" }),
      "InvalidInput",
    ],
    [
      "GetAccessKeyLastUsed of an unknown key",
      () => new GetAccessKeyLastUsedCommand({ AccessKeyId: "S3GKAAAAAAAAAAAAAAAA" }),
      "NoSuchEntity",
    ],
  ])("%s → %s", async (_name, command, expected) => {
    expect(await code(root.send(command() as never))).toBe(expected);
  });

  it("tracks last use in memory and answers GetAccessKeyLastUsed", async () => {
    const key = await newKey();
    const before = await root.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }));
    expect(before.AccessKeyLastUsed).toMatchObject({ ServiceName: "N/A", Region: "N/A" });
    expect(before.AccessKeyLastUsed!.LastUsedDate).toBeUndefined();
    const revision = rig.gateway.iam.replica.state.rev;
    await code(s3Client(rig.endpoint, key).send(new ListBucketsCommand({})));
    const after = await root.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }));
    expect(after.UserName).toBe(key.accessKeyId);
    expect(after.AccessKeyLastUsed).toMatchObject({ ServiceName: "s3", Region: "us-east-1" });
    expect(after.AccessKeyLastUsed!.LastUsedDate).toBeInstanceOf(Date);
    // No store write per request: only the batch flush writes.
    expect(rig.gateway.iam.replica.state.rev).toBe(revision);
    await rig.gateway.iam.cache.flushUsage();
    expect(rig.gateway.iam.replica.state.rev).toBe(revision + 1);
    expect(rig.gateway.iam.replica.state.keys.get(key.accessKeyId)!.lastUsed?.service).toBe("s3");
  });

  it("tags a key (TagUser/UntagUser/ListUserTags) and honours the expiry tag", async () => {
    const key = await newKey();
    const s3 = s3Client(rig.endpoint, key);
    await root.send(
      new TagUserCommand({
        UserName: key.accessKeyId,
        Tags: [
          { Key: "team", Value: "data" },
          { Key: "env", Value: "ci" },
        ],
      }),
    );
    const tags = await root.send(new ListUserTagsCommand({ UserName: key.accessKeyId }));
    expect(tags.Tags).toEqual([
      { Key: "env", Value: "ci" },
      { Key: "team", Value: "data" },
    ]);
    await root.send(new UntagUserCommand({ UserName: key.accessKeyId, TagKeys: ["env"] }));
    expect((await root.send(new ListUserTagsCommand({ UserName: key.accessKeyId }))).Tags).toEqual([
      { Key: "team", Value: "data" },
    ]);
    expect(
      await code(
        root.send(
          new TagUserCommand({
            UserName: key.accessKeyId,
            Tags: [{ Key: "s3gate:ExpiresAt", Value: "soon" }],
          }),
        ),
      ),
    ).toBe("InvalidInput");
    // Expired: refused like a deleted key.
    expect(await code(s3.send(new ListBucketsCommand({})))).toBe("AccessDenied");
    await root.send(
      new TagUserCommand({
        UserName: key.accessKeyId,
        Tags: [{ Key: "s3gate:ExpiresAt", Value: "2001-01-01T00:00:00Z" }],
      }),
    );
    expect(await code(s3.send(new ListBucketsCommand({})))).toBe("InvalidAccessKeyId");
    await root.send(new UntagUserCommand({ UserName: key.accessKeyId, TagKeys: ["s3gate:ExpiresAt"] }));
    expect(await code(s3.send(new ListBucketsCommand({})))).toBe("AccessDenied");
    await root.send(
      new TagUserCommand({
        UserName: key.accessKeyId,
        Tags: [{ Key: "s3gate:ExpiresAt", Value: "2999-01-01T00:00:00Z" }],
      }),
    );
    expect(await code(s3.send(new ListBucketsCommand({})))).toBe("AccessDenied");
  });
});

describe("policies", () => {
  it("CreatePolicy / GetPolicy / GetPolicyVersion: ARN with path, description, URL-encoded document", async () => {
    const doc = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::a b/*" }],
    });
    const created = await root.send(
      new CreatePolicyCommand({
        PolicyName: "with-path",
        Path: "/team/data/",
        Description: "reads a b",
        PolicyDocument: doc,
      }),
    );
    const p = created.Policy!;
    expect(p.Arn).toBe(`arn:aws:iam::${ORG}:policy/team/data/with-path`);
    expect(p).toMatchObject({
      PolicyName: "with-path",
      Path: "/team/data/",
      DefaultVersionId: "v1",
      AttachmentCount: 0,
      IsAttachable: true,
      Description: "reads a b",
    });
    expect(p.PolicyId).toMatch(/^ANPA[A-Z2-7]{17}$/);
    expect((await root.send(new GetPolicyCommand({ PolicyArn: p.Arn }))).Policy).toEqual(p);
    const v = await root.send(new GetPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v1" }));
    expect(v.PolicyVersion!.Document).toBe(encodeURIComponent(doc));
    expect(decodeURIComponent(v.PolicyVersion!.Document!)).toBe(doc);
    expect(v.PolicyVersion!.IsDefaultVersion).toBe(true);
  });

  it.each([
    [
      "unknown action",
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:Teleport", Resource: "*" }] },
      /Statement\[0\]\.Action: unknown action "s3:Teleport"/,
    ],
    [
      "Principal",
      {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }],
      },
      /Principal is not allowed/,
    ],
    [
      "bad effect",
      { Version: "2012-10-17", Statement: [{ Effect: "Maybe", Action: "s3:*", Resource: "*" }] },
      /Effect must be/,
    ],
  ])("MalformedPolicyDocument with the validator's message: %s", async (_name, doc, message) => {
    const err = await root
      .send(
        new CreatePolicyCommand({
          PolicyName: `bad-${Math.random().toString(36).slice(2)}`,
          PolicyDocument: JSON.stringify(doc),
        }),
      )
      .catch((e: Error) => e);
    expect((err as Error).name).toBe("MalformedPolicyDocumentException");
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    [
      "duplicate name",
      async () => {
        await newPolicy("dup");
        return root.send(
          new CreatePolicyCommand({ PolicyName: "dup", PolicyDocument: READ_ONLY, Path: "/other/" }),
        );
      },
      "EntityAlreadyExists",
    ],
    [
      "GetPolicy of an unknown ARN",
      () => root.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${ORG}:policy/nope` })),
      "NoSuchEntity",
    ],
    [
      "GetPolicy of a malformed ARN",
      () => root.send(new GetPolicyCommand({ PolicyArn: "arn:aws:s3:::bucket/with/long/name" })),
      "InvalidInput",
    ],
    [
      "a bad policy name",
      () => root.send(new CreatePolicyCommand({ PolicyName: "no spaces", PolicyDocument: READ_ONLY })),
      "ValidationError",
    ],
    [
      "a bad path",
      () =>
        root.send(new CreatePolicyCommand({ PolicyName: "p", Path: "nopath", PolicyDocument: READ_ONLY })),
      "ValidationError",
    ],
    [
      "attach to an unknown key",
      () =>
        root.send(
          new AttachUserPolicyCommand({
            UserName: "S3GKAAAAAAAAAAAAAAAA",
            PolicyArn: "arn:aws:iam::aws:policy/Member",
          }),
        ),
      "NoSuchEntity",
    ],
    [
      "attach an unknown policy",
      async () => {
        const k = await newKey();
        return root.send(
          new AttachUserPolicyCommand({
            UserName: k.accessKeyId,
            PolicyArn: `arn:aws:iam::${ORG}:policy/nope`,
          }),
        );
      },
      "NoSuchEntity",
    ],
    [
      "detach a policy that is not attached",
      async () => {
        const k = await newKey();
        return root.send(
          new DetachUserPolicyCommand({
            UserName: k.accessKeyId,
            PolicyArn: "arn:aws:iam::aws:policy/Member",
          }),
        );
      },
      "NoSuchEntity",
    ],
    [
      "delete a prebuilt policy",
      () => root.send(new DeletePolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/Admin" })),
      "InvalidInput",
    ],
    [
      "version a prebuilt policy",
      () =>
        root.send(
          new CreatePolicyVersionCommand({
            PolicyArn: "arn:aws:iam::aws:policy/Member",
            PolicyDocument: READ_ONLY,
          }),
        ),
      "InvalidInput",
    ],
  ])("%s → %s", async (_name, run, expected) => {
    expect(await code(run())).toBe(expected);
  });

  it("attachments: ListAttachedUserPolicies, ListUserPolicies, ListEntitiesForPolicy, DeleteConflict, LimitExceeded", async () => {
    const key = await newKey();
    const arns: string[] = [];
    for (let i = 0; i < 10; i++)
      arns.push(await newPolicy(`attach-${i}`, READ_ONLY, i % 2 === 0 ? "/even/" : "/"));
    for (const arn of arns)
      await root.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: arn }));
    // Attaching twice is a no-op, as in AWS.
    await root.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: arns[0] }));
    expect(
      await code(
        root.send(
          new AttachUserPolicyCommand({
            UserName: key.accessKeyId,
            PolicyArn: "arn:aws:iam::aws:policy/Member",
          }),
        ),
      ),
    ).toBe("LimitExceeded");
    const attached = await root.send(new ListAttachedUserPoliciesCommand({ UserName: key.accessKeyId }));
    expect(attached.AttachedPolicies!.map((p) => p.PolicyArn).sort()).toEqual([...arns].sort());
    const even = await root.send(
      new ListAttachedUserPoliciesCommand({ UserName: key.accessKeyId, PathPrefix: "/even/" }),
    );
    expect(even.AttachedPolicies!.length).toBe(5);
    const page = await root.send(
      new ListAttachedUserPoliciesCommand({ UserName: key.accessKeyId, MaxItems: 4 }),
    );
    expect(page.AttachedPolicies!.length).toBe(4);
    expect(page.IsTruncated).toBe(true);
    const names = await root.send(new ListUserPoliciesCommand({ UserName: key.accessKeyId }));
    expect(names.PolicyNames!.sort()).toEqual(arns.map((_, i) => `attach-${i}`).sort());
    const entities = await root.send(new ListEntitiesForPolicyCommand({ PolicyArn: arns[3] }));
    expect(entities.PolicyUsers).toEqual([{ UserName: key.accessKeyId, UserId: key.accessKeyId }]);
    expect(entities.PolicyGroups).toEqual([]);
    expect((await root.send(new GetPolicyCommand({ PolicyArn: arns[3] }))).Policy!.AttachmentCount).toBe(1);
    expect(await code(root.send(new DeletePolicyCommand({ PolicyArn: arns[3] })))).toBe("DeleteConflict");
    await root.send(new DetachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: arns[3] }));
    await root.send(new DeletePolicyCommand({ PolicyArn: arns[3] }));
    expect(await code(root.send(new GetPolicyCommand({ PolicyArn: arns[3] })))).toBe("NoSuchEntity");
    expect(rig.gateway.iam.cache.principalPolicies(key.accessKeyId).length).toBe(9);
  });

  it("ListPolicies: scopes, path prefix, OnlyAttached, pagination", async () => {
    const aws = await root.send(new ListPoliciesCommand({ Scope: "AWS" }));
    expect(aws.Policies!.map((p) => p.Arn)).toEqual([
      "arn:aws:iam::aws:policy/Admin",
      "arn:aws:iam::aws:policy/Member",
    ]);
    for (let i = 0; i < 5; i++) await newPolicy(`listed-${i}`, READ_ONLY, "/listed/");
    const prefixed = await root.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/listed/" }));
    expect(prefixed.Policies!.map((p) => p.PolicyName)).toEqual([0, 1, 2, 3, 4].map((i) => `listed-${i}`));
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await root.send(
        new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/listed/", MaxItems: 2, Marker: marker }),
      );
      names.push(...page.Policies!.map((p) => p.PolicyName!));
      marker = page.IsTruncated === true ? page.Marker : undefined;
    } while (marker !== undefined);
    expect(names).toEqual([0, 1, 2, 3, 4].map((i) => `listed-${i}`));
    const onlyAttached = await root.send(
      new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/listed/", OnlyAttached: true }),
    );
    expect(onlyAttached.Policies).toEqual([]);
  });

  it("versions: create up to five, list, set default, delete, and DeletePolicy's conflicts", async () => {
    const arn = await newPolicy("versioned");
    for (let i = 2; i <= 5; i++) {
      const v = await root.send(
        new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: READ_ONLY, SetAsDefault: i === 3 }),
      );
      expect(v.PolicyVersion).toMatchObject({ VersionId: `v${i}`, IsDefaultVersion: i === 3 });
    }
    expect(
      await code(root.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: READ_ONLY }))),
    ).toBe("LimitExceeded");
    const list = await root.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    expect(list.Versions!.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([
      ["v5", false],
      ["v4", false],
      ["v3", true],
      ["v2", false],
      ["v1", false],
    ]);
    expect((await root.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.DefaultVersionId).toBe("v3");
    expect(await code(root.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v3" })))).toBe(
      "DeleteConflict",
    );
    expect(
      await code(root.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v9" }))),
    ).toBe("NoSuchEntity");
    await root.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v5" }));
    expect(await code(root.send(new DeletePolicyCommand({ PolicyArn: arn })))).toBe("DeleteConflict");
    for (const v of ["v1", "v2", "v3", "v4"])
      await root.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    // Version ids are never reused.
    const v6 = await root.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: READ_ONLY }));
    expect(v6.PolicyVersion!.VersionId).toBe("v6");
    await root.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v6" }));
    await root.send(new DeletePolicyCommand({ PolicyArn: arn }));
  });

  it("a new default version reaches the cache's compiled policies", async () => {
    const key = await newKey();
    const arn = await newPolicy("edited");
    await root.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: arn }));
    expect(rig.gateway.iam.cache.principalPolicies(key.accessKeyId)[0]!.version).toBe("v1");
    await root.send(
      new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: READ_ONLY, SetAsDefault: true }),
    );
    expect(rig.gateway.iam.cache.principalPolicies(key.accessKeyId)[0]!.version).toBe("v2");
  });
});

describe("simulation", () => {
  it("SimulatePrincipalPolicy and SimulateCustomPolicy answer with the deciding statements", async () => {
    const key = await newKey();
    const arn = await newPolicy(
      "simulated",
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "ReadImages", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::images/*" },
          { Sid: "NoSecrets", Effect: "Deny", Action: "s3:*", Resource: "arn:aws:s3:::images/secret/*" },
        ],
      }),
    );
    await root.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: arn }));
    const out = await root.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${ORG}:user/${key.accessKeyId}`,
        ActionNames: ["s3:GetObject", "s3:PutObject"],
        ResourceArns: ["arn:aws:s3:::images/cat.png", "arn:aws:s3:::images/secret/x"],
      }),
    );
    expect(
      out.EvaluationResults!.map((r) => [
        r.EvalActionName,
        r.EvalResourceName,
        r.EvalDecision,
        r.MatchedStatements?.[0]?.SourcePolicyId,
      ]),
    ).toEqual([
      ["s3:GetObject", "arn:aws:s3:::images/cat.png", "allowed", arn],
      ["s3:GetObject", "arn:aws:s3:::images/secret/x", "explicitDeny", arn],
      ["s3:PutObject", "arn:aws:s3:::images/cat.png", "implicitDeny", undefined],
      ["s3:PutObject", "arn:aws:s3:::images/secret/x", "explicitDeny", arn],
    ]);
    const custom = await root.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: "s3:ListBucket",
                Resource: "*",
                Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
              },
            ],
          }),
        ],
        ActionNames: ["s3:ListBucket"],
        ContextEntries: [
          { ContextKeyName: "aws:SourceIp", ContextKeyType: "ip", ContextKeyValues: ["10.1.2.3"] },
        ],
      }),
    );
    expect(custom.EvaluationResults![0]).toMatchObject({ EvalDecision: "allowed", EvalResourceName: "*" });
    expect(custom.EvaluationResults![0]!.MatchedStatements![0]).toMatchObject({
      SourcePolicyId: "PolicyInputList.1",
      SourcePolicyType: "IAM Policy",
    });
    expect(
      await code(
        root.send(new SimulateCustomPolicyCommand({ PolicyInputList: ["{"], ActionNames: ["s3:GetObject"] })),
      ),
    ).toBe("MalformedPolicyDocument");
    expect(
      await code(
        root.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: `arn:aws:iam::${ORG}:user/S3GKAAAAAAAAAAAAAAAA`,
            ActionNames: ["s3:GetObject"],
          }),
        ),
      ),
    ).toBe("NoSuchEntity");
  });
});

describe("who may call the IAM API", () => {
  it("a key needs iam:<Action> on the target from its own policies; Admin can do everything; Member nothing on IAM", async () => {
    const key = await newKey();
    const iam = iamClient(rig.endpoint, key);
    const lister = await newPolicy(
      "iam-lister",
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["iam:ListPolicies", "iam:GetPolicy"], Resource: "*" }],
      }),
    );
    await root.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: lister }));
    expect(await code(iam.send(new ListPoliciesCommand({})))).toBe("ok");
    expect(
      await code(iam.send(new CreatePolicyCommand({ PolicyName: "sneaky", PolicyDocument: READ_ONLY }))),
    ).toBe("AccessDenied");
    // It cannot give itself more: attaching needs iam:AttachUserPolicy.
    expect(
      await code(
        iam.send(
          new AttachUserPolicyCommand({
            UserName: key.accessKeyId,
            PolicyArn: "arn:aws:iam::aws:policy/Admin",
          }),
        ),
      ),
    ).toBe("AccessDenied");
    const err = await iam.send(new CreateAccessKeyCommand({})).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `User: arn:aws:iam::${ORG}:user/${key.accessKeyId} is not authorized to perform: iam:CreateAccessKey on resource: arn:aws:iam::${ORG}:user/* because no identity-based policy allows the iam:CreateAccessKey action`,
    );
    // Member: S3 bucket listing/creation only, no IAM.
    await root.send(
      new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: "arn:aws:iam::aws:policy/Member" }),
    );
    expect(await code(iam.send(new CreateAccessKeyCommand({})))).toBe("AccessDenied");
    // Admin: the whole IAM API.
    await root.send(
      new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: "arn:aws:iam::aws:policy/Admin" }),
    );
    const made = await iam.send(new CreateAccessKeyCommand({}));
    expect(made.AccessKey!.AccessKeyId).toBeDefined();
    expect(
      await code(iam.send(new DeleteAccessKeyCommand({ AccessKeyId: made.AccessKey!.AccessKeyId }))),
    ).toBe("ok");
  });

  it("an explicit Deny wins, and iam:PolicyARN scopes what a key may attach", async () => {
    const key = await newKey();
    const iam = iamClient(rig.endpoint, key);
    const delegate = await newPolicy(
      "delegate-member-only",
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "iam:AttachUserPolicy",
            Resource: `arn:aws:iam::${ORG}:user/*`,
            Condition: { ArnEquals: { "iam:PolicyARN": "arn:aws:iam::aws:policy/Member" } },
          },
          { Effect: "Allow", Action: "iam:List*", Resource: "*" },
          { Effect: "Deny", Action: "iam:ListAccessKeys", Resource: "*" },
        ],
      }),
    );
    await root.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: delegate }));
    const other = await newKey();
    expect(
      await code(
        iam.send(
          new AttachUserPolicyCommand({
            UserName: other.accessKeyId,
            PolicyArn: "arn:aws:iam::aws:policy/Member",
          }),
        ),
      ),
    ).toBe("ok");
    expect(
      await code(
        iam.send(
          new AttachUserPolicyCommand({
            UserName: other.accessKeyId,
            PolicyArn: "arn:aws:iam::aws:policy/Admin",
          }),
        ),
      ),
    ).toBe("AccessDenied");
    expect(await code(iam.send(new ListPoliciesCommand({})))).toBe("ok");
    const denied = await iam.send(new ListAccessKeysCommand({})).catch((e: Error) => e);
    expect((denied as Error).message).toMatch(/with an explicit deny in an identity-based policy$/);
  });
});

describe("the protocol", () => {
  it("answers JSON when asked (Accept: application/json)", async () => {
    const r = await rawIam(
      rig.endpoint,
      ROOT_KEY,
      { Action: "ListPolicies", Version: "2010-05-08", Scope: "AWS" },
      { headers: { accept: "application/json" } },
    );
    expect(r.status).toBe(200);
    expect(r.type).toBe("application/json");
    const body = JSON.parse(r.body) as {
      ListPoliciesResponse: {
        ListPoliciesResult: { Policies: { PolicyName: string }[]; IsTruncated: boolean };
        ResponseMetadata: { RequestId: string };
      };
    };
    expect(body.ListPoliciesResponse.ListPoliciesResult.Policies.map((p) => p.PolicyName)).toEqual([
      "Admin",
      "Member",
    ]);
    expect(body.ListPoliciesResponse.ListPoliciesResult.IsTruncated).toBe(false);
    expect(body.ListPoliciesResponse.ResponseMetadata.RequestId).toMatch(/^[0-9A-F]{16}$/);
    expect(r.requestId).toBe(body.ListPoliciesResponse.ResponseMetadata.RequestId);
    const err = await rawIam(
      rig.endpoint,
      ROOT_KEY,
      { Action: "GetPolicy", Version: "2010-05-08", PolicyArn: `arn:aws:iam::${ORG}:policy/none` },
      { headers: { accept: "application/json" } },
    );
    expect(err.status).toBe(404);
    expect(JSON.parse(err.body)).toMatchObject({ Error: { Type: "Sender", Code: "NoSuchEntity" } });
    expect(err.requestId).toMatch(/^[0-9A-F]{16}$/);
  });

  it.each([
    [
      "an unknown action",
      { Action: "CreateUser", Version: "2010-05-08", UserName: "bob" },
      {},
      400,
      "InvalidAction",
    ],
    ["another API version", { Action: "ListPolicies", Version: "2006-03-01" }, {}, 400, "InvalidAction"],
    ["no action", { Version: "2010-05-08" }, {}, 400, "MissingAction"],
    [
      "a repeated parameter",
      {},
      { body: "Action=ListPolicies&Version=2010-05-08&Scope=AWS&Scope=Local" },
      400,
      "ValidationError",
    ],
    [
      "a body over 256 KiB",
      {},
      { body: "Action=ListPolicies&Version=2010-05-08&X=" + "a".repeat(300 * 1024) },
      400,
      "ValidationError",
    ],
    [
      "a tampered signature",
      { Action: "ListPolicies", Version: "2010-05-08" },
      { tamper: true },
      403,
      "SignatureDoesNotMatch",
    ],
  ])("refuses %s with ErrorResponse XML", async (_name, form, opts, status, errorCode) => {
    const r = await rawIam(rig.endpoint, ROOT_KEY, form, opts);
    expect(r.status).toBe(status);
    expect(r.body).toMatch(
      new RegExp(
        `^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${errorCode}</Code><Message>[^<]*</Message></Error><RequestId>[^<]+</RequestId></ErrorResponse>$`,
      ),
    );
  });

  it("an unknown key gets InvalidClientTokenId; a body that does not match a sent x-amz-content-sha256 is refused", async () => {
    const r = await rawIam(
      rig.endpoint,
      { accessKeyId: "S3GKNOSUCHKEY0000000", secretAccessKey: "x".repeat(40) },
      { Action: "ListPolicies", Version: "2010-05-08" },
    );
    expect(r.status).toBe(403);
    expect(r.body).toContain("<Code>InvalidClientTokenId</Code>");
    const u = await rawIam(
      rig.endpoint,
      ROOT_KEY,
      { Action: "ListPolicies", Version: "2010-05-08" },
      { headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } },
    );
    expect(u.status).toBe(403);
    expect(u.body).toContain("<Code>SignatureDoesNotMatch</Code>");
  });

  it("keeps S3 working for the root key next to the IAM API", async () => {
    const s3 = s3Client(rig.endpoint, ROOT_KEY);
    expect(await code(s3.send(new CreateBucketCommand({ Bucket: "iam-neighbour" })))).toBe("ok");
  });
});
