// A real S3 server process for the end-to-end tests: s3rver on 127.0.0.1, any free port, data in argv[2].
import S3rver from "s3rver";

const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  directory: process.argv[2],
  silent: true,
  vhostBuckets: false,
});
const { port } = await server.run();
process.stdout.write(`PORT ${port}\n`);
process.on("SIGTERM", () => process.exit(0));
