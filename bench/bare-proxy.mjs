// The baseline: a bare undici pass-through proxy (no authentication, no re-signing), streaming both ways.
// With `--sigv4-hashes` it also computes, per request, the six SHA-256 that verifying a SigV4 signature and
// signing the upstream request take at the least (the canonical request's hash and a two-hash HMAC, each way,
// with cached signing keys), and nothing else: the ceiling of a verify-and-re-sign proxy built on Node's crypto
// that handles each request as it arrives. With `--held-relay` it relays answers with s3gate's own ResponseRelay
// (from dist/) instead of stream(): what arrives in the turn of the event loop in which a response starts is
// written once that turn's I/O is handled, with the other responses started in it. It shows how much of s3gate's
// figure comes from that relay alone.
import { createServer } from "node:http";
import { hash } from "node:crypto";
import { Pool } from "undici";

const pool = new Pool(`http://127.0.0.1:${process.argv[2]}`, { connections: 256, pipelining: 1 });
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"]);

const SIGV4_HASHES = process.argv[3] === "--sigv4-hashes";
const HELD_RELAY = process.argv[3] === "--held-relay";
const inner = Buffer.alloc(64 + 1024, 0x36);
const outer = Buffer.alloc(64 + 32, 0x5c);

/** HMAC-SHA256 with a fixed cached key: two one-shot hashes, as s3gate computes it. */
function hmacHex(data) {
  const n = inner.write(data, 64);
  outer.write(hash("sha256", inner.subarray(0, 64 + n), "hex"), 64, "hex");
  return hash("sha256", outer, "hex");
}

/** The SigV4 signature of a request with UNSIGNED-PAYLOAD (the key is fixed: the cost is the hashes). */
function signature(req) {
  const date = req.headers["x-amz-date"];
  const canonical = `${req.method}\n${req.url}\n\nhost:${req.headers.host}\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:${date}\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD`;
  const scope = `${date?.slice(0, 8)}/us-east-1/s3/aws4_request`;
  return hmacHex(`AWS4-HMAC-SHA256\n${date}\n${scope}\n${hash("sha256", canonical, "hex")}`);
}

/** s3gate's relay, loaded only for `--held-relay` (the baseline itself uses nothing of s3gate). */
const { ResponseRelay } = HELD_RELAY ? await import("../dist/forward/forwarder.js") : {};

const server = createServer({ highWaterMark: 1 << 20 }, (req, res) => {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  if (SIGV4_HASHES) {
    // A verifier compares; the comparison's outcome is ignored here (the key is not the client's).
    if (req.headers.authorization?.endsWith(signature(req))) headers["x-verified"] = "1";
    headers.authorization = `AWS4-HMAC-SHA256 Signature=${signature(req)}`;
  }
  const hasBody = req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0";
  if (HELD_RELAY) {
    // No timing (upstreamStart unset); the request id sent is a fixed one; a failure drops the connection.
    const link = {
      requestId: "0000000000000000",
      upstreamStart: undefined,
      upstreamMs: undefined,
      upstream: undefined,
    };
    pool.dispatch(
      { path: req.url, method: req.method, headers, body: hasBody ? req : null },
      new ResponseRelay(
        res,
        link,
        () => {},
        () => res.destroy(),
      ),
    );
    return;
  }
  pool
    .stream(
      { path: req.url, method: req.method, headers, body: hasBody ? req : null, opaque: res },
      ({ statusCode, headers: h, opaque }) => {
        for (const [k, v] of Object.entries(h)) if (!HOP.has(k)) opaque.setHeader(k, v);
        opaque.writeHead(statusCode);
        return opaque;
      },
    )
    .catch(() => res.destroy());
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${server.address().port}\n`));
