/**
 * Large transfers leave every chunk they relay (a socket read buffer) as garbage outside the JS heap. V8 counts
 * it as external memory and collects it on its own only once tens of megabytes have piled up: with one 64 MiB
 * object in flight that shows as 40–60 MB of extra RSS. A young-generation collection (a scavenge: the chunks
 * are young, and a scavenge frees young array buffers) after every {@link RELAY_GC_BYTES} relayed keeps that
 * garbage to a few megabytes, for well under a millisecond each time.
 *
 * The collector is reached the way Node allows at run time: `--expose-gc` is switched on just long enough to
 * read `gc` from a fresh context, then off again, so no `gc` global appears. Where that fails, nothing is
 * called and V8 keeps its own schedule.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Bytes relayed between two young-generation collections. */
export const RELAY_GC_BYTES = 16 * 1024 * 1024;

type GcFunction = (options: { type: "minor" | "major"; execution?: "sync" | "async" }) => void;

function exposeGc(): GcFunction | undefined {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === "function") return existing as GcFunction;
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? (gc as GcFunction) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}

const collect = exposeGc();
let relayed = 0;

/** Notes `bytes` relayed (either direction); collects the young generation every RELAY_GC_BYTES. */
export function noteRelayed(bytes: number): void {
  relayed += bytes;
  if (relayed < RELAY_GC_BYTES) return;
  relayed = 0;
  collect?.({ type: "minor" });
}

/** Whether the collector could be reached (for the tests). */
export const canCollect = collect !== undefined;
