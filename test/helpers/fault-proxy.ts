/**
 * An HTTP proxy on 127.0.0.1 in front of a real server (MinIO), which passes
 * requests through unchanged (Host header included, so S3 signatures stay
 * valid) except where a test scripts a fault: answer with an S3 error, reset
 * the connection before answering, or cut a response body short. It counts
 * the requests it sees, so a test can tell a retry from none.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  | { kind: "error"; status: number; code: string }
  | { kind: "reset" }
  /** Forward the request, but destroy the connection after this many body bytes of the response. */
  | { kind: "cut"; afterBytes: number }
  /** Forward the request, but flip the bits of the response body's byte at this offset. */
  | { kind: "corrupt"; atByte: number };

export interface FaultProxy {
  endpoint: string;
  /** Requests seen, in order: `GET /bucket/key?...`. */
  requests: string[];
  /** The headers of each request in `requests`, at the same index. */
  headers: http.IncomingHttpHeaders[];
  /** Faults applied to the next matching requests, one each, in order. */
  inject(fault: Fault, match?: (method: string, url: string) => boolean): void;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const queue: { fault: Fault; match: (method: string, url: string) => boolean }[] = [];
  const requests: string[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((req, res) => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    requests.push(`${method} ${url}`);
    headers.push(req.headers);
    const index = queue.findIndex((q) => q.match(method, url));
    const fault = index >= 0 ? queue.splice(index, 1)[0]?.fault : undefined;
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "error") {
      req.resume();
      res.writeHead(fault.status, { "content-type": "application/xml" });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected by the test proxy</Message></Error>`,
      );
      return;
    }
    const forward = http.request(
      { host: target.hostname, port: target.port, method, path: url, headers: req.headers, agent },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        if (fault?.kind === "corrupt") {
          let seen = 0;
          upstreamRes.on("data", (chunk: Buffer) => {
            const at = fault.atByte - seen;
            if (at >= 0 && at < chunk.length) chunk[at] = (chunk[at] ?? 0) ^ 0xff;
            seen += chunk.length;
            res.write(chunk);
          });
          upstreamRes.on("end", () => res.end());
          return;
        }
        if (fault?.kind !== "cut") {
          upstreamRes.pipe(res);
          return;
        }
        let sent = 0;
        upstreamRes.on("end", () => res.end()); // shorter than the cut: delivered whole
        upstreamRes.on("data", (chunk: Buffer) => {
          const room = fault.afterBytes - sent;
          if (room <= 0) return;
          res.write(chunk.subarray(0, room));
          sent += Math.min(room, chunk.length);
          if (sent >= fault.afterBytes) {
            upstreamRes.destroy();
            setTimeout(() => res.socket?.destroy(), 20); // let the bytes out, then drop the connection
          }
        });
      },
    );
    forward.on("error", () => res.socket?.destroy());
    res.on("close", () => forward.destroy()); // the client went away: so does the upstream request
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `127.0.0.1:${port}`,
    requests,
    headers,
    inject(fault, match = () => true) {
      queue.push({ fault, match });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}
