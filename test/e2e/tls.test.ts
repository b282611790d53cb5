/**
 * TLS on the data plane, end to end: @aws-sdk/client-s3 over HTTPS against a certificate made with openssl at
 * test time, the socket's `encrypted` flag reaching the request (aws:SecureTransport), plain HTTP refused, and
 * the certificate replaced on disk picked up without a restart (a broken pair keeps the previous one).
 */
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startRig, ROOT_KEY, type Rig } from "../helpers/backend.js";
import {
  HAS_OPENSSL,
  install,
  makeCertificate as makeTestCertificate,
  presented,
  type Pair,
} from "../helpers/tls-cert.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createDataServer, listen, stopServer } from "../../src/http/server.js";
import { parseRequest } from "../../src/request.js";
import { loadTlsMaterial } from "../../src/http/tls.js";

if (!HAS_OPENSSL) console.warn("NOTICE: openssl is not installed: the TLS end-to-end tests are skipped.");

const dir = mkdtempSync(join(tmpdir(), "s3gate-tls-"));
const CERT = join(dir, "tls.crt");
const KEY = join(dir, "tls.key");

const FILES = { cert: CERT, key: KEY };
/** A new pair in `dir`, installed as the files s3gate serves unless `serve` is false. */
function makeCertificate(name: string, days: number, serve = true): Pair {
  const pair = makeTestCertificate(dir, name, days);
  if (serve) install(pair, FILES);
  return pair;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!HAS_OPENSSL)("TLS data plane", () => {
  let rig: Rig;
  let first: { cert: string; key: string };
  let s3: S3Client;

  beforeAll(async () => {
    first = makeCertificate("first", 30);
    rig = await startRig({
      S3GATE_TLS_CERT_FILE: CERT,
      S3GATE_TLS_KEY_FILE: KEY,
      S3GATE_TLS_RELOAD_INTERVAL_MS: "100",
      S3GATE_CONSOLE_LISTEN: "127.0.0.1:0",
    });
    s3 = new S3Client({
      endpoint: `https://localhost:${rig.gateway.data.port}`,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: ROOT_KEY,
      maxAttempts: 1,
      requestChecksumCalculation: "WHEN_REQUIRED",
      requestHandler: { httpsAgent: new Agent({ ca: first.cert, keepAlive: true }) },
    });
  });

  afterAll(async () => {
    s3?.destroy();
    await rig?.stop();
  });

  it("serves @aws-sdk/client-s3 over HTTPS, end to end", async () => {
    expect(rig.gateway.tls).toBe(true);
    await s3.send(new CreateBucketCommand({ Bucket: "tls-bucket" }));
    const body = "sent over TLS\n".repeat(1000);
    await s3.send(new PutObjectCommand({ Bucket: "tls-bucket", Key: "a/b.txt", Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: "tls-bucket", Key: "a/b.txt" }));
    expect(await got.Body!.transformToString()).toBe(body);
    const put = rig.tap.requests.find(
      (r) => r.method === "PUT" && r.target.startsWith("/tls-bucket/a/b.txt"),
    );
    expect(put).toMatchObject({ completed: true, bodyBytes: body.length, signatureValid: true });
    // The web console is served over TLS too.
    const page = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: rig.gateway.console!.port,
          path: "/",
          servername: "localhost",
          ca: first.cert,
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode, body: text }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>s3gate console</title>");
  });

  it("refuses plain HTTP on the TLS port and anything below TLS 1.2", async () => {
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: "127.0.0.1", port: rig.gateway.data.port, path: "/" }, (res) =>
        resolve(`status ${res.statusCode}`),
      );
      req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.end();
    });
    expect(plain).not.toMatch(/^status/);
    const old = await new Promise<string>((resolve) => {
      const socket = tlsConnect(
        { host: "127.0.0.1", port: rig.gateway.data.port, ca: first.cert, maxVersion: "TLSv1.1" },
        () => resolve("connected"),
      );
      socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(old).not.toBe("connected");
  });

  it("reloads a replaced certificate without a restart, keeping the old one while the pair is broken", async () => {
    const port = rig.gateway.data.port;
    const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;
    expect(await presented(port, [first.cert])).toBe(fingerprint(first.cert));

    // Only the certificate replaced: it does not match the key, so the first pair stays in service.
    const second = makeCertificate("second", 90, false);
    install({ cert: second.cert }, FILES);
    await new Promise((r) => setTimeout(r, 400));
    expect(await presented(port, [first.cert])).toBe(fingerprint(first.cert));

    // Then the key: the second pair is installed.
    install({ key: second.key }, FILES);
    let now = "";
    for (let i = 0; i < 50 && now !== fingerprint(second.cert); i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await presented(port, [first.cert, second.cert]);
    }
    expect(now).toBe(fingerprint(second.cert));
    // The console's listener reloads the same pair.
    let onConsole = "";
    for (let i = 0; i < 50 && onConsole !== fingerprint(second.cert); i++) {
      onConsole = await presented(rig.gateway.console!.port, [first.cert, second.cert]);
      if (onConsole !== fingerprint(second.cert)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(onConsole).toBe(fingerprint(second.cert));
    const metrics = await (await fetch(`${rig.admin}/metrics`)).text();
    const expiry = Number(/^s3gate_tls_certificate_expiry_timestamp_seconds (\S+)/m.exec(metrics)?.[1]);
    expect(expiry * 1000).toBe(Date.parse(new X509Certificate(second.cert).validTo));
  });
});

describe.skipIf(!HAS_OPENSSL)("TLS and the request", () => {
  it("marks requests on a TLS socket secure (aws:SecureTransport) and plain ones not", async () => {
    const pair = makeCertificate("unit", 1, false);
    const seen: boolean[] = [];
    const handler = (req: IncomingMessage, res: ServerResponse): undefined => {
      seen.push(parseRequest(req, Date.now()).secure);
      res.end("ok");
    };
    for (const tls of [{ cert: pair.cert, key: pair.key }, undefined]) {
      const server = createDataServer(handler, { requestTimeoutMs: 0, tls });
      const { port } = (await listen(server, { host: "127.0.0.1", port: 0 })) as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const options = { host: "127.0.0.1", port, path: "/b/k", ca: pair.cert, servername: "localhost" };
        const req = (tls === undefined ? httpRequest : httpsRequest)(options, (res) => {
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", reject);
        req.end();
      });
      await stopServer(server, 0);
    }
    expect(seen).toEqual([true, false]);
  });

  it("requires both files, and a key that matches the certificate", () => {
    expect(() => loadConfig({ S3GATE_TLS_CERT_FILE: CERT })).toThrow(ConfigError);
    expect(() => loadConfig({ S3GATE_TLS_KEY_FILE: KEY })).toThrow(/set both or neither/);
    const a = makeCertificate("a", 1, false);
    const b = makeCertificate("b", 1, false);
    writeFileSync(join(dir, "pair.crt"), a.cert);
    writeFileSync(join(dir, "pair.key"), b.key);
    expect(() =>
      loadTlsMaterial({ certFile: join(dir, "pair.crt"), keyFile: join(dir, "pair.key") }),
    ).toThrow(/^TLS: .*key values mismatch/);
    expect(() => loadTlsMaterial({ certFile: join(dir, "none.crt"), keyFile: KEY })).toThrow(
      /^TLS: .*ENOENT/,
    );
  });
});
