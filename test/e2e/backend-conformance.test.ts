/**
 * One set of S3 checks (test/helpers/backend-conformance.ts) against the project's backend directly (the
 * development backend, or Ceph RGW in the rgw project) and through s3gate in front of it: a difference between
 * the backends is a bug in one of them, a difference through s3gate is s3gate's.
 */
import { afterAll } from "vitest";
import { backendConformance } from "../helpers/backend-conformance.js";
import { BACKEND_KIND, ROOT_KEY, startRig, startS3Process } from "../helpers/backend.js";

const backend = await startS3Process();
const rig = await startRig();

afterAll(async () => {
  await rig.stop();
  await backend.stop();
});

backendConformance(`${BACKEND_KIND} backend, directly`, () => ({
  url: backend.url,
  credentials: backend.credentials,
}));
backendConformance(`s3gate in front of the ${BACKEND_KIND} backend`, () => ({
  url: rig.endpoint,
  credentials: ROOT_KEY,
}));
