// A fast S3-shaped backend for the benchmark: GET serves preallocated bytes, PUT drains the body.
import { createServer } from "node:http";

const SMALL = Buffer.alloc(1024, 0x61);
const BIG = Buffer.alloc(64 * 1024 * 1024, 0x62);

const server = createServer((req, res) => {
  if (req.method === "PUT") {
    let n = 0;
    req.on("data", (d) => (n += d.length));
    req.on("end", () =>
      res.writeHead(200, { etag: '"bench"', "x-received": String(n), "content-length": "0" }).end(),
    );
    return;
  }
  const body = req.url.includes("big") ? BIG : SMALL;
  res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": body.length,
    etag: '"bench"',
  });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${server.address().port}\n`));
