/**
 * The worker thread that hosts the servers of a benchmark: the mock servers (`startMockServer`)
 * and a plain `node:http` server for the overhead rounds. They run on their own event loop (and,
 * on a machine with two cores or more, their own core), so the client under test never shares a
 * thread with the server that judges it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parentPort } from "node:worker_threads";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import type { HostReply, HostRequest } from "./protocol.js";

const mocks = new Map<number, MockServer>();
const plains = new Map<number, { server: Server; connections: number }>();

parentPort!.on("message", (request: HostRequest) => {
  handle(request).then(
    (reply) => parentPort!.postMessage(reply),
    (error: unknown) =>
      parentPort!.postMessage({ seq: request.seq, error: String(error) } satisfies HostReply),
  );
});

async function handle(request: HostRequest): Promise<HostReply> {
  const { seq } = request;
  switch (request.op) {
    case "start-mock": {
      const server = await startMockServer({ ...request.options, port: 0 });
      mocks.set(seq, server);
      return { seq, id: seq, url: server.url };
    }
    case "start-plain": {
      const server = plainServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const plain = { server, connections: 0 };
      server.on("connection", () => plain.connections++);
      plains.set(seq, plain);
      return { seq, id: seq, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    }
    case "audit": {
      const server = mocks.get(request.id);
      if (!server) throw new Error(`No mock server ${request.id}`);
      return { seq, audit: server.audit(request.key === undefined ? {} : { key: request.key }) };
    }
    case "connections":
      return { seq, connections: plains.get(request.id)?.connections ?? 0 };
    case "close": {
      const mock = mocks.get(request.id);
      mocks.delete(request.id);
      await mock?.close();
      const plain = plains.get(request.id);
      plains.delete(request.id);
      if (plain) {
        await new Promise<void>((resolve) => {
          plain.server.close(() => resolve());
          plain.server.closeAllConnections();
        });
      }
      return { seq };
    }
  }
}

/**
 * As fast a server as `node:http` allows: a small JSON body, and on `/api/v1/*` the RateLimit
 * headers of a fixed window so large that it never binds (a million per minute), so the client's
 * header parsing and budget bookkeeping are part of what the overhead rounds measure.
 *
 * It keeps an idle connection for two minutes (`Keep-Alive: timeout=120`, which undici's agents
 * follow over their own 10 s). With node:http's 5 s, a variant's connections were closed while the
 * other variants ran their rounds (up to 8 of them, 10 s, with rounds of 3,000 requests), and it
 * re-opened them inside its next timed round: 100 to 200 connections a round.
 */
function plainServer(): Server {
  const body = Buffer.from('{"id":"bkg_000001","status":"confirmed"}');
  const limit = 1_000_000;
  const windowMs = 60_000;
  let windowStart = Date.now();
  let used = 0;
  const server = createServer((req, res) => {
    req.resume();
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "content-length": String(body.byteLength),
    };
    if (req.url?.startsWith("/api/v1/")) {
      const now = Date.now();
      if (now - windowStart >= windowMs) {
        windowStart = now;
        used = 0;
      }
      used++;
      headers["ratelimit-limit"] = String(limit);
      headers["ratelimit-remaining"] = String(limit - used);
      headers["ratelimit-reset"] = String(Math.ceil((windowStart + windowMs - now) / 1000));
    }
    res.writeHead(200, headers);
    res.end(body);
  });
  server.keepAliveTimeout = 120_000;
  return server;
}
