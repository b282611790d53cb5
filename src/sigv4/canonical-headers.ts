/**
 * SigV4 canonical headers: `name:value\n` for each signed header, values of repeated headers joined with `,`
 * (not Node's `, `), each value trimmed with inner runs of spaces collapsed.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request
 */
export function canonicalHeaders(
  headers: ReadonlyMap<string, readonly string[]>,
  signedHeaders: readonly string[],
): string {
  let out = "";
  for (const name of signedHeaders) {
    const values = headers.get(name);
    const value =
      values === undefined ? "" : values.length === 1 ? trimAll(values[0]!) : values.map(trimAll).join(",");
    out += name + ":" + value + "\n";
  }
  return out;
}

const SPACES = /[ \t]+/g;

/** Trims a header value and collapses runs of spaces and tabs to one space (SigV4's Trimall). */
export function trimAll(value: string): string {
  const trimmed = value.trim();
  return trimmed.includes("  ") || trimmed.includes("\t") ? trimmed.replace(SPACES, " ") : trimmed;
}
