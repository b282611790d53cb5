/** turnQueue: items handled in batches, one per turn of the event loop. One row per case. */
import { describe, expect, it } from "vitest";
import { turnQueue } from "../src/turn-queue.js";

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What a script of pushes and turns handled: each batch as the list of items it handled. */
async function replay(
  script: readonly (number | "turn" | "drain")[],
  max?: number,
  reentrant?: (item: number, push: (item: number) => void) => void,
): Promise<{ beforeAnyTurn: number[][]; batches: number[][] }> {
  const batches: number[][] = [];
  let current: number[] | undefined;
  const q = turnQueue<number>((item) => {
    if (current === undefined) {
      current = [];
      batches.push(current);
      // The batch ends when this turn's handling is over.
      queueMicrotask(() => (current = undefined));
    }
    current.push(item);
    reentrant?.(item, (i) => q.push(i));
  }, max);
  let beforeAnyTurn: number[][] | undefined;
  for (const step of script) {
    if (step === "turn") {
      beforeAnyTurn ??= batches.map((b) => [...b]);
      await nextTurn();
    } else if (step === "drain") q.drain();
    else q.push(step);
  }
  beforeAnyTurn ??= batches.map((b) => [...b]);
  await nextTurn();
  await nextTurn();
  return { beforeAnyTurn, batches };
}

describe("turnQueue", () => {
  it.each([
    ["one turn's items, together and in order, after the turn", [1, 2, 3], undefined, [], [[1, 2, 3]]],
    ["each turn's items in a batch of their own", [1, 2, "turn", 3], undefined, [], [[1, 2], [3]]],
    ["at the bound, everything queued at once", [1, 2, 3, 4], 3, [[1, 2, 3]], [[1, 2, 3], [4]]],
    ["drain: what is queued, now, and nothing twice", [1, 2, "drain", 3], undefined, [[1, 2]], [[1, 2], [3]]],
    ["drain with nothing queued does nothing", ["drain", 1], undefined, [], [[1]]],
  ] as const)("%s", async (_name, script, max, beforeAnyTurn, batches) => {
    const got = await replay(script, max);
    expect(got.beforeAnyTurn).toEqual(beforeAnyTurn);
    expect(got.batches).toEqual(batches);
  });

  it("handles an item queued while a batch is handled in the next batch", async () => {
    const got = await replay([1, 2], undefined, (item, push) => {
      if (item === 1) push(10);
    });
    expect(got.batches).toEqual([[1, 2], [10]]);
  });
});
