/** The keys pages: the list (name, status, created, expiry, last use), create, enable/disable, rotate, delete, and one key's policies. */
import { useState } from "preact/hooks";
import { EXPIRES_TAG, iam, iamAll, list, text, type Json, type Session } from "./api.js";
import { ErrorNote, Field, SecretPanel, href, useAction, useLoad, when, Table } from "./ui.js";

interface KeyRow {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly created: string;
  readonly expires: string;
  readonly lastUsed: string;
}

async function keyRow(session: Session, meta: Json): Promise<KeyRow> {
  const id = text(meta.AccessKeyId);
  const [used, tags] = await Promise.all([
    iam(session, "GetAccessKeyLastUsed", { AccessKeyId: id }).catch(() => ({})),
    iam(session, "ListUserTags", { UserName: id }).catch(() => ({})),
  ]);
  return {
    id,
    name: text(meta.Name),
    status: text(meta.Status),
    created: text(meta.CreateDate),
    expires: text(list((tags as Json).Tags).find((t) => t.Key === EXPIRES_TAG)?.Value),
    lastUsed: text(((used as Json).AccessKeyLastUsed as Json | undefined)?.LastUsedDate),
  };
}

interface Created {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly note?: string;
}

/** Creates a key with a name, an expiry and policies, as `s3gate keys create` does. */
async function createKey(session: Session, name: string, expires: string, policies: readonly string[]) {
  const created = (await iam(session, "CreateAccessKey", name === "" ? {} : { UserName: name }))
    .AccessKey as Json;
  const id = text(created.AccessKeyId);
  if (expires !== "")
    await iam(session, "TagUser", {
      UserName: id,
      "Tags.member.1.Key": EXPIRES_TAG,
      "Tags.member.1.Value": expires,
    });
  for (const arn of policies) await iam(session, "AttachUserPolicy", { UserName: id, PolicyArn: arn });
  return { accessKeyId: id, secretAccessKey: text(created.SecretAccessKey) };
}

const GRACE: readonly [string, number][] = [
  ["disable the old key now", 0],
  ["1 hour", 3_600_000],
  ["24 hours", 86_400_000],
  ["7 days", 7 * 86_400_000],
];

/** A key with the same name, expiry and policies; the old one expires after the grace period (or is disabled now). */
async function rotateKey(session: Session, key: KeyRow, graceMs: number): Promise<Created> {
  const policies = list(
    (await iam(session, "ListAttachedUserPolicies", { UserName: key.id })).AttachedPolicies,
  ).map((p) => text(p.PolicyArn));
  const created = await createKey(session, key.name, key.expires, policies);
  if (graceMs === 0) {
    await iam(session, "UpdateAccessKey", { AccessKeyId: key.id, Status: "Inactive" });
    return { ...created, note: `${key.id} is disabled.` };
  }
  const until = new Date(Date.now() + graceMs).toISOString();
  await iam(session, "TagUser", {
    UserName: key.id,
    "Tags.member.1.Key": EXPIRES_TAG,
    "Tags.member.1.Value": until,
  });
  return { ...created, note: `${key.id} stops working at ${when(until)}.` };
}

function PolicyChoice(props: { session: Session; chosen: string[]; setChosen: (arns: string[]) => void }) {
  const policies = useLoad(() => iamAll(props.session, "ListPolicies", "Policies"), []);
  return (
    <fieldset>
      <legend>Policies to attach</legend>
      <ErrorNote error={policies.error} />
      {(policies.data ?? []).map((p) => {
        const arn = text(p.Arn);
        return (
          <label class="check" key={arn}>
            <input
              type="checkbox"
              checked={props.chosen.includes(arn)}
              onChange={(e) =>
                props.setChosen(
                  e.currentTarget.checked ? [...props.chosen, arn] : props.chosen.filter((a) => a !== arn),
                )
              }
            />{" "}
            {text(p.PolicyName)}
          </label>
        );
      })}
    </fieldset>
  );
}

function CreateKey({ session, done }: { session: Session; done: () => void }) {
  const [name, setName] = useState("");
  const [expires, setExpires] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [created, setCreated] = useState<Created | undefined>(undefined);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const at = expires === "" ? "" : new Date(expires).toISOString();
      setCreated(await createKey(session, name, at, chosen));
      done();
    });
  };
  if (created !== undefined) return <SecretPanel session={session} {...created} />;
  return (
    <form onSubmit={submit} aria-labelledby="create-key-title" class="panel">
      <h2 id="create-key-title">Create a key</h2>
      <Field label="Name">
        {(id) => <input id={id} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
      </Field>
      <Field label="Expires (optional)" hint="Local time; the key stops working then.">
        {(id) => (
          <input
            id={id}
            type="datetime-local"
            value={expires}
            onInput={(e) => setExpires(e.currentTarget.value)}
          />
        )}
      </Field>
      <PolicyChoice session={session} chosen={chosen} setChosen={setChosen} />
      <button type="submit" disabled={action.busy}>
        Create key
      </button>
      <ErrorNote error={action.error} />
    </form>
  );
}

const statusClass = (s: string) => `status status-${s.toLowerCase()}`;

export function KeysPage({ session }: { session: Session }) {
  const keys = useLoad(
    async () =>
      Promise.all(
        (await iamAll(session, "ListAccessKeys", "AccessKeyMetadata")).map((m) => keyRow(session, m)),
      ),
    [session],
  );
  const [creating, setCreating] = useState(false);
  const [rotated, setRotated] = useState<Created | undefined>(undefined);
  const [grace, setGrace] = useState(GRACE[2]![1]);
  const action = useAction();
  const act = (work: () => Promise<void>) => void action.run(async () => (await work(), keys.reload()));
  return (
    <>
      <h1 tabIndex={-1}>Access keys</h1>
      <p>
        <button type="button" onClick={() => setCreating(!creating)} aria-expanded={creating}>
          {creating ? "Close" : "Create a key"}
        </button>
      </p>
      {creating ? <CreateKey session={session} done={keys.reload} /> : null}
      {rotated === undefined ? null : <SecretPanel session={session} {...rotated} />}
      <ErrorNote error={keys.error} />
      <ErrorNote error={action.error} />
      <Field label="Rotation grace period" hint="How long a rotated key keeps working.">
        {(id) => (
          <select id={id} value={grace} onChange={(e) => setGrace(Number(e.currentTarget.value))}>
            {GRACE.map(([label, ms]) => (
              <option value={ms} key={ms}>
                {label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Table
        columns={["Key", "Name", "Status", "Created", "Expires", "Last used", "Actions"]}
        listing={{ loaded: keys, noun: "keys" }}
      >
        {(keys.data ?? []).map((k) => (
          <tr key={k.id} data-key={k.id}>
            <td>
              <a href={href("keys", k.id)}>
                <code>{k.id}</code>
              </a>
            </td>
            <td>{k.name}</td>
            <td>
              <span class={statusClass(k.status)}>{k.status}</span>
            </td>
            <td>{when(k.created)}</td>
            <td>{when(k.expires)}</td>
            <td>{when(k.lastUsed) || "never"}</td>
            <td class="actions">
              <button
                type="button"
                disabled={action.busy}
                aria-label={`${k.status === "Active" ? "Disable" : "Enable"} ${k.id}`}
                onClick={() =>
                  act(async () => {
                    await iam(session, "UpdateAccessKey", {
                      AccessKeyId: k.id,
                      Status: k.status === "Active" ? "Inactive" : "Active",
                    });
                  })
                }
              >
                {k.status === "Active" ? "Disable" : "Enable"}
              </button>
              <button
                type="button"
                disabled={action.busy}
                aria-label={`Rotate ${k.id}`}
                onClick={() => act(async () => setRotated(await rotateKey(session, k, grace)))}
              >
                Rotate
              </button>
              <button
                type="button"
                class="danger"
                disabled={action.busy}
                aria-label={`Delete ${k.id}`}
                onClick={() =>
                  confirm(`Delete ${k.id} for good?`) &&
                  act(async () => {
                    await iam(session, "DeleteAccessKey", { AccessKeyId: k.id });
                  })
                }
              >
                Delete
              </button>
            </td>
          </tr>
        ))}
      </Table>
    </>
  );
}

/** One key: its details and attached policies, attach and detach. */
export function KeyPage({ session, id }: { session: Session; id: string }) {
  const details = useLoad(async () => {
    const [meta] = list((await iam(session, "ListAccessKeys", { UserName: id })).AccessKeyMetadata);
    return meta === undefined ? undefined : keyRow(session, meta);
  }, [session, id]);
  const attached = useLoad(
    async () => list((await iam(session, "ListAttachedUserPolicies", { UserName: id })).AttachedPolicies),
    [session, id],
  );
  const policies = useLoad(() => iamAll(session, "ListPolicies", "Policies"), [session]);
  const [pick, setPick] = useState("");
  const action = useAction();
  const act = (work: () => Promise<void>) => void action.run(async () => (await work(), attached.reload()));
  const attachedArns = new Set((attached.data ?? []).map((p) => text(p.PolicyArn)));
  return (
    <>
      <h1 tabIndex={-1}>
        Key <code>{id}</code>
      </h1>
      <p>
        <a href={href("keys")}>All keys</a> ·{" "}
        <a href={`${href("denials")}?key=${encodeURIComponent(id)}`}>Its denials</a>
      </p>
      <ErrorNote error={details.error} />
      {details.data === undefined ? null : (
        <dl class="facts">
          <dt>Name</dt>
          <dd>{details.data.name || "(none)"}</dd>
          <dt>Status</dt>
          <dd>
            <span class={statusClass(details.data.status)}>{details.data.status}</span>
          </dd>
          <dt>Created</dt>
          <dd>{when(details.data.created)}</dd>
          <dt>Expires</dt>
          <dd>{when(details.data.expires) || "never"}</dd>
          <dt>Last used</dt>
          <dd>{when(details.data.lastUsed) || "never"}</dd>
        </dl>
      )}
      <h2>Attached policies</h2>
      <ErrorNote error={attached.error} />
      <ErrorNote error={action.error} />
      <ul class="plain">
        {(attached.data ?? []).map((p) => (
          <li key={text(p.PolicyArn)}>
            <a href={href("policies", text(p.PolicyArn))}>{text(p.PolicyName)}</a>{" "}
            <button
              type="button"
              aria-label={`Detach ${text(p.PolicyName)}`}
              disabled={action.busy}
              onClick={() =>
                act(async () => {
                  await iam(session, "DetachUserPolicy", { UserName: id, PolicyArn: text(p.PolicyArn) });
                })
              }
            >
              Detach
            </button>
          </li>
        ))}
        {attached.data?.length === 0 ? <li>None: this key may do nothing.</li> : null}
      </ul>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (pick !== "")
            act(async () => {
              await iam(session, "AttachUserPolicy", { UserName: id, PolicyArn: pick });
            });
        }}
      >
        <Field label="Policy to attach">
          {(fid) => (
            <select id={fid} value={pick} onChange={(e) => setPick(e.currentTarget.value)}>
              <option value="">Choose a policy</option>
              {(policies.data ?? [])
                .filter((p) => !attachedArns.has(text(p.Arn)))
                .map((p) => (
                  <option value={text(p.Arn)} key={text(p.Arn)}>
                    {text(p.PolicyName)}
                  </option>
                ))}
            </select>
          )}
        </Field>
        <button type="submit" disabled={action.busy || pick === ""}>
          Attach
        </button>
      </form>
    </>
  );
}
