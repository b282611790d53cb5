/**
 * `kubectl kustomize` for the features deploy/kubernetes uses: resources (files and directories), strategic-merge
 * patches by file, and image overrides. Any other kustomization field is an error, so a manifest cannot start
 * relying on a feature this renderer would silently skip. Where kubectl is installed, the test compares.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";

type Obj = Record<string, unknown>;
const SUPPORTED = new Set(["apiVersion", "kind", "resources", "patches", "images"]);
/** List fields merged by `name` in strategic merge patches (the ones these manifests patch). */
const MERGE_BY_NAME = new Set(["containers", "initContainers", "env", "volumes", "volumeMounts", "ports"]);

interface Kustomization {
  resources?: string[];
  patches?: { path: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

function readDocs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** Strategic merge: maps merge, lists of named items merge by name, other lists are replaced, null deletes. */
export function strategicMerge(base: unknown, patch: unknown, field = ""): unknown {
  if (Array.isArray(base) && Array.isArray(patch) && MERGE_BY_NAME.has(field)) {
    const out = base.map((x) => ({ ...(x as Obj) }));
    for (const item of patch as Obj[]) {
      const i = out.findIndex((x) => x.name === item.name);
      if (i < 0) out.push(item);
      else out[i] = strategicMerge(out[i], item) as Obj;
    }
    return out;
  }
  if (typeof base !== "object" || base === null || Array.isArray(base)) return patch;
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Obj = { ...(base as Obj) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v, k);
  }
  return out;
}

const id = (o: Obj): string => `${String(o.kind)}/${String((o.metadata as Obj).name)}`;

/** Renders a kustomization directory to its objects. */
export function kustomize(dir: string): Obj[] {
  const k = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Kustomization & Obj;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key))
      throw new Error(`${dir}/kustomization.yaml: ${key} is not supported by this renderer`);
  }
  let objects: Obj[] = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    if (!existsSync(path)) throw new Error(`${dir}: resource ${r} not found`);
    objects.push(...(statSync(path).isDirectory() ? kustomize(path) : readDocs(path)));
  }
  const seen = new Set<string>();
  for (const o of objects) {
    if (seen.has(id(o))) throw new Error(`${dir}: ${id(o)} defined twice`);
    seen.add(id(o));
  }
  for (const p of k.patches ?? []) {
    if (Object.keys(p).join() !== "path") throw new Error(`${dir}: only {path} patches are supported`);
    for (const patch of readDocs(join(dir, p.path))) {
      const i = objects.findIndex((o) => id(o) === id(patch));
      if (i < 0) throw new Error(`${dir}: patch ${p.path} matches no resource (${id(patch)})`);
      objects[i] = strategicMerge(objects[i], patch) as Obj;
    }
  }
  for (const img of k.images ?? []) {
    objects = objects.map((o) => {
      const spec = ((o.spec as Obj | undefined)?.template as Obj | undefined)?.spec as Obj | undefined;
      if (spec === undefined) return o;
      for (const list of ["containers", "initContainers"]) {
        for (const c of (spec[list] as Obj[] | undefined) ?? []) {
          const image = String(c.image);
          const name = image.replace(/[:@].*$/, "");
          if (name === img.name)
            c.image = `${img.newName ?? name}:${img.newTag ?? image.split(":")[1] ?? "latest"}`;
        }
      }
      return o;
    });
  }
  return objects;
}
