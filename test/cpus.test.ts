import { describe, expect, it } from "vitest";
import { cgroupCpuLimit, usableCpus } from "../src/cpus.js";

describe("the CPUs s3gate may use", () => {
  const V2 = "/sys/fs/cgroup/cpu.max";
  const V1Q = "/sys/fs/cgroup/cpu/cpu.cfs_quota_us";
  const V1P = "/sys/fs/cgroup/cpu/cpu.cfs_period_us";
  it.each([
    ["no cgroup files", {}, undefined],
    ["cgroup v2 without a limit", { [V2]: "max 100000\n" }, undefined],
    ["cgroup v2, two CPUs", { [V2]: "200000 100000\n" }, 2],
    ["cgroup v2, half a CPU", { [V2]: "50000 100000\n" }, 0.5],
    ["cgroup v2, garbage", { [V2]: "lots\n" }, undefined],
    ["cgroup v1 without a limit", { [V1Q]: "-1\n", [V1P]: "100000\n" }, undefined],
    ["cgroup v1, one and a half CPUs", { [V1Q]: "150000\n", [V1P]: "100000\n" }, 1.5],
    ["cgroup v1, a quota without its period", { [V1Q]: "150000\n" }, undefined],
  ] as const)("CPU limit: %s", (_name, files, expected) => {
    const read = (path: string): string | undefined => (files as Record<string, string>)[path];
    expect(cgroupCpuLimit(read)).toBe(expected);
  });

  it.each([
    ["one CPU", 1, undefined, 1],
    ["eight CPUs", 8, undefined, 8],
    ["eight CPUs under a limit of two", 8, 2, 2],
    ["eight CPUs under a limit of 2.5", 8, 2.5, 2],
    ["eight CPUs under a limit of half a CPU", 8, 0.5, 1],
    ["one CPU under a limit of four", 1, 4, 1],
  ] as const)("whole CPUs: %s", (_name, cpus, limit, expected) => {
    expect(usableCpus(cpus, limit)).toBe(expected);
  });
});
