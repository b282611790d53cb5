// A store writer for the crash tests: commits one new key per transaction as fast as it can and prints each
// acknowledged id ("OK <id>") — the parent kills it with SIGKILL at a random moment.
// argv: <store dir> <writer name> [s3 origin bucket]
import { FileStore } from "../../dist/iam/store/file-store.js";
import { Replica } from "../../dist/iam/store/replica.js";
import { masterKeyFrom } from "../../dist/iam/store/crypto.js";

const [dir, name] = process.argv.slice(2);
const master = masterKeyFrom(Buffer.alloc(32, 7));
const replica = new Replica(new FileStore(`${dir}/iam`), master, {
  pollMs: 50,
  stalenessLimitMs: 60_000,
  snapshotEvery: 7,
  collectAgeMs: 1500,
});
await replica.start();
process.stdout.write("READY\n");
for (let i = 0; ; i++) {
  const id = `${name}-${i}`;
  await replica.commit((tx) =>
    tx.putKey({ id, sealedSecret: "x", status: "Active", createdAt: Date.now(), policies: [], tags: [] }),
  );
  process.stdout.write(`OK ${id}\n`);
}
