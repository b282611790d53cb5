/** The identifier formats clients and stored data rely on. */
import { expect, test } from "vitest";
import {
  accessKeyId,
  hostId,
  leaseId,
  policyId,
  randomHex,
  requestId,
  secretAccessKey,
  uploadId,
} from "../src/ids.js";

test("each id has its format", () => {
  expect(accessKeyId("S3GK")).toMatch(/^S3GK[A-Z2-7]{16}$/);
  expect(accessKeyId("S3GATEDEV")).toMatch(/^S3GATEDEV[A-Z2-7]{11}$/);
  expect(secretAccessKey()).toMatch(/^[A-Za-z0-9+/]{40}$/);
  expect(policyId()).toMatch(/^ANPA[A-Z2-7]{17}$/);
  expect(randomHex(6)).toMatch(/^[0-9a-f]{12}$/);
  expect(uploadId()).toMatch(/^[\w-]{32}$/);
  expect(leaseId()).toMatch(/^[\w-]{16}$/);
  expect(hostId()).toMatch(/^[A-Za-z0-9+/]{32}$/);
});

test("request ids share a per-process prefix and count up", () => {
  const [a, b] = [requestId(), requestId()];
  expect(a).toMatch(/^[0-9A-F]{16}$/);
  expect(b.slice(0, 8)).toBe(a.slice(0, 8));
  expect(parseInt(b.slice(8), 16) - parseInt(a.slice(8), 16)).toBe(1);
});
