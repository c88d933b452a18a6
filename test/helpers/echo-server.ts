import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback server that shows what it was sent, for comparing `client.fetch` with native fetch:
 *
 * - `/echo`: `{ method, path, headers, body }` (the body as text, its length and SHA-free summary);
 * - `/redirect/<status>?to=<path>`: a redirect with that status;
 * - `/status/<status>`: an empty answer with that status;
 * - `/slow?ms=N`: headers after N ms;
 * - `/trickle?chunks=N&every=MS`: headers at once, then N chunks, one every MS;
 * - `/never`: accepts the request and never answers.
 */
export interface EchoServer {
  url: string;
  /** Requests received, in order: method and path. */
  seen: { method: string; path: string }[];
  close(): Promise<void>;
}

export async function startEchoServer(): Promise<EchoServer> {
  const seen: EchoServer["seen"] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    open.add(res);
    res.on("close", () => open.delete(res));
    const url = new URL(req.url ?? "/", "http://x");
    seen.push({ method: req.method ?? "", path: url.pathname });
    void route(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const [, first, second] = url.pathname.split("/");
  if (first === "echo") {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      req.method === "HEAD"
        ? undefined
        : JSON.stringify({
            method: req.method,
            path: `${url.pathname}${url.search}`,
            headers,
            length: body.length,
            body: body.toString("latin1"),
          }),
    );
    return;
  }
  if (first === "redirect") {
    res.writeHead(Number(second), { location: url.searchParams.get("to") ?? "/echo" });
    res.end();
    return;
  }
  if (first === "status") {
    res.writeHead(Number(second));
    res.end();
    return;
  }
  if (first === "slow") {
    await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get("ms") ?? 1000)));
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("late");
    return;
  }
  if (first === "trickle") {
    const chunks = Number(url.searchParams.get("chunks") ?? 40);
    const every = Number(url.searchParams.get("every") ?? 50);
    res.writeHead(200, { "content-type": "text/plain" });
    for (let i = 0; i < chunks && !res.destroyed; i++) {
      res.write(`chunk ${i}\n`);
      await new Promise((resolve) => setTimeout(resolve, every));
    }
    res.end();
    return;
  }
  if (first === "never") return;
  res.writeHead(404);
  res.end();
}
