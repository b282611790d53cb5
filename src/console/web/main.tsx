/**
 * The s3gate web console: sign in with an access key (kept in this tab only), then keys, policies, the
 * simulator, recent denials and bucket policies, each page a set of IAM (or S3) calls signed in the browser.
 */
import { render } from "preact";
import { useEffect, useErrorBoundary, useState } from "preact/hooks";
import { ApiError, iam, loadSession, pageSetting, saveSession, type Session } from "./api.js";
import { KeyPage, KeysPage } from "./keys.js";
import { NewPolicyPage, PoliciesPage, PolicyPage } from "./policies.js";
import { BucketPage, BucketsPage, DenialsPage, SimulatorPage } from "./tools.js";
import { ErrorNote, Field, describe, href } from "./ui.js";
import "./console.css";

/** Errors that mean the key or its secret is wrong; any other answer proves the signature was accepted. */
const AUTH_ERRORS = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "ExpiredToken",
  "Unreachable",
]);

function SignIn({ signIn }: { signIn: (s: Session) => void }) {
  const [id, setId] = useState("");
  const [secret, setSecret] = useState("");
  const [region, setRegion] = useState(pageSetting("region", "us-east-1"));
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const session = { accessKeyId: id.trim(), secretAccessKey: secret, region: region.trim() };
    try {
      await iam(session, "ListAccessKeys", { UserName: session.accessKeyId });
      signIn(session);
    } catch (err) {
      if (err instanceof ApiError && !AUTH_ERRORS.has(err.code) && err.status !== 0) signIn(session);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>s3gate console</h1>
      <form onSubmit={(e) => void submit(e)} class="panel" aria-label="Sign in">
        <Field label="Access key id">
          {(f) => (
            <input
              id={f}
              autocomplete="username"
              required
              value={id}
              onInput={(e) => setId(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Secret access key" hint="Kept in this browser tab only; every call is signed here.">
          {(f) => (
            <input
              id={f}
              type="password"
              autocomplete="current-password"
              required
              value={secret}
              onInput={(e) => setSecret(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Region">
          {(f) => <input id={f} required value={region} onInput={(e) => setRegion(e.currentTarget.value)} />}
        </Field>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}

/** The hash route: `#/keys/ID?x=y` → ["keys", "ID"] and the query. */
function useRoute(): { parts: string[]; query: URLSearchParams } {
  const read = () => {
    const [path = "", search = ""] = location.hash.replace(/^#\/?/, "").split("?");
    return {
      parts: path
        .split("/")
        .filter((p) => p !== "")
        .map(decodeURIComponent),
      query: new URLSearchParams(search),
    };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

function Page({ session, parts, query }: { session: Session; parts: string[]; query: URLSearchParams }) {
  const [section = "keys", id] = parts;
  if (section === "keys")
    return id === undefined ? <KeysPage session={session} /> : <KeyPage session={session} id={id} />;
  if (section === "policies")
    return id === undefined ? (
      <PoliciesPage session={session} />
    ) : id === "new" ? (
      <NewPolicyPage session={session} />
    ) : (
      <PolicyPage session={session} arn={id} />
    );
  if (section === "simulator") return <SimulatorPage session={session} />;
  if (section === "denials") return <DenialsPage session={session} query={query} />;
  if (section === "buckets")
    return id === undefined ? (
      <BucketsPage session={session} />
    ) : (
      <BucketPage session={session} bucket={id} />
    );
  return <p role="alert">There is no page {location.hash}.</p>;
}

const SECTIONS: readonly [string, string][] = [
  ["keys", "Keys"],
  ["policies", "Policies"],
  ["simulator", "Simulator"],
  ["denials", "Denials"],
  ["buckets", "Bucket policies"],
];

function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const { parts, query } = useRoute();
  // A fault in a page is shown in words, with the way back, rather than as a blank screen.
  const [fault, resetFault] = useErrorBoundary();
  useEffect(() => {
    document.querySelector<HTMLElement>("main h1")?.focus();
    resetFault();
  }, [parts.join("/")]);
  if (session === undefined)
    return (
      <SignIn
        signIn={(s) => {
          saveSession(s);
          setSession(s);
        }}
      />
    );
  const section = parts[0] ?? "keys";
  return (
    <>
      <header>
        <a class="brand" href={href("keys")}>
          s3gate console
        </a>
        <nav aria-label="Sections">
          {SECTIONS.map(([name, label]) => (
            <a key={name} href={href(name)} aria-current={section === name ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          <code>{session.accessKeyId}</code>{" "}
          <button
            type="button"
            onClick={() => {
              saveSession(undefined);
              setSession(undefined);
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <main>
        {fault === undefined ? (
          <Page session={session} parts={parts} query={query} />
        ) : (
          <p class="error" role="alert">
            This page failed: {describe(fault)}. <a href={href("keys")}>Back to the keys</a>
          </p>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
