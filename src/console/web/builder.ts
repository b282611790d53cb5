/**
 * The policy builder's common cases as data → a policy document: read-only or read-write on a bucket (or
 * every bucket) and optionally a prefix or a home folder per key (`${aws:username}`), limited to source
 * addresses and a time window (`aws:CurrentTime`, as Tigris' date-time examples). Pure.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_s3_rw-bucket.html
 */
export interface BuilderChoice {
  readonly access: "read-only" | "read-write";
  /** A bucket name, or `*` for every bucket. */
  readonly bucket: string;
  /** A key prefix, e.g. `reports/`; empty for the whole bucket. */
  readonly prefix: string;
  /** Each key its own folder, `home/${aws:username}/` (the key's id), under the prefix. */
  readonly homeFolder: boolean;
  /** CIDRs or addresses the requests must come from; empty for anywhere. */
  readonly sourceIps: readonly string[];
  /** ISO 8601 times the access starts and ends; empty for no bound. */
  readonly notBefore: string;
  readonly notAfter: string;
}

const READ_OBJECT = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"];
const WRITE_OBJECT = [
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:PutObjectTagging",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
];

type Conditions = Record<string, Record<string, string[]>>;

/** The policy document for a choice, or throws with what is missing. */
export function buildPolicy(choice: BuilderChoice): object {
  const bucket = choice.bucket.trim();
  if (bucket === "") throw new Error("Name a bucket, or * for every bucket.");
  const prefix = `${choice.prefix.trim().replace(/^\/+/, "")}${choice.homeFolder ? "home/${aws:username}/" : ""}`;
  const shared: Conditions = {};
  const ips = choice.sourceIps.map((ip) => ip.trim()).filter((ip) => ip !== "");
  if (ips.length > 0) shared.IpAddress = { "aws:SourceIp": ips };
  if (choice.notBefore !== "") shared.DateGreaterThan = { "aws:CurrentTime": [choice.notBefore] };
  if (choice.notAfter !== "") shared.DateLessThan = { "aws:CurrentTime": [choice.notAfter] };
  const withConditions = (statement: Record<string, unknown>, own: Conditions = {}) => {
    const condition = { ...own, ...shared };
    return Object.keys(condition).length === 0 ? statement : { ...statement, Condition: condition };
  };
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const statements: Record<string, unknown>[] = [];
  if (bucket === "*")
    statements.push(
      withConditions({ Sid: "ListBuckets", Effect: "Allow", Action: ["s3:ListAllMyBuckets"], Resource: "*" }),
    );
  statements.push(
    withConditions(
      {
        Sid: "ListTheBucket",
        Effect: "Allow",
        Action: [
          "s3:ListBucket",
          "s3:GetBucketLocation",
          ...(choice.access === "read-write" ? ["s3:ListBucketMultipartUploads"] : []),
        ],
        Resource: bucketArn,
      },
      prefix === "" ? {} : { StringLike: { "s3:prefix": [`${prefix}*`] } },
    ),
  );
  statements.push(
    withConditions({
      Sid: choice.access === "read-write" ? "ReadWriteObjects" : "ReadObjects",
      Effect: "Allow",
      Action: choice.access === "read-write" ? [...READ_OBJECT, ...WRITE_OBJECT] : READ_OBJECT,
      Resource: `${bucketArn}/${prefix}*`,
    }),
  );
  return { Version: "2012-10-17", Statement: statements };
}
