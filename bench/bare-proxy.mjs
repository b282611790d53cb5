// The baseline: a bare undici pass-through proxy (no authentication, no re-signing), streaming both ways.
import { createServer } from "node:http";
import { Pool } from "undici";

const pool = new Pool(`http://127.0.0.1:${process.argv[2]}`, { connections: 256, pipelining: 1 });
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"]);

const server = createServer({ highWaterMark: 1 << 20 }, (req, res) => {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  const hasBody = req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0";
  pool
    .stream(
      { path: req.url, method: req.method, headers, body: hasBody ? req : null, opaque: res },
      ({ statusCode, headers: h, opaque }) => {
        for (const [k, v] of Object.entries(h)) if (!HOP.has(k)) opaque.setHeader(k, v);
        opaque.writeHead(statusCode);
        return opaque;
      },
    )
    .catch(() => res.destroy());
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${server.address().port}\n`));
