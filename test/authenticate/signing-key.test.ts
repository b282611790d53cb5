import { describe, expect, it } from "vitest";
import { equalSignatures, hmacHex, signingKey } from "../../src/authenticate/signing-key.js";

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
