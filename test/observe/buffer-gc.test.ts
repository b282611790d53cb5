import { PerformanceObserver, constants, type PerformanceEntry } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { RELAY_GC_BYTES, canCollect, noteRelayed } from "../../src/observe/buffer-gc.js";

/** The garbage collections (by kind) that run while `fn` does. */
async function collectionsDuring(fn: () => void): Promise<number[]> {
  const kinds: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      if (e.detail?.kind !== undefined) kinds.push(e.detail.kind);
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  fn();
  await new Promise((r) => setTimeout(r, 10));
  observer.disconnect();
  return kinds;
}

describe("collection of relayed buffers", () => {
  it("reaches V8's collector without leaving a gc global behind", () => {
    expect(canCollect).toBe(true);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });

  const rows: [string, number[], boolean][] = [
    ["one chunk short of the threshold", [RELAY_GC_BYTES - 1], false],
    ["the threshold in one chunk", [RELAY_GC_BYTES], true],
    ["the threshold in 64 KiB chunks", Array<number>(RELAY_GC_BYTES / 65536).fill(65536), true],
  ];
  it.each(rows)("%s: young-generation collection %s", async (_name, chunks, expected) => {
    noteRelayed(RELAY_GC_BYTES); // start from an empty count
    const kinds = await collectionsDuring(() => {
      for (const n of chunks) noteRelayed(n);
    });
    expect(kinds.includes(constants.NODE_PERFORMANCE_GC_MINOR)).toBe(expected);
  });
});
