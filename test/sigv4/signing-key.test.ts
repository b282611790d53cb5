import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { equalSignatures, hmacHex, signingKey } from "../../src/sigv4/index.js";

const key32 = signingKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
const bytes = (n: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255));

// hmacHex takes a two-hash path for keys up to one block and short messages, createHmac otherwise: both must
// agree with createHmac on every row.
const rows: [string, Buffer, string][] = [
  ["signing key, empty message", key32, ""],
  [
    "signing key, string to sign",
    key32,
    "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" + "a".repeat(64),
  ],
  ["signing key, multi-byte UTF-8", key32, "région/ключ/鍵/🙂"],
  ["signing key, 682 characters (last on the fast path)", key32, "x".repeat(682)],
  ["signing key, 683 characters (createHmac)", key32, "x".repeat(683)],
  ["signing key, 682 two-byte characters", key32, "é".repeat(682)],
  ["signing key, 2,048 multi-byte characters", key32, "é".repeat(2048)],
  ["16-byte key", bytes(16, 1), "message"],
  ["64-byte key (one block)", bytes(64, 2), "message"],
  ["65-byte key (hashed first: createHmac)", bytes(65, 3), "message"],
  ["key with 0x00 and 0xff bytes", Buffer.from([0, 255, 0, 255, 54, 92]), "message"],
];

describe("hmacHex", () => {
  it.each(rows)("%s", (_name, key, message) => {
    expect(hmacHex(key, message)).toBe(createHmac("sha256", key).update(message).digest("hex"));
  });

  it("gives the same answer when a key is reused with messages of different lengths", () => {
    for (const message of ["long message ".repeat(20), "short", "", "medium message"]) {
      expect(hmacHex(key32, message)).toBe(createHmac("sha256", key32).update(message).digest("hex"));
    }
  });
});

describe("signingKey and hmacHex", () => {
  // The S3 documentation's GET Object example (sig-v4-header-based-auth.html): the derived key signs the
  // string to sign into the documented signature (the whole request is checked in s3-vectors.test.ts).
  it("derive the documented signature", () => {
    const key = signingKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
    const toSign =
      "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972";
    expect(hmacHex(key, toSign)).toBe("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  });

  it("caches the key per secret, date, region and service", () => {
    const a = signingKey("secret", "20261202", "us-east-1", "s3");
    expect(signingKey("secret", "20261202", "us-east-1", "s3")).toBe(a);
    expect(signingKey("secret", "20261202", "us-east-1", "iam")).not.toEqual(a);
    expect(signingKey("secret", "20261203", "us-east-1", "s3")).not.toEqual(a);
  });
});

const sig = "0123456789abcdef".repeat(4);
const compareRows: [string, string, string, boolean][] = [
  ["identical", sig, sig, true],
  ["last character differs", sig, sig.slice(0, 63) + "e", false],
  ["first character differs", sig, "1" + sig.slice(1), false],
  ["upper-case twin (signatures are lower-case hex)", sig, sig.toUpperCase(), false],
  ["shorter", sig, sig.slice(0, 63), false],
  ["longer", sig, sig + "0", false],
  ["empty against a signature", "", sig, false],
  ["both empty", "", "", true],
];

describe("equalSignatures", () => {
  it.each(compareRows)("%s", (_name, a, b, equal) => {
    expect(equalSignatures(a, b)).toBe(equal);
    expect(equalSignatures(b, a)).toBe(equal);
  });
});
