// Loaded with `node --import` into the s3gate processes of test/e2e/workers.test.ts (a worker inherits its
// primary's node arguments): SIGUSR2 makes a worker throw an error nothing catches, as a bug would.
import cluster from "node:cluster";

if (cluster.isWorker)
  process.on("SIGUSR2", () =>
    setImmediate(() => {
      throw new Error("induced crash (SIGUSR2)");
    }),
  );
