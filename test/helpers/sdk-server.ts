import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback server speaking just enough of three APIs for their real SDKs to run against it through
 * `client.fetch`: OpenAI's (`/v1/…`), GitHub's (`/repos/…`) and a plain JSON API (`/items`). Every
 * request is recorded; a route can be told to answer its next request with a 429.
 */
export interface SdkServer {
  url: string;
  /** Every request received: method, path with query, headers, and the body's length. */
  seen: {
    method: string;
    path: string;
    headers: IncomingMessage["headers"];
    bodyLength: number;
    body: string;
  }[];
  /** The next request to `path` (without query) is answered 429 with `Retry-After: seconds`. */
  refuseNext(path: string, retryAfterSeconds: number, status?: number): void;
  close(): Promise<void>;
}

export async function startSdkServer(): Promise<SdkServer> {
  const seen: SdkServer["seen"] = [];
  const refusals = new Map<string, { seconds: number; status: number }>();
  const open = new Set<ServerResponse>();
  let url = "";
  const server: Server = createServer(async (req, res) => {
    open.add(res);
    res.on("close", () => open.delete(res));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const parsed = new URL(req.url ?? "/", "http://x");
    seen.push({
      method: req.method ?? "",
      path: `${parsed.pathname}${parsed.search}`,
      headers: req.headers,
      bodyLength: body.length,
      body: body.toString("utf8"),
    });
    const refusal = refusals.get(parsed.pathname);
    if (refusal) {
      refusals.delete(parsed.pathname);
      res.writeHead(refusal.status, {
        "content-type": "application/json",
        "retry-after": String(refusal.seconds),
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + refusal.seconds),
      });
      res.end(
        JSON.stringify({ error: { message: "Rate limit reached", type: "requests" }, message: "slow down" }),
      );
      return;
    }
    route(req.method ?? "GET", parsed, body, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    refuseNext(path, seconds, status = 429) {
      refusals.set(path, { seconds, status });
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const BATCHES = Array.from({ length: 5 }, (_, i) => ({
  id: `batch-${i}`,
  object: "batch",
  status: "completed",
}));
const ISSUES = Array.from({ length: 7 }, (_, i) => ({ id: i + 1, number: i + 1, title: `Issue ${i + 1}` }));
const ITEMS = Array.from({ length: 3 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}` }));

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(value));
}

function route(method: string, url: URL, body: Buffer, res: ServerResponse, base: string): void {
  const path = url.pathname;
  // ---- OpenAI
  if (method === "POST" && path === "/v1/chat/completions") {
    const request = JSON.parse(body.toString("utf8")) as {
      stream?: boolean;
      messages: { content: string }[];
    };
    const words = ["Hello", " from", " the", " paced", " model", "."];
    if (!request.stream) {
      json(res, 200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: "test",
        choices: [
          { index: 0, message: { role: "assistant", content: words.join("") }, finish_reason: "stop" },
        ],
      });
      return;
    }
    // Server-sent events, one chunk every 40 ms; a long stream when asked (for aborts).
    const count = request.messages[0]?.content === "long" ? 500 : words.length;
    res.writeHead(200, { "content-type": "text/event-stream" });
    let i = 0;
    const timer = setInterval(() => {
      if (res.destroyed) {
        clearInterval(timer);
        return;
      }
      if (i === count) {
        clearInterval(timer);
        res.end("data: [DONE]\n\n");
        return;
      }
      const chunk = {
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 1,
        model: "test",
        choices: [{ index: 0, delta: { content: words[i % words.length] }, finish_reason: null }],
      };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      i++;
    }, 40);
    return;
  }
  if (method === "GET" && path === "/v1/batches") {
    // Cursor pages of two: `after` the last id, `has_more`.
    const after = url.searchParams.get("after");
    const start = after === null ? 0 : BATCHES.findIndex((b) => b.id === after) + 1;
    const data = BATCHES.slice(start, start + 2);
    json(res, 200, { object: "list", data, has_more: start + 2 < BATCHES.length });
    return;
  }
  if (method === "POST" && path === "/v1/files") {
    json(res, 200, {
      id: "file-1",
      object: "file",
      bytes: body.length,
      filename: "upload.jsonl",
      purpose: "batch",
    });
    return;
  }
  // ---- GitHub
  const issues = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(path);
  if (method === "GET" && issues) {
    const page = Number(url.searchParams.get("page") ?? 1);
    const perPage = Number(url.searchParams.get("per_page") ?? 3);
    const data = ISSUES.slice((page - 1) * perPage, page * perPage);
    const last = Math.ceil(ISSUES.length / perPage);
    const link =
      page < last
        ? `<${base}${path}?per_page=${perPage}&page=${page + 1}>; rel="next", <${base}${path}?per_page=${perPage}&page=${last}>; rel="last"`
        : "";
    json(res, 200, data, {
      ...(link ? { link } : {}),
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4990",
      "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 3600),
      "x-ratelimit-resource": "core",
    });
    return;
  }
  if (method === "POST" && /^\/repos\/[^/]+\/[^/]+\/releases\/\d+\/assets$/.test(path)) {
    json(res, 201, { id: 1, name: url.searchParams.get("name"), size: body.length, state: "uploaded" });
    return;
  }
  // ---- A plain JSON API
  if (path === "/items" && method === "GET") {
    json(res, 200, ITEMS);
    return;
  }
  if (path === "/items" && method === "POST") {
    json(res, 201, { id: 4, ...(JSON.parse(body.toString("utf8") || "{}") as object) });
    return;
  }
  if (path === "/upload" && method === "PUT") {
    json(res, 200, { received: body.length });
    return;
  }
  json(res, 404, { message: "Not Found" });
}
