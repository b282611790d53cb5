/**
 * Work done in batches, one per turn of the event loop: an item queued now is handled once the loop has handled
 * the I/O of its current turn (`setImmediate`), together with every item queued in that turn, in order.
 *
 * Why: handling a busy turn's requests one after another, then writing their answers one after another, finds each
 * piece of code and its tables still in the CPU's caches, where interleaving them evicts each in turn; the gain on
 * the paired 1 KiB GET benchmark is recorded in bench/RESULTS.md.
 */
export interface TurnQueue<T> {
  /** Queues an item; past `max` queued items, handles them all at once. */
  push(item: T): void;
  /** Handles every queued item now. */
  drain(): void;
}

export function turnQueue<T>(handle: (item: T) => void, max = Infinity): TurnQueue<T> {
  let items: T[] = [];
  const drain = (): void => {
    if (items.length === 0) return;
    // A fresh array first: items queued while this batch is handled form the next batch, and an item that
    // throws does not leave the queue thinking it is scheduled.
    const batch = items;
    items = [];
    for (const item of batch) handle(item);
  };
  return {
    push(item) {
      if (items.push(item) === 1) setImmediate(drain);
      else if (items.length >= max) drain();
    },
    drain,
  };
}
