/** The messages between the hash pool and its threads. */

export interface DataMessage {
  readonly op: "data";
  readonly id: number;
  readonly algorithm: string;
  readonly buffer: ArrayBuffer;
  readonly length: number;
  /** Offsets in this batch where a segment (a chunk) ends, ascending: its digest comes back with the ack. */
  readonly cuts: number[] | undefined;
}

export type ToWorker =
  DataMessage | { readonly op: "end" | "cancel"; readonly id: number; readonly algorithm: string };

export type FromWorker =
  | {
      readonly op: "ack";
      readonly id: number;
      readonly buffer: ArrayBuffer;
      readonly hexes: string[] | undefined;
    }
  | { readonly op: "digest"; readonly id: number; readonly hex: string };
