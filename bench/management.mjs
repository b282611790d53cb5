// The management surfaces' budgets: how long `s3gate … --help` takes to start against a bare `node` start in
// the same run (the CLI's target is under 300 ms), and the web console's assets gzipped (target ≤ 300 KB).
// Run after `npm run build`: `npm run bench:management`.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const ROOT = join(import.meta.dirname, "..");
const MAIN = join(ROOT, "dist", "main.js");
const ROUNDS = 15;

function medianMs(args) {
  spawnSync(process.execPath, args); // warm the file cache
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: "utf8" });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const bare = medianMs(["-e", ""]);
console.log(`node -e '' (baseline)         ${bare.toFixed(1)} ms`);
for (const words of [
  ["--help"],
  ["keys", "--help"],
  ["keys", "list", "--help"],
  ["policies", "validate", "--help"],
]) {
  const ms = medianMs([MAIN, ...words]);
  console.log(
    `s3gate ${words.join(" ").padEnd(24)} ${ms.toFixed(1)} ms  (${(ms / bare).toFixed(2)}× a bare node start; target < 300 ms)`,
  );
}
let total = 0;
for (const file of ["console.js", "console.css"]) {
  const body = readFileSync(join(ROOT, "dist", "console", file));
  const gz = gzipSync(body, { level: 9 }).length;
  total += gz;
  console.log(
    `console ${file.padEnd(12)} ${(body.length / 1024).toFixed(1)} KB, gzipped ${(gz / 1024).toFixed(1)} KB`,
  );
}
console.log(`console assets gzipped        ${(total / 1024).toFixed(1)} KB (target ≤ 300 KB)`);
