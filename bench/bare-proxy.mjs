// The baseline: a bare undici pass-through proxy (no authentication, no re-signing), streaming both ways.
// With `--sigv4-hashes` it also computes, per request, the six SHA-256 that verifying a SigV4 signature and
// signing the upstream request take at the least (the canonical request's hash and a two-hash HMAC, each way,
// with cached signing keys), and nothing else: the ceiling of any verify-and-re-sign proxy built on Node's crypto.
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

/** The relays whose response started in this turn, written once its I/O is handled. */
let held = [];
const releaseHeld = () => {
  const batch = held;
  held = [];
  for (const relay of batch) relay.release();
};

/** A dispatch handler: the response's first turn held, then written; later data written at once. */
class HeldRelay {
  constructor(res) {
    this.res = res;
    this.pending = undefined;
  }
  onRequestStart() {}
  onResponseStart(controller, status, headers) {
    const out = [];
    for (const [k, v] of Object.entries(headers)) if (!HOP.has(k)) out.push(k, v);
    this.pending = [() => this.res.writeHead(status, out)];
    if (held.push(this) === 1) setImmediate(releaseHeld);
  }
  onResponseData(controller, chunk) {
    const write = () => {
      if (!this.res.write(chunk)) {
        controller.pause();
        this.res.once("drain", () => controller.resume());
      }
    };
    if (this.pending === undefined) write();
    else this.pending.push(write);
  }
  onResponseEnd() {
    if (this.pending === undefined) this.res.end();
    else this.pending.push(() => this.res.end());
  }
  onResponseError() {
    this.res.destroy();
  }
  release() {
    const ops = this.pending;
    this.pending = undefined;
    for (const op of ops) op();
  }
}

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
    pool.dispatch(
      { path: req.url, method: req.method, headers, body: hasBody ? req : null },
      new HeldRelay(res),
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
