/** The simulator, the recent denials with their full reasons, and bucket policies. */
import { useState } from "preact/hooks";
import { S3_ACTIONS } from "../../classify/index.js";
import { IAM_ACTIONS } from "../../iam/actions.js";
import {
  ApiError,
  bucketNames,
  iam,
  iamAll,
  list,
  pageSetting,
  s3,
  text,
  type Json,
  type Session,
} from "./api.js";
import { JsonEditor } from "./editor.js";
import { useDocument } from "./policies.js";
import { ErrorNote, Field, href, useAction, useLoad, when, Table } from "./ui.js";

const ACTIONS = [...S3_ACTIONS, ...IAM_ACTIONS].sort();

function KeyPicker(props: {
  session: Session;
  value: string;
  set: (id: string) => void;
  label: string;
  optional?: boolean;
}) {
  const keys = useLoad(() => iamAll(props.session, "ListAccessKeys", "AccessKeyMetadata"), [props.session]);
  return (
    <Field label={props.label}>
      {(id) => (
        <>
          <input
            id={id}
            list={`${id}-keys`}
            value={props.value}
            required={props.optional !== true}
            onInput={(e) => props.set(e.currentTarget.value)}
          />
          <datalist id={`${id}-keys`}>
            {(keys.data ?? []).map((k) => (
              <option value={text(k.AccessKeyId)} key={text(k.AccessKeyId)}>
                {text(k.Name)}
              </option>
            ))}
          </datalist>
        </>
      )}
    </Field>
  );
}

/** A decision and why: the deciding policy and statement, the failed condition, the missing context. */
function Verdict({ result }: { result: Json }) {
  const matched = list(result.MatchedStatements)[0];
  const failed = result.FailedCondition as Json | undefined;
  const decision = text(result.EvalDecision);
  return (
    <section class={`verdict verdict-${decision}`} aria-live="polite" data-testid="verdict">
      <h2>
        {decision === "allowed"
          ? "Allowed"
          : decision === "explicitDeny"
            ? "Denied by an explicit Deny"
            : "Denied: nothing allows it"}
      </h2>
      <p>
        <code>{text(result.EvalActionName)}</code> on <code>{text(result.EvalResourceName)}</code>
      </p>
      {matched === undefined ? null : (
        <p>
          Deciding: policy <code>{text(matched.SourcePolicyId)}</code>, statement{" "}
          <code>{text(matched.StatementId) || "(no Sid)"}</code>
        </p>
      )}
      {failed === undefined ? null : (
        <p>
          Failed condition in <code>{text(failed.SourcePolicyId)}</code> statement{" "}
          <code>{text(failed.StatementId) || "(no Sid)"}</code>:{" "}
          <code>
            {text(failed.Operator)} {text(failed.Key)}
          </code>{" "}
          {failed.Value === undefined ? (
            "(no value in the request)"
          ) : (
            <>
              was <code>{text(failed.Value)}</code>
            </>
          )}
        </p>
      )}
      {list(result.MissingContextValues).length === 0 ? null : (
        <p>Missing context: {list(result.MissingContextValues).map(String).join(", ")}</p>
      )}
    </section>
  );
}

export function SimulatorPage({ session }: { session: Session }) {
  const [key, setKey] = useState("");
  const [action, setAction] = useState("s3:GetObject");
  const [resource, setResource] = useState("arn:aws:s3:::bucket/key");
  const [sourceIp, setSourceIp] = useState("");
  const [time, setTime] = useState("");
  const [extra, setExtra] = useState("");
  const [results, setResults] = useState<Json[] | undefined>(undefined);
  const run = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run.run(async () => {
      const org = pageSetting("organization", "000000000000");
      const params: Record<string, string> = {
        PolicySourceArn: `arn:aws:iam::${org}:user/${key.trim()}`,
        "ActionNames.member.1": action.trim(),
        "ResourceArns.member.1": resource.trim(),
      };
      const context: [string, string][] = [];
      if (sourceIp.trim() !== "") context.push(["aws:SourceIp", sourceIp.trim()]);
      if (time !== "")
        context.push(["aws:CurrentTime", new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z")]);
      for (const line of extra.split("\n")) {
        if (line.trim() === "") continue;
        const eq = line.indexOf("=");
        if (eq <= 0) throw new Error(`"${line}": a context value is KEY=VALUE`);
        context.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
      }
      context.forEach(([name, value], i) => {
        params[`ContextEntries.member.${i + 1}.ContextKeyName`] = name;
        params[`ContextEntries.member.${i + 1}.ContextKeyValues.member.1`] = value;
        params[`ContextEntries.member.${i + 1}.ContextKeyType`] = "string";
      });
      setResults(list((await iam(session, "SimulatePrincipalPolicy", params)).EvaluationResults));
    });
  };
  return (
    <>
      <h1 tabIndex={-1}>Simulator</h1>
      <p>Decides an action on a resource for a key, with the key's policies, as s3gate would.</p>
      <form onSubmit={submit} class="panel">
        <KeyPicker session={session} value={key} set={setKey} label="Access key" />
        <Field label="Action">
          {(id) => (
            <>
              <input
                id={id}
                list={`${id}-actions`}
                required
                value={action}
                onInput={(e) => setAction(e.currentTarget.value)}
              />
              <datalist id={`${id}-actions`}>
                {ACTIONS.map((a) => (
                  <option value={a} key={a} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <Field label="Resource (ARN)">
          {(id) => (
            <input id={id} required value={resource} onInput={(e) => setResource(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Source IP (optional)">
          {(id) => <input id={id} value={sourceIp} onInput={(e) => setSourceIp(e.currentTarget.value)} />}
        </Field>
        <Field label="Time (optional)">
          {(id) => (
            <input
              id={id}
              type="datetime-local"
              value={time}
              onInput={(e) => setTime(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Other context (optional)" hint="One KEY=VALUE per line, e.g. s3:prefix=reports/">
          {(id) => (
            <textarea id={id} rows={3} value={extra} onInput={(e) => setExtra(e.currentTarget.value)} />
          )}
        </Field>
        <button type="submit" disabled={run.busy}>
          Simulate
        </button>
        <ErrorNote error={run.error} />
      </form>
      {(results ?? []).map((r, i) => (
        <Verdict result={r} key={i} />
      ))}
    </>
  );
}

function Explanation({ session, requestId }: { session: Session; requestId: string }) {
  const d = useLoad(() => iam(session, "ExplainDenial", { RequestId: requestId }), [session, requestId]);
  if (d.error !== undefined) return <ErrorNote error={d.error} />;
  if (d.data === undefined) return <p>Loading…</p>;
  const x = d.data;
  const failed = x.FailedCondition as Json | undefined;
  return (
    <section class="panel" aria-labelledby="why-title" data-testid="explanation">
      <h2 id="why-title" tabIndex={-1}>
        Why <code>{requestId}</code> was denied
      </h2>
      <dl>
        <dt>Request</dt>
        <dd>
          {text(x.Operation)} by{" "}
          {x.Anonymous === true ? "an anonymous requester" : <code>{text(x.AccessKeyId)}</code>} from{" "}
          {text(x.SourceIp)} at {when(x.DeniedAt)}
        </dd>
        <dt>Decision</dt>
        <dd>
          {text(x.Decision)} on <code>{text(x.Action)}</code> <code>{text(x.ResourceArn)}</code>
        </dd>
        {x.DecidingPolicy === undefined ? null : (
          <>
            <dt>Deciding statement</dt>
            <dd>
              <code>{text(x.DecidingPolicy)}</code> {text(x.DecidingPolicyVersion)} statement{" "}
              <code>{text(x.DecidingStatement) || "(no Sid)"}</code>
            </dd>
          </>
        )}
        {failed === undefined ? null : (
          <>
            <dt>Failed condition</dt>
            <dd>
              <code>
                {text(failed.Operator)} {text(failed.Key)}
              </code>{" "}
              {failed.Value === undefined ? (
                "(absent from the request)"
              ) : (
                <>
                  was <code>{text(failed.Value)}</code>
                </>
              )}
            </dd>
          </>
        )}
        <dt>Checks the request needed</dt>
        <dd>
          <ul class="plain">
            {list(x.NeededChecks).map((c, i) => (
              <li key={i}>
                <code>{text(c.Action)}</code> on <code>{text(c.Resource)}</code>
              </li>
            ))}
          </ul>
        </dd>
      </dl>
    </section>
  );
}

export function DenialsPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const [key, setKey] = useState(query.get("key") ?? "");
  const [operation, setOperation] = useState(query.get("operation") ?? "");
  const [filter, setFilter] = useState({ key, operation });
  const [open, setOpen] = useState<string | undefined>(query.get("id") ?? undefined);
  const denials = useLoad(async () => {
    const params: Record<string, string> = {};
    if (filter.key.trim() !== "") params.AccessKeyId = filter.key.trim();
    if (filter.operation.trim() !== "") params.Operation = filter.operation.trim();
    return list((await iam(session, "ListDenials", params)).Denials);
  }, [session, filter]);
  return (
    <>
      <h1 tabIndex={-1}>Recent denials</h1>
      <p>Denials of the last hour seen by this s3gate process, newest first.</p>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({ key, operation });
        }}
      >
        <KeyPicker session={session} value={key} set={setKey} label="Key" optional />
        <Field label="Operation">
          {(id) => (
            <input
              id={id}
              value={operation}
              placeholder="e.g. PutObject"
              onInput={(e) => setOperation(e.currentTarget.value)}
            />
          )}
        </Field>
        <button type="submit">Filter</button>
        <button type="button" onClick={denials.reload}>
          Refresh
        </button>
      </form>
      <ErrorNote error={denials.error} />
      <Table
        columns={["Time", "Key", "Operation", "Target", "Decision", "Request"]}
        listing={{ loaded: denials, noun: "denials" }}
      >
        {(denials.data ?? []).map((d) => {
          const id = text(d.RequestId);
          return (
            <tr key={id} data-request={id}>
              <td>{when(d.DeniedAt)}</td>
              <td>{d.Anonymous === true ? "anonymous" : <code>{text(d.AccessKeyId)}</code>}</td>
              <td>{text(d.Operation)}</td>
              <td>
                <code>{[text(d.Bucket), text(d.Key)].filter((s) => s !== "").join("/")}</code>
              </td>
              <td>
                {text(d.Decision)} <code>{text(d.Action)}</code>
              </td>
              <td>
                <button type="button" onClick={() => setOpen(id)} aria-label={`Why was ${id} denied?`}>
                  Why?
                </button>
              </td>
            </tr>
          );
        })}
      </Table>
      {open === undefined ? null : <Explanation session={session} requestId={open} />}
    </>
  );
}

export function BucketsPage({ session }: { session: Session }) {
  const buckets = useLoad(async () => bucketNames(await s3(session, "GET", "")), [session]);
  return (
    <>
      <h1 tabIndex={-1}>Bucket policies</h1>
      <ErrorNote error={buckets.error} />
      <ul class="plain">
        {(buckets.data ?? []).map((b) => (
          <li key={b}>
            <a href={href("buckets", b)}>{b}</a>
          </li>
        ))}
        {buckets.data?.length === 0 ? <li>No bucket.</li> : null}
      </ul>
    </>
  );
}

export function BucketPage({ session, bucket }: { session: Session; bucket: string }) {
  const current = useLoad(async () => {
    try {
      return JSON.stringify(JSON.parse(await s3(session, "GET", bucket, { policy: "" })), null, 2);
    } catch (err) {
      if (err instanceof ApiError && err.code === "NoSuchBucketPolicy") return undefined;
      throw err;
    }
  }, [session, bucket]);
  return (
    <>
      <h1 tabIndex={-1}>
        Bucket policy of <code>{bucket}</code>
      </h1>
      <p>
        <a href={href("buckets")}>All buckets</a>
      </p>
      <ErrorNote error={current.error} />
      {current.loading ? (
        <p>Loading…</p>
      ) : current.error === undefined ? (
        <BucketEditor session={session} bucket={bucket} initial={current.data} />
      ) : null}
    </>
  );
}

function BucketEditor(props: { session: Session; bucket: string; initial: string | undefined }) {
  const org = pageSetting("organization", "000000000000");
  const starter = JSON.stringify(
    {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadForOneKey",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${org}:user/ACCESS_KEY_ID` },
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${props.bucket}/*`,
        },
      ],
    },
    null,
    2,
  );
  const doc = useDocument(props.initial ?? starter, {
    bucket: props.bucket,
    organizationId: org,
  });
  const action = useAction();
  const [saved, setSaved] = useState("");
  const [hasPolicy, setHasPolicy] = useState(props.initial !== undefined);
  return (
    <section class="panel" aria-label="Bucket policy">
      <p>
        {props.initial === undefined
          ? "This bucket has no policy; the one below is a starting point."
          : "The bucket's policy:"}
      </p>
      <JsonEditor label="Bucket policy (JSON)" doc={doc} />
      <button
        type="button"
        disabled={action.busy}
        onClick={() =>
          void action.run(() =>
            doc.save(async () => {
              await s3(props.session, "PUT", props.bucket, { policy: "" }, doc.document);
              setHasPolicy(true);
              setSaved("Saved.");
            }),
          )
        }
      >
        Save the bucket policy
      </button>{" "}
      {!hasPolicy ? null : (
        <button
          type="button"
          class="danger"
          disabled={action.busy}
          onClick={() =>
            confirm(`Delete the policy of ${props.bucket}?`) &&
            void action.run(async () => {
              await s3(props.session, "DELETE", props.bucket, { policy: "" });
              setHasPolicy(false);
              setSaved("Deleted.");
            })
          }
        >
          Delete the bucket policy
        </button>
      )}
      <p role="status">{saved}</p>
      <ErrorNote error={action.error} />
    </section>
  );
}
