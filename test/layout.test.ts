/**
 * The tree's shape: imports run only down the request's path (the security core imports nothing from the
 * forwarder, the IAM API or the HTTP plumbing; the IAM API nothing from the forwarder), and no module imports
 * itself through a circle.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "..", "src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** `x.js` as imported → the source, `x.ts` or (the console's components) `x.tsx`. */
const resolveSource = (path: string): string => {
  const ts = path.replace(/\.js$/, ".ts");
  return existsSync(ts) ? ts : `${ts}x`;
};

const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gm;

/** Module (path relative to src/, `.ts`) → the modules it imports, type-only imports included. */
const GRAPH = new Map<string, string[]>(
  sources(SRC).map((file) => {
    const text = readFileSync(file, "utf8");
    const deps = [...text.matchAll(IMPORT)].map((m) =>
      relative(SRC, resolveSource(normalize(join(dirname(file), m[1]!)))),
    );
    return [relative(SRC, file), deps];
  }),
);

const RULES: [string, string[]][] = [
  ["authenticate/", ["forward/", "iam/", "http/", "backend/", "pipeline.ts", "stages.ts", "app.ts"]],
  [
    "classify/",
    ["forward/", "iam/", "http/", "backend/", "authenticate/", "pipeline.ts", "stages.ts", "app.ts"],
  ],
  [
    "authorize/",
    ["forward/", "iam/", "http/", "backend/", "authenticate/", "pipeline.ts", "stages.ts", "app.ts"],
  ],
  ["sigv4/", ["forward/", "iam/", "http/", "backend/", "authenticate/", "classify/", "authorize/"]],
  ["backend/", ["forward/", "iam/", "http/", "pipeline.ts", "stages.ts"]],
  ["iam/", ["forward/", "http/", "pipeline.ts", "stages.ts", "workers/"]],
  // The processes around the gateway: only main.ts starts them, and nothing of the request path knows of them.
  ...[
    "authenticate/",
    "classify/",
    "authorize/",
    "forward/",
    "http/",
    "observe/",
    "pipeline.ts",
    "stages.ts",
    "app.ts",
  ].map((from): [string, string[]] => [from, ["workers/"]]),
  // The browser's code: the validator and the action catalogue, never the server's parts.
  [
    "console/web/",
    [
      "forward/",
      "http/",
      "backend/",
      "authenticate/",
      "iam/api/",
      "iam/store/",
      "cli/",
      "sigv4/",
      "pipeline.ts",
      "stages.ts",
      "app.ts",
      "console/serve-console.ts",
    ],
  ],
];

describe("the source layout", () => {
  it("reads every module of src/", () => {
    expect(GRAPH.size).toBeGreaterThan(50);
    expect(GRAPH.get("stages.ts")).toContain("authorize/index.ts");
  });

  it.each(RULES)("%s imports nothing from %j", (from, forbidden) => {
    const bad: string[] = [];
    for (const [module, deps] of GRAPH) {
      if (!module.startsWith(from)) continue;
      for (const dep of deps) if (forbidden.some((f) => dep.startsWith(f))) bad.push(`${module} → ${dep}`);
    }
    expect(bad).toEqual([]);
  });

  it("has no import circles", () => {
    const circles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (module: string, path: string[]): void => {
      if (state.get(module) === "done") return;
      if (state.get(module) === "open") {
        circles.push([...path.slice(path.indexOf(module)), module].join(" → "));
        return;
      }
      state.set(module, "open");
      for (const dep of GRAPH.get(module) ?? []) visit(dep, [...path, module]);
      state.set(module, "done");
    };
    for (const module of GRAPH.keys()) visit(module, []);
    expect(circles).toEqual([]);
  });
});
