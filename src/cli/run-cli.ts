/**
 * `s3gate keys|policies|simulate|explain …`: finds the command row, parses its options, talks to s3gate's IAM
 * API, and prints a table (or JSON with `--output json`). Exit codes: 0 done, 2 a usage error, 3 denied (the
 * server refused the credentials or the action), 4 refused for another reason (no such key, a bad document),
 * 1 the server failed or cannot be reached.
 */
import { parseArgs } from "node:util";
import { COMMANDS, InvalidDocument, type Command, type Outcome } from "./commands.js";
import { ApiError, resolveTarget, UsageError } from "./iam-client.js";

/** The command line's exit codes. */
export const EXIT = { ok: 0, failure: 1, usage: 2, denied: 3, refused: 4 } as const;

/** The error codes with which a server denies the caller (its credentials, or its permission). */
const DENIALS = new Set([
  "AccessDenied",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "RequestExpired",
]);

/** The words that start a management command. */
export const MANAGEMENT_WORDS: ReadonlySet<string> = new Set(COMMANDS.map((c) => c.words[0]!));

const COMMON = {
  output: { type: "string" },
  "endpoint-url": { type: "string" },
  profile: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** The help of every command starting with `prefix` (all of them for none). */
function helpOf(prefix: readonly string[]): string {
  const rows = COMMANDS.filter((c) => prefix.every((w, i) => c.words[i] === w));
  return [
    "Usage:",
    ...rows.map((c) => `  ${c.usage}\n      ${c.help}`),
    "",
    "Common options: --output table|json, --endpoint-url URL, --profile NAME, --help.",
    "The endpoint and key come from the environment as for the aws CLI: AWS_ENDPOINT_URL_IAM or AWS_ENDPOINT_URL,",
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile of ~/.aws/credentials.",
    "Exit codes: 0 done, 1 server failure, 2 usage error, 3 denied, 4 refused (no such entity, invalid input).",
  ].join("\n");
}

/** A table: a header row and aligned columns. */
export function table(rows: readonly Record<string, string>[]): string {
  if (rows.length === 0) return "(none)";
  const columns = Object.keys(rows[0]!);
  const width = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((v, i) => v.padEnd(width[i]!))
      .join("  ")
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => r[c] ?? "")))].join("\n");
}

function print(outcome: Outcome, json: boolean, io: CliIo): void {
  if (json) return io.out(JSON.stringify(outcome.json, null, 2));
  if (outcome.rows !== undefined) io.out(table(outcome.rows));
  if (outcome.lines !== undefined) io.out(outcome.lines.join("\n"));
}

/** Runs a management command; resolves with its exit code. */
export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  now = Date.now,
): Promise<number> {
  const words = args.filter((a) => !a.startsWith("-"));
  const command: Command | undefined = COMMANDS.find((c) => c.words.every((w, i) => words[i] === w));
  if (command === undefined) {
    const prefix = MANAGEMENT_WORDS.has(words[0] ?? "") ? [words[0]!] : [];
    const wantsHelp = args.includes("--help") || args.includes("-h");
    (wantsHelp ? io.out : io.err)(helpOf(prefix));
    return wantsHelp ? EXIT.ok : EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: args.slice(args.indexOf(command.words.at(-1)!) + 1),
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.err(`s3gate ${command.words.join(" ")}: ${(err as Error).message}\nUsage: ${command.usage}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(`Usage: ${command.usage}\n  ${command.help}`);
    return EXIT.ok;
  }
  const output = values.output ?? "table";
  if (output !== "table" && output !== "json") {
    io.err(`--output must be table or json, not ${String(output)}`);
    return EXIT.usage;
  }
  try {
    const target =
      command.offline === true
        ? undefined
        : resolveTarget(env, {
            endpointUrl: values["endpoint-url"] as string | undefined,
            profile: values.profile as string | undefined,
          });
    const organizationId = env.S3GATE_ORGANIZATION_ID ?? "000000000000";
    const outcome = await command.run({ target, values, positionals, now, organizationId });
    print(outcome, output === "json", io);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`s3gate ${command.words.join(" ")}: ${err.message}\nUsage: ${command.usage}`);
      return EXIT.usage;
    }
    if (err instanceof InvalidDocument) {
      if (output === "json") io.out(JSON.stringify({ valid: false, problems: err.problems }, null, 2));
      else io.err(err.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
      return EXIT.refused;
    }
    if (err instanceof ApiError) {
      io.err(`s3gate ${command.words.join(" ")}: ${err.code}: ${err.message}`);
      if (DENIALS.has(err.code)) return EXIT.denied;
      return err.status === 0 || err.status >= 500 ? EXIT.failure : EXIT.refused;
    }
    throw err;
  }
}
