/** vitest globalSetup: one RGW for the whole run, handed to the test files as inject("rgw"). */
import type { TestProject } from "vitest/node";
import { HAS_RGW, startRgw } from "./rgw.js";

/** Starts the run's RGW (or provides null where radosgw is not installed) and returns its teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!HAS_RGW) {
    console.warn(
      "NOTICE: radosgw is not installed: the suites against Ceph RGW are skipped (.ci/run installs it).",
    );
    project.provide("rgw", null);
    return async () => {};
  }
  const started = performance.now();
  const rgw = await startRgw();
  process.stderr.write(`RGW started in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  project.provide("rgw", { url: rgw.url, conf: rgw.conf, dir: rgw.dir, admin: rgw.admin });
  return () => rgw.stop();
}
