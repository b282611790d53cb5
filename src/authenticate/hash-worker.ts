/**
 * The hashing thread's script (see hash-pool.ts): one hash per job id, fed batches in order; each batch is handed
 * back once hashed, with the digests of the segments (chunks) that end in it.
 */
import { parentPort } from "node:worker_threads";
import { createHash, type Hash } from "node:crypto";
import type { FromWorker, ToWorker } from "./hash-messages.js";

const jobs = new Map<number, Hash>();
const port = parentPort!;

port.on("message", (m: ToWorker) => {
  if (m.op === "cancel") {
    jobs.delete(m.id);
    return;
  }
  let h = jobs.get(m.id);
  if (h === undefined) {
    h = createHash(m.algorithm);
    jobs.set(m.id, h);
  }
  if (m.op !== "data") {
    jobs.delete(m.id);
    port.postMessage({ op: "digest", id: m.id, hex: h.digest("hex") } satisfies FromWorker);
    return;
  }
  const bytes = new Uint8Array(m.buffer, 0, m.length);
  let hexes: string[] | undefined;
  if (m.cuts !== undefined) {
    hexes = [];
    let start = 0;
    for (const cut of m.cuts) {
      h.update(bytes.subarray(start, cut));
      hexes.push(h.digest("hex"));
      h = createHash(m.algorithm);
      jobs.set(m.id, h);
      start = cut;
    }
    h.update(bytes.subarray(start));
  } else {
    h.update(bytes);
  }
  port.postMessage({ op: "ack", id: m.id, buffer: m.buffer, hexes } satisfies FromWorker, [m.buffer]);
});
