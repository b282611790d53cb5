import { spawnSync } from "node:child_process";
import { defineConfig } from "vitest/config";

/**
 * Two projects: every test against the development backend, and the end-to-end suites again against a real
 * Ceph RGW (one for the run, started by test/helpers/rgw-global-setup.ts), where radosgw is installed.
 */
const HAS_RADOSGW = spawnSync("radosgw", ["--version"], { encoding: "utf8" }).status === 0;
if (!HAS_RADOSGW)
  console.warn(
    "NOTICE: radosgw is not installed: the suites against Ceph RGW are skipped (.ci/run installs it).",
  );

/** The suites that drive s3gate in front of a backend; each runs against RGW too. */
const AGAINST_RGW = [
  "test/e2e/authorization.test.ts",
  "test/e2e/backend-conformance.test.ts",
  "test/e2e/backend-refusal.test.ts",
  "test/e2e/browser.test.ts",
  "test/e2e/bucket-policy.test.ts",
  "test/e2e/cli-upload.test.ts",
  "test/e2e/cli.test.ts",
  "test/e2e/clients.test.ts",
  "test/e2e/console.test.ts",
  "test/e2e/cors.test.ts",
  "test/e2e/data-path.test.ts",
  "test/e2e/early-answer.test.ts",
  "test/e2e/failures.test.ts",
  "test/e2e/framing.test.ts",
  "test/e2e/hostile-upload.test.ts",
  "test/e2e/http-edges.test.ts",
  "test/e2e/operators.test.ts",
  "test/e2e/post-upload.test.ts",
  "test/e2e/iam.test.ts",
  "test/e2e/response-headers.test.ts",
  "test/e2e/sigv2.test.ts",
  "test/e2e/rgw.test.ts",
  "test/e2e/store-replicas.test.ts",
  "test/e2e/streaming.test.ts",
  "test/e2e/tls.test.ts",
  "test/e2e/workers.test.ts",
  "test/iam/s3-store.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: { name: "dev", include: ["test/**/*.test.ts"], exclude: ["test/e2e/rgw.test.ts"] },
      },
      ...(HAS_RADOSGW
        ? [
            {
              extends: true as const,
              test: {
                name: "rgw",
                include: AGAINST_RGW,
                env: { S3GATE_TEST_BACKEND: "rgw" },
                globalSetup: ["test/helpers/rgw-global-setup.ts"],
              },
            },
          ]
        : []),
    ],
  },
});
