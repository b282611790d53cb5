/**
 * The container without Docker: the Dockerfile's rules (LTS base, multi-stage, production dependencies only,
 * non-root numeric user, ports, exec-form entry point and health check, build context), then its entry point
 * and HEALTHCHECK command run as the image runs them — same command, same environment, same working directory
 * layout (dist/, node_modules/, package.json).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { builtinModules } from "node:module";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT_KEY } from "../helpers/backend.js";
import { loadConfig } from "../../src/config.js";

const ROOT = join(import.meta.dirname, "..", "..");
const DOCKERFILE = readFileSync(join(ROOT, "Dockerfile"), "utf8");

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line) && pending === "") continue;
    pending += line.replace(/\\$/, " ");
    if (line.endsWith("\\")) continue;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(pending);
    if (m !== null) out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim() });
    pending = "";
  }
  return out;
}

const ALL = instructions(DOCKERFILE);
const stages: Instruction[][] = [];
for (const i of ALL) {
  if (i.op === "FROM") stages.push([]);
  stages.at(-1)?.push(i);
}
const final = stages.at(-1)!;
const one = (op: string): string => {
  const found = final.filter((i) => i.op === op);
  expect(found, op).toHaveLength(1);
  return found[0]!.args;
};
const execForm = (args: string): string[] => {
  const json = args.slice(args.indexOf("["));
  const argv = JSON.parse(json) as string[];
  expect(Array.isArray(argv)).toBe(true);
  return argv;
};
/** ENV of the final stage (both `K=V K2=V2` and `K V` forms). */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of final.filter((x) => x.op === "ENV")) {
    for (const m of i.args.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g))
      env[m[1]!] = m[2]!.replace(/^"|"$/g, "");
  }
  return env;
}

/** .dockerignore semantics: patterns in order, `!` re-includes, the last match wins; `**` spans directories. */
function dockerIgnored(path: string): boolean {
  const lines = readFileSync(join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  let ignored = false;
  for (const line of lines) {
    const negate = line.startsWith("!");
    const pattern = negate ? line.slice(1) : line;
    const re = new RegExp(
      "^" +
        pattern
          .split("**")
          .map((part) =>
            part
              .replace(/[.+^${}()|[\]\\]/g, "\\$&")
              .replace(/\*/g, "[^/]*")
              .replace(/\?/g, "[^/]"),
          )
          .join(".*") +
        "(/.*)?$",
    );
    if (re.test(path)) ignored = !negate;
  }
  return ignored;
}

describe("Dockerfile", () => {
  it("builds on a current Node LTS slim image in several stages", () => {
    const arg = ALL.find((i) => i.op === "ARG" && i.args.startsWith("NODE_IMAGE="))!.args;
    const m = /^NODE_IMAGE=node:(\d+)-([a-z]+)-slim$/.exec(arg);
    expect(m, arg).not.toBeNull();
    const major = Number(m![1]);
    expect(major % 2).toBe(0); // LTS lines are the even ones
    expect(major).toBeGreaterThanOrEqual(22);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s[0]!.args).toMatch(/^\$\{NODE_IMAGE\}/);
  });

  it("ships production dependencies only, and dist/ without the compiler or sources", () => {
    const copies = final.filter((i) => i.op === "COPY").map((i) => i.args);
    const modules = copies.find((c) => c.includes("node_modules"))!;
    const from = /--from=(\S+)/.exec(modules)![1]!;
    const depsStage = stages.find((s) => s[0]!.args.endsWith(` AS ${from}`))!;
    expect(depsStage.some((i) => i.op === "RUN" && /npm ci .*--omit=dev/.test(i.args))).toBe(true);
    expect(copies.some((c) => /--from=\S+ \/app\/dist \.\/dist/.test(c))).toBe(true);
    expect(copies.some((c) => /\bsrc\b/.test(c))).toBe(false);
  });

  it("runs as a numeric non-root user, exposes the data and admin ports, stops on SIGTERM", () => {
    const [uid, gid] = one("USER").split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    const env = imageEnv();
    const ports = one("EXPOSE").split(/\s+/).map(Number);
    expect(ports).toContain(Number(env.S3GATE_LISTEN!.split(":").pop()));
    expect(ports).toContain(Number(env.S3GATE_ADMIN_LISTEN!.split(":").pop()));
    expect(one("STOPSIGNAL")).toBe("SIGTERM");
    expect(one("HEALTHCHECK")).toMatch(/^--interval=\S+ --timeout=\S+ .*CMD \[/);
  });

  it("sends a build context with what the build copies and nothing else", () => {
    for (const i of ALL.filter((x) => x.op === "COPY" && !x.args.startsWith("--from"))) {
      const sources = i.args
        .split(/\s+/)
        .filter((a) => !a.startsWith("--"))
        .slice(0, -1);
      for (const src of sources) {
        expect(existsSync(join(ROOT, src)), src).toBe(true);
        expect(dockerIgnored(src), src).toBe(false);
      }
    }
    expect(dockerIgnored("src/main.ts")).toBe(false);
    for (const p of [
      ".git",
      "node_modules/x",
      "dist/main.js",
      "test/e2e/x.ts",
      ".data/root-credentials.json",
      "deploy/helm",
    ]) {
      expect(dockerIgnored(p), p).toBe(true);
    }
  });

  it("needs no development dependency at run time, dev mode included", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith(".js")) files.push(p);
      }
    };
    walk(join(ROOT, "dist"));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(
        /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"|import\("([^"]+)"\)/g,
      )) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith(".") || spec.startsWith("node:")) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        expect(allowed.has(name), `${relative(ROOT, file)} imports ${spec}`).toBe(true);
      }
    }
  });
});

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe("the image's entry point and HEALTHCHECK, without Docker", () => {
  it("starts with the image's command and environment, is healthy, and stops with exit code 0", async () => {
    const [entry, ...entryArgs] = execForm(one("ENTRYPOINT"));
    const command = execForm(one("CMD"));
    const healthcheck = execForm(one("HEALTHCHECK"));
    expect(entry).toBe("node");
    const env = {
      PATH: process.env.PATH,
      ...imageEnv(),
      // What `docker run -e …` adds (README), and ports of our own: tests run side by side.
      S3GATE_LISTEN: `127.0.0.1:${await freePort()}`,
      S3GATE_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
      S3GATE_BACKEND_URL: `http://127.0.0.1:${await freePort()}`,
      S3GATE_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
      S3GATE_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
      S3GATE_ACCESS_LOG: "off",
      // The volume README mounts on the image's /var/lib/s3gate (the file store and the master key live there).
      S3GATE_DATA_DIR: mkdtempSync(join(tmpdir(), "s3gate-image-data-")),
    };
    const run = (argv: string[]): number | null =>
      spawnSync(process.execPath, argv.slice(1), { cwd: ROOT, env, encoding: "utf8" }).status;
    const unhealthy = run(healthcheck);
    expect(unhealthy).toBe(1);

    const child = spawn(process.execPath, [...entryArgs, ...command], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    for (let i = 0; i < 100 && !stderr.includes('"s3gate started"'); i++)
      await new Promise((r) => setTimeout(r, 50));
    const started = JSON.parse(stderr.split("\n").find((l) => l.includes('"s3gate started"'))!) as {
      level: string;
      mode: string;
      config: Record<string, unknown>;
    };
    expect(started).toMatchObject({ level: "info", mode: "serve" });
    expect(started.config.rootSecretAccessKey).toBe("<redacted>");
    expect(stderr).not.toContain(ROOT_KEY.secretAccessKey);

    expect(run(healthcheck)).toBe(0);
    const admin = `http://${env.S3GATE_ADMIN_LISTEN}`;
    expect((await fetch(`${admin}/readyz`)).status).toBe(503); // the backend is not there

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(run(healthcheck)).toBe(1);
    rmSync(env.S3GATE_DATA_DIR, { recursive: true, force: true });
  });

  it("accepts deploy/s3gate.env.example as a configuration (docker run --env-file)", () => {
    const env: Record<string, string> = {};
    for (const line of readFileSync(join(ROOT, "deploy", "s3gate.env.example"), "utf8").split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      env[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
    const config = loadConfig(env);
    expect(config.backendUrl).toEqual({
      origin: "http://minio.example.internal:9000",
      host: "minio.example.internal:9000",
    });
    expect(config.drainTimeoutMs).toBe(25000);
  });

  it("reports unhealthy (1, never Docker's reserved 2) when the configuration is invalid", () => {
    const [, ...healthArgs] = execForm(one("HEALTHCHECK"));
    const r = spawnSync(process.execPath, healthArgs, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, S3GATE_ADMIN_LISTEN: "nonsense" },
    });
    expect(r.status).toBe(1);
  });
});

describe("Node flags", () => {
  // Every launcher runs s3gate with the same V8 flags (a 16 MB young generation keeps RSS down; see README).
  const shebang = /^#!\/usr\/bin\/env -S node (.*)$/.exec(
    readFileSync(join(ROOT, "src", "main.ts"), "utf8").split("\n", 1)[0]!,
  )?.[1];
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const entrypoint = JSON.parse(ALL.find((i) => i.op === "ENTRYPOINT")!.args) as string[];
  const rows: [string, string | undefined][] = [
    ["npm start", /^node (.*) dist\/main\.js dev$/.exec(pkg.scripts.start!)?.[1]],
    ["npm run serve", /^node (.*) dist\/main\.js serve$/.exec(pkg.scripts.serve!)?.[1]],
    ["the image's ENTRYPOINT", entrypoint.slice(1, entrypoint.indexOf("dist/main.js")).join(" ")],
  ];
  it("are set in the bin's shebang", () => {
    expect(shebang).toBe("--max-semi-space-size=8");
  });
  it.each(rows)("are the same for %s", (_name, flags) => {
    expect(flags).toBe(shebang);
  });
});
