/**
 * The CPUs this process may use, as `auto` settings count them: its CPU affinity (what `availableParallelism`
 * reports) and its cgroup's CPU limit, which a container's limit is and the affinity does not show.
 */
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";

/** Reads a file's text, or `undefined` when it cannot be read. */
export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/**
 * The CPU limit of this process's cgroup in CPUs (`cpu.max` in cgroup v2, the CFS quota in v1), or `undefined`
 * when there is none.
 */
export function cgroupCpuLimit(read: ReadText = readText): number | undefined {
  const v2 = read("/sys/fs/cgroup/cpu.max")?.trim().split(/\s+/);
  if (v2 !== undefined) return v2[0] === "max" ? undefined : quota(v2[0], v2[1]);
  return quota(read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), read("/sys/fs/cgroup/cpu/cpu.cfs_period_us"));
}

function quota(q: string | undefined, period: string | undefined): number | undefined {
  const n = Number(q?.trim());
  const d = Number(period?.trim());
  return Number.isFinite(n) && n > 0 && Number.isFinite(d) && d > 0 ? n / d : undefined;
}

/** Whole CPUs this process may keep busy at once (at least 1): a limit of 2.5 CPUs counts as 2. */
export function usableCpus(cpus = availableParallelism(), limit = cgroupCpuLimit()): number {
  return Math.max(1, Math.floor(Math.min(cpus, limit ?? Infinity)));
}
