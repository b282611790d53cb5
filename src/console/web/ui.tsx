/** What every page shares: loading with errors in words, labelled fields, the copy button, dates. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, type Session } from "./api.js";

/** An error as the console words it: the server's code and message. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined) return null;
  return (
    <p class="error" role="alert">
      {describe(error)}
    </p>
  );
}

export interface Loaded<T> {
  readonly data?: T | undefined;
  readonly error?: unknown;
  readonly loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change (and on `reload`), keeping its value or its error. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { ...state, reload: useCallback(() => setRound((r) => r + 1), []) };
}

/** A button running an action: disabled while it runs, its error shown beside it. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  run: (action: () => Promise<void>) => Promise<void>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clear: () => setError(undefined) };
}

let fieldIds = 0;

/** A labelled input; the label names it for assistive technology and for tests. */
export function Field(props: { label: string; children: (id: string) => ComponentChildren; hint?: string }) {
  const [id] = useState(() => `f${++fieldIds}`);
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.children(id)}
      {props.hint === undefined ? null : <small>{props.hint}</small>}
    </div>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard API outside a secure context: copy through a selection.
      const area = document.createElement("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setDone(true);
  };
  return (
    <button type="button" onClick={() => void copy()} aria-label={label}>
      {done ? "Copied" : "Copy"}
    </button>
  );
}

/** A new key's secret, shown once, with the lines that put it in a shell's environment. */
export function SecretPanel(props: {
  accessKeyId: string;
  secretAccessKey: string;
  session: Session;
  note?: string;
}) {
  const origin = `${location.protocol}//${location.host}`;
  const exports =
    `export AWS_ENDPOINT_URL=<s3gate data endpoint> AWS_ENDPOINT_URL_IAM=<s3gate data endpoint> ` +
    `AWS_ACCESS_KEY_ID=${props.accessKeyId} AWS_SECRET_ACCESS_KEY=${props.secretAccessKey} ` +
    `AWS_REGION=${props.session.region} AWS_DEFAULT_REGION=${props.session.region}`;
  return (
    <section class="secret" aria-labelledby="secret-title">
      <h3 id="secret-title">New key {props.accessKeyId}</h3>
      <p>The secret is shown only now: copy it before leaving this page.</p>
      <dl>
        <dt>Access key id</dt>
        <dd>
          <code data-testid="new-key-id">{props.accessKeyId}</code>{" "}
          <CopyButton text={props.accessKeyId} label="Copy the access key id" />
        </dd>
        <dt>Secret access key</dt>
        <dd>
          <code data-testid="new-key-secret">{props.secretAccessKey}</code>{" "}
          <CopyButton text={props.secretAccessKey} label="Copy the secret access key" />
        </dd>
      </dl>
      <p>
        For a shell (the console is at {origin}; the endpoint is s3gate's data listener):{" "}
        <CopyButton text={exports} label="Copy the export lines" />
      </p>
      <pre>{exports}</pre>
      {props.note === undefined ? null : <p>{props.note}</p>}
    </section>
  );
}

/** An ISO time for a table: date and minutes, UTC. */
export function when(iso: unknown): string {
  if (typeof iso !== "string" || iso === "") return "";
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** `#/a/b` links, with the parts encoded. */
export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join("/")}`;

/** A table of a listing: its caption says how many rows were loaded (or that they are loading). */
export function Table(props: {
  columns: readonly string[];
  /** The listing and what its rows are, for the caption ("3 keys"). */
  listing?: { loaded: Loaded<readonly unknown[]>; noun: string };
  children: ComponentChildren;
}) {
  const l = props.listing;
  return (
    <div class="scroll">
      <table>
        {l === undefined ? null : (
          <caption>{l.loaded.loading ? "Loading…" : `${l.loaded.data?.length ?? 0} ${l.noun}`}</caption>
        )}
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
