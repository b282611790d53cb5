/**
 * What Node's HTTP layer would answer on its own, answered as S3 does: an Expect other than 100-continue is
 * ignored (the object is stored), and a request Node's parser refuses gets S3's XML error and an access line.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateBucketCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { s3Client, startRig, ROOT_KEY, type Rig } from "../helpers/backend.js";
import { signRequest } from "../helpers/sign.js";

let rig: Rig;
let logFile: string;
const BUCKET = "edges";

beforeAll(async () => {
  logFile = join(mkdtempSync(join(tmpdir(), "s3gate-edges-")), "access.log");
  rig = await startRig({ S3GATE_ACCESS_LOG: logFile });
  const s3 = s3Client(rig.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.destroy();
});

afterAll(async () => rig?.stop());

/** Writes a raw request and reads the whole answer (the connection is closed after it). */
async function rawExchange(text: string | Buffer): Promise<string> {
  const socket = connect(rig.gateway.data.port, "127.0.0.1");
  await once(socket, "connect");
  socket.write(text);
  let out = "";
  socket.on("data", (d: Buffer) => (out += d.toString("latin1")));
  await once(socket, "close");
  return out;
}

async function signedPut(key: string, extra: [string, string][]): Promise<string> {
  const body = "stored despite Expect";
  const signed = await signRequest({
    method: "PUT",
    host: `127.0.0.1:${rig.gateway.data.port}`,
    path: `/${BUCKET}/${key}`,
    headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(body.length) },
    ...ROOT_KEY,
  });
  let head = `PUT ${signed.target} HTTP/1.1\r\nConnection: close\r\n`;
  for (let i = 0; i < signed.rawHeaders.length; i += 2)
    head += `${signed.rawHeaders[i]}: ${signed.rawHeaders[i + 1]}\r\n`;
  for (const [name, value] of extra) head += `${name}:${value === "" ? "" : " " + value}\r\n`;
  return rawExchange(head + "\r\n" + body);
}

const accessLines = (): Record<string, unknown>[] =>
  readFileSync(logFile, "utf8")
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("Expect values other than 100-continue", () => {
  it.each([
    ["Expect: 200", "expect-200", "200"],
    ["an empty Expect", "expect-empty", ""],
  ])("%s: the object is stored", async (_name, key, value) => {
    const answer = await signedPut(key, [["Expect", value]]);
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
    const s3 = s3Client(rig.endpoint);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await got.Body!.transformToString()).toBe("stored despite Expect");
    s3.destroy();
  });
});

describe("a request Node's parser refuses", () => {
  it("gets S3's BadRequest in XML with a request id, and leaves an access line", async () => {
    const answer = await rawExchange("GET /edges/k HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n");
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(answer).toContain("<Code>BadRequest</Code>");
    const id = /x-amz-request-id: ([0-9A-F]{16})/.exec(answer)?.[1];
    expect(id).toBeDefined();
    await new Promise((r) => setTimeout(r, 100));
    const line = accessLines().find((l) => l.requestId === id);
    expect(line).toMatchObject({
      status: 400,
      error: "BadRequest",
      operation: "Unknown",
      remote: "127.0.0.1",
    });
    const metrics = await (await fetch(`${rig.admin}/metrics`)).text();
    expect(metrics).toMatch(/s3gate_errors_total\{code="BadRequest"\} [1-9]/);
  });
});
