/** The policies pages: the list with attachment counts, one policy's versions and keys, and the editor with the builder. */
import { useMemo, useState } from "preact/hooks";
import { compilePolicy, type BucketPolicyOptions } from "../../authorize/index.js";
import { isKnownAction } from "../../iam/actions.js";
import { ApiError, iam, iamAll, list, text, type Session } from "./api.js";
import { buildPolicy, type BuilderChoice } from "./builder.js";
import { JsonEditor } from "./editor.js";
import { problemsFromMessage, type Problem } from "./json-paths.js";
import { ErrorNote, Field, href, useAction, useLoad, when, Table } from "./ui.js";

/** The problems s3gate's validator finds in a document (the same code as the server's). */
export function validate(document: string, bucketPolicy?: BucketPolicyOptions): Problem[] {
  const result = compilePolicy(document, {
    id: "console",
    isKnownAction,
    ...(bucketPolicy ? { bucketPolicy } : {}),
  });
  return result.ok ? [] : [...result.problems];
}

/** A save's error: a refused document's problems by path, or the error in words. */
export function useDocument(initial: string, bucketPolicy?: BucketPolicyOptions) {
  const [document, setDocument] = useState(initial);
  const [serverProblems, setServerProblems] = useState<Problem[] | undefined>(undefined);
  const local = useMemo(() => validate(document, bucketPolicy), [document, bucketPolicy?.bucket]);
  return {
    document,
    setDocument(text: string) {
      setDocument(text);
      setServerProblems(undefined);
    },
    problems: serverProblems ?? local,
    source: serverProblems === undefined ? "s3gate's validator" : "the server",
    /** Runs a save; a MalformedPolicyDocument answer becomes the editor's problems. */
    async save(work: () => Promise<void>) {
      try {
        await work();
      } catch (err) {
        if (
          err instanceof ApiError &&
          (err.code === "MalformedPolicyDocument" || err.code === "MalformedPolicy")
        )
          setServerProblems(problemsFromMessage(err.message));
        throw err;
      }
    },
  };
}

export function PoliciesPage({ session }: { session: Session }) {
  const policies = useLoad(() => iamAll(session, "ListPolicies", "Policies"), [session]);
  return (
    <>
      <h1 tabIndex={-1}>Policies</h1>
      <p>
        <a class="button" href={href("policies", "new")}>
          New policy
        </a>
      </p>
      <ErrorNote error={policies.error} />
      <Table
        columns={["Name", "Keys attached", "Default version", "Updated", "ARN"]}
        listing={{ loaded: policies, noun: "policies" }}
      >
        {(policies.data ?? []).map((p) => (
          <tr key={text(p.Arn)}>
            <td>
              <a href={href("policies", text(p.Arn))}>{text(p.PolicyName)}</a>
            </td>
            <td>{text(p.AttachmentCount)}</td>
            <td>{text(p.DefaultVersionId)}</td>
            <td>{when(p.UpdateDate)}</td>
            <td>
              <code>{text(p.Arn)}</code>
            </td>
          </tr>
        ))}
      </Table>
    </>
  );
}

const decodeDocument = (v: unknown): string => {
  const raw = decodeURIComponent(text(v));
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
};

/** One policy: its versions (view, set default, delete), its keys, a new version in the editor, delete. */
export function PolicyPage({ session, arn }: { session: Session; arn: string }) {
  const policy = useLoad(async () => {
    const p = (await iam(session, "GetPolicy", { PolicyArn: arn })).Policy as Record<string, unknown>;
    const versions = list((await iam(session, "ListPolicyVersions", { PolicyArn: arn })).Versions);
    return { p, versions };
  }, [session, arn]);
  const users = useLoad(
    async () => list((await iam(session, "ListEntitiesForPolicy", { PolicyArn: arn })).PolicyUsers),
    [session, arn],
  );
  const [shown, setShown] = useState<string | undefined>(undefined);
  const versionId = shown ?? text(policy.data?.p.DefaultVersionId);
  const version = useLoad(
    async () =>
      versionId === ""
        ? ""
        : decodeDocument(
            (
              (await iam(session, "GetPolicyVersion", { PolicyArn: arn, VersionId: versionId }))
                .PolicyVersion as Record<string, unknown>
            ).Document,
          ),
    [session, arn, versionId],
  );
  const [editing, setEditing] = useState(false);
  const action = useAction();
  const act = (work: () => Promise<void>) => void action.run(async () => (await work(), policy.reload()));
  const managed = arn.includes(":aws:policy/");
  return (
    <>
      <h1 tabIndex={-1}>Policy {text(policy.data?.p.PolicyName)}</h1>
      <p>
        <a href={href("policies")}>All policies</a> · <code>{arn}</code>
      </p>
      <ErrorNote error={policy.error} />
      <ErrorNote error={action.error} />
      <h2>Versions</h2>
      <Table columns={["Version", "Created", "Actions"]}>
        {(policy.data?.versions ?? []).map((v) => {
          const id = text(v.VersionId);
          return (
            <tr key={id}>
              <td>
                {id} {v.IsDefaultVersion === true ? <span class="status status-active">default</span> : null}
              </td>
              <td>{when(v.CreateDate)}</td>
              <td class="actions">
                <button type="button" onClick={() => setShown(id)} aria-label={`View version ${id}`}>
                  View
                </button>
                {v.IsDefaultVersion === true || managed ? null : (
                  <>
                    <button
                      type="button"
                      disabled={action.busy}
                      aria-label={`Make version ${id} the default`}
                      onClick={() =>
                        act(async () => {
                          await iam(session, "SetDefaultPolicyVersion", {
                            PolicyArn: arn,
                            VersionId: id,
                          });
                        })
                      }
                    >
                      Set as default
                    </button>
                    <button
                      type="button"
                      class="danger"
                      disabled={action.busy}
                      aria-label={`Delete version ${id}`}
                      onClick={() =>
                        act(async () => {
                          await iam(session, "DeletePolicyVersion", { PolicyArn: arn, VersionId: id });
                          setShown(undefined);
                        })
                      }
                    >
                      Delete
                    </button>
                  </>
                )}
              </td>
            </tr>
          );
        })}
      </Table>
      <h2>Document, version {versionId}</h2>
      <ErrorNote error={version.error} />
      <pre class="document" data-testid="policy-document">
        {version.data ?? ""}
      </pre>
      {managed ? (
        <p>s3gate's prebuilt policies cannot be changed.</p>
      ) : editing ? (
        <NewVersion
          session={session}
          arn={arn}
          initial={version.data ?? ""}
          versions={policy.data?.versions ?? []}
          done={() => {
            setEditing(false);
            setShown(undefined);
            policy.reload();
          }}
        />
      ) : (
        <p>
          <button type="button" onClick={() => setEditing(true)}>
            Edit as a new version
          </button>
        </p>
      )}
      <h2>Keys it is attached to</h2>
      <ErrorNote error={users.error} />
      <ul class="plain" data-testid="policy-keys">
        {(users.data ?? []).map((u) => (
          <li key={text(u.UserName)}>
            <a href={href("keys", text(u.UserName))}>
              <code>{text(u.UserName)}</code>
            </a>
          </li>
        ))}
        {users.data?.length === 0 ? <li>No key.</li> : null}
      </ul>
      {managed ? null : (
        <p>
          <button
            type="button"
            class="danger"
            disabled={action.busy || (users.data?.length ?? 0) > 0}
            onClick={() =>
              confirm(`Delete ${arn} and all its versions?`) &&
              void action.run(async () => {
                for (const v of policy.data?.versions ?? [])
                  if (v.IsDefaultVersion !== true)
                    await iam(session, "DeletePolicyVersion", {
                      PolicyArn: arn,
                      VersionId: text(v.VersionId),
                    });
                await iam(session, "DeletePolicy", { PolicyArn: arn });
                location.hash = href("policies");
              })
            }
          >
            Delete policy
          </button>{" "}
          {(users.data?.length ?? 0) > 0 ? <small>Detach it from every key first.</small> : null}
        </p>
      )}
    </>
  );
}

function NewVersion(props: {
  session: Session;
  arn: string;
  initial: string;
  versions: readonly Record<string, unknown>[];
  done: () => void;
}) {
  const doc = useDocument(props.initial);
  const action = useAction();
  const save = () =>
    void action.run(() =>
      doc.save(async () => {
        // IAM keeps five versions: the oldest non-default one makes room, as `s3gate policies update` does.
        if (props.versions.length >= 5) {
          const oldest = props.versions
            .filter((v) => v.IsDefaultVersion !== true)
            .sort((a, b) => text(a.CreateDate).localeCompare(text(b.CreateDate)))[0];
          if (oldest !== undefined)
            await iam(props.session, "DeletePolicyVersion", {
              PolicyArn: props.arn,
              VersionId: text(oldest.VersionId),
            });
        }
        await iam(props.session, "CreatePolicyVersion", {
          PolicyArn: props.arn,
          PolicyDocument: doc.document,
          SetAsDefault: "true",
        });
        props.done();
      }),
    );
  return (
    <section class="panel" aria-label="New version">
      <JsonEditor label="Policy document (JSON)" doc={doc} />
      <button type="button" onClick={save} disabled={action.busy}>
        Save as the default version
      </button>
      <ErrorNote error={action.error} />
    </section>
  );
}

const EMPTY_CHOICE: BuilderChoice = {
  access: "read-only",
  bucket: "",
  prefix: "",
  homeFolder: false,
  sourceIps: [],
  notBefore: "",
  notAfter: "",
};

/** The builder's form: it writes the document into the editor. */
export function Builder({ write }: { write: (document: string) => void }) {
  const [choice, setChoice] = useState<BuilderChoice>(EMPTY_CHOICE);
  const [error, setError] = useState<unknown>(undefined);
  const set = (part: Partial<BuilderChoice>) => setChoice({ ...choice, ...part });
  const iso = (local: string) =>
    local === "" ? "" : new Date(local).toISOString().replace(/\.\d{3}Z$/, "Z");
  return (
    <fieldset class="builder">
      <legend>Builder</legend>
      <Field label="Access">
        {(id) => (
          <select
            id={id}
            value={choice.access}
            onChange={(e) => set({ access: e.currentTarget.value as BuilderChoice["access"] })}
          >
            <option value="read-only">Read only</option>
            <option value="read-write">Read and write</option>
          </select>
        )}
      </Field>
      <Field label="Bucket" hint="A bucket name, or * for every bucket.">
        {(id) => (
          <input id={id} value={choice.bucket} onInput={(e) => set({ bucket: e.currentTarget.value })} />
        )}
      </Field>
      <Field label="Prefix (optional)" hint="e.g. reports/">
        {(id) => (
          <input id={id} value={choice.prefix} onInput={(e) => set({ prefix: e.currentTarget.value })} />
        )}
      </Field>
      <label class="check">
        <input
          type="checkbox"
          checked={choice.homeFolder}
          onChange={(e) => set({ homeFolder: e.currentTarget.checked })}
        />{" "}
        A home folder per key: <code>home/${"{aws:username}"}/</code>
      </label>
      <Field label="Source addresses (optional)" hint="CIDRs, comma-separated, e.g. 10.0.0.0/8">
        {(id) => (
          <input
            id={id}
            value={choice.sourceIps.join(",")}
            onInput={(e) => set({ sourceIps: e.currentTarget.value.split(",") })}
          />
        )}
      </Field>
      {(
        [
          ["Not before (optional)", "notBefore"],
          ["Not after (optional)", "notAfter"],
        ] as const
      ).map(([label, bound]) => (
        <Field label={label} key={bound}>
          {(id) => (
            <input
              id={id}
              type="datetime-local"
              onInput={(e) => set({ [bound]: iso(e.currentTarget.value) })}
            />
          )}
        </Field>
      ))}
      <button
        type="button"
        onClick={() => {
          try {
            write(JSON.stringify(buildPolicy(choice), null, 2));
            setError(undefined);
          } catch (err) {
            setError(err);
          }
        }}
      >
        Write the policy
      </button>
      <ErrorNote error={error} />
    </fieldset>
  );
}

const STARTER = JSON.stringify(
  {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::bucket/*"] }],
  },
  null,
  2,
);

export function NewPolicyPage({ session }: { session: Session }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const doc = useDocument(STARTER);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(() =>
      doc.save(async () => {
        const params: Record<string, string> = { PolicyName: name, PolicyDocument: doc.document };
        if (description !== "") params.Description = description;
        const created = (await iam(session, "CreatePolicy", params)).Policy as Record<string, unknown>;
        location.hash = href("policies", text(created.Arn));
      }),
    );
  };
  return (
    <>
      <h1 tabIndex={-1}>New policy</h1>
      <form onSubmit={submit} class="two">
        <div>
          <Field label="Policy name">
            {(id) => <input id={id} required value={name} onInput={(e) => setName(e.currentTarget.value)} />}
          </Field>
          <Field label="Description (optional)">
            {(id) => (
              <input id={id} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
            )}
          </Field>
          <Builder write={doc.setDocument} />
        </div>
        <div>
          <JsonEditor label="Policy document (JSON)" doc={doc} />
          <button type="submit" disabled={action.busy}>
            Create policy
          </button>
          <ErrorNote error={action.error} />
        </div>
      </form>
    </>
  );
}
