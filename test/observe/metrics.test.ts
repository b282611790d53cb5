import { describe, expect, it } from "vitest";
import { Counter, Histogram, Registry } from "prom-client";
import { FastCounter, FastHistogram } from "../../src/observe/metrics.js";

const BUCKETS = [0.001, 0.01, 0.1, 1];

type Observation = readonly [operation: string, value: number];

// The data path's metrics must read exactly as prom-client's own would, for the same observations.
const histogramRows: [string, Observation[]][] = [
  ["no observation", []],
  ["one value", [["GetObject", 0.005]]],
  [
    "values on the bounds",
    [
      ["GetObject", 0.001],
      ["GetObject", 0.01],
      ["GetObject", 1],
    ],
  ],
  ["above the last bound", [["PutObject", 7]]],
  [
    "zero and tiny values",
    [
      ["HeadObject", 0],
      ["HeadObject", 1e-9],
    ],
  ],
  [
    "several series",
    [
      ["GetObject", 0.2],
      ["PutObject", 0.02],
      ["GetObject", 0.0004],
      ["ListObjectsV2", 3],
      ["PutObject", 0.5],
    ],
  ],
];

describe("FastHistogram", () => {
  it.each(histogramRows)("exposes %s as prom-client's Histogram does", async (_name, observations) => {
    const [ours, theirs] = [new Registry(), new Registry()];
    const fast = new FastHistogram(
      { name: "t_seconds", help: "help", labelNames: ["operation"], buckets: BUCKETS },
      ours,
    );
    const reference = new Histogram({
      name: "t_seconds",
      help: "help",
      labelNames: ["operation"],
      buckets: BUCKETS,
      registers: [theirs],
    });
    for (const [operation, value] of observations) {
      fast.observe({ operation }, operation, value);
      reference.observe({ operation }, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it("refuses a series without its labels", () => {
    const fast = new FastHistogram(
      { name: "u_seconds", help: "help", labelNames: ["operation"], buckets: BUCKETS },
      new Registry(),
    );
    expect(() => fast.observe({} as { operation: string }, "", 1)).toThrow(/label operation missing/);
  });
});

const counterRows: [string, [string, number][]][] = [
  ["no increment", []],
  [
    "one series",
    [
      ["hit", 1],
      ["hit", 1],
    ],
  ],
  [
    "two series, large increments",
    [
      ["hit", 1],
      ["miss", 4096],
      ["hit", 1e9],
    ],
  ],
];

describe("FastCounter", () => {
  it.each(counterRows)("exposes %s as prom-client's Counter does", async (_name, increments) => {
    const [ours, theirs] = [new Registry(), new Registry()];
    const fast = new FastCounter({ name: "t_total", help: "help", labelNames: ["result"] }, ours);
    const reference = new Counter({
      name: "t_total",
      help: "help",
      labelNames: ["result"],
      registers: [theirs],
    });
    for (const [result, by] of increments) {
      fast.inc({ result }, result, by);
      reference.inc({ result }, by);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it("exposes an unlabelled counter at 0 before any increment, as prom-client does", async () => {
    const [ours, theirs] = [new Registry(), new Registry()];
    new FastCounter({ name: "b_total", help: "help" }, ours).series({}, "");
    new Counter({ name: "b_total", help: "help", registers: [theirs] });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
