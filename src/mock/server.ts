/**
 * `startMockServer`: the mock on a real `node:http` server on 127.0.0.1. Each IncomingMessage becomes a
 * Fetch `Request` for the one implementation (`api.ts`) and its `Response` is written back. Besides the
 * API it answers an admin route that is never counted and never audited:
 * `GET /__admin/audit[?tenant=…&key=…]` (the audit log as a JSON array) and `POST /__admin/reset`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buildMockApi, type FaultingMockApi } from "./api.js";
import { FaultTimers, writeFaulted } from "./fault-delivery.js";
import { MAX_BODY_BYTES } from "./json-body.js";
import { resolveMockOptions, resolvePort } from "./options.js";
import type { AuditFilter, MockServer, MockServerOptions } from "./types.js";

const HOST = "127.0.0.1";
/** The admin route's prefix; no dialect has a path there. */
export const ADMIN_PREFIX = "/__admin/";
/** After `close()`, connections still busy this long are cut. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Starts a mock server of one dialect on 127.0.0.1.
 * @throws TypeError or RangeError (rejected) when an option is invalid, naming the option.
 *
 * @example
 * ```ts
 * import { startMockServer } from "pacekeeper/mock";
 *
 * const server = await startMockServer({ dialect: "boothzen", port: 0, limit: 4 });
 * const res = await fetch(`${server.url}/api/v1/bookings`, {
 *   headers: { authorization: "Bearer key_live_a" },
 * });
 * res.headers.get("ratelimit-remaining"); // "3"
 * await server.close();
 * ```
 */
export async function startMockServer(options: MockServerOptions): Promise<MockServer> {
  const resolved = resolveMockOptions(options, ["port"]);
  const port = resolvePort((options as { port?: unknown }).port);
  const api = buildMockApi(resolved);
  const timers = new FaultTimers();
  let closing: Promise<void> | undefined;
  const server = createServer((incoming, outgoing) => {
    if (closing !== undefined) outgoing.setHeader("connection", "close");
    void serve(api, timers, origin(server), incoming, outgoing);
  });
  await listen(server, port);
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${actualPort}`,
    port: actualPort,
    dialect: resolved.dialect,
    audit: (filter) => api.audit(filter),
    reset: () => api.reset(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        // Slow faults still waiting are abandoned; their connections are closed below.
        timers.clear();
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, HOST, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function origin(server: Server): string {
  return `http://${HOST}:${(server.address() as AddressInfo).port}`;
}

/** Answers one request. Never rejects: a failure here ends the exchange with a bare 500 or a reset. */
async function serve(
  api: FaultingMockApi,
  timers: FaultTimers,
  base: string,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
): Promise<void> {
  try {
    const target = incoming.url ?? "/";
    if (!target.startsWith("/")) {
      send(outgoing, 400, { "content-type": "text/plain" }, Buffer.from("Bad request target"));
      return;
    }
    const url = new URL(`${base}${target}`);
    if (url.pathname.startsWith(ADMIN_PREFIX)) {
      incoming.resume();
      admin(api, incoming.method ?? "GET", url, outgoing);
      return;
    }
    const method = incoming.method ?? "GET";
    const headers = new Headers();
    for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) {
      headers.append(incoming.rawHeaders[i] as string, incoming.rawHeaders[i + 1] as string);
    }
    const fault = api.drawFault();
    if (fault === "reset-before") {
      // Cut before the request is read: the API never sees it; the audit still says who sent what.
      await api.serve(new Request(url, { method, headers }), fault);
      outgoing.destroy();
      return;
    }
    const body = method === "GET" || method === "HEAD" ? undefined : await readBody(incoming);
    let request: Request;
    try {
      request = new Request(url, { method, headers, body });
    } catch {
      // Methods the Fetch API refuses to represent (TRACE, TRACK); no dialect serves them.
      send(outgoing, 405, { "content-type": "text/plain" }, Buffer.from("Method not supported"));
      return;
    }
    const served = await api.serve(request, fault);
    const payload = Buffer.from(await served.response.arrayBuffer());
    if (fault === undefined) {
      send(outgoing, served.response.status, Object.fromEntries(served.response.headers), payload);
    } else {
      await writeFaulted(outgoing, served, payload, timers);
    }
  } catch {
    // A client that went away mid-request, or a defect of this front: end the exchange, never throw.
    try {
      if (outgoing.headersSent) outgoing.destroy();
      else send(outgoing, 500, { "content-type": "text/plain" }, Buffer.from("Mock server failure"));
    } catch {
      outgoing.destroy();
    }
  }
}

/** The body, capped a byte past the API's limit so the API still sees that it is too large. */
async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    if (size > MAX_BODY_BYTES) continue; // drain the rest unread
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES + 1);
}

function admin(api: FaultingMockApi, method: string, url: URL, outgoing: ServerResponse): void {
  const json = { "content-type": "application/json" };
  if (url.pathname === `${ADMIN_PREFIX}audit` && method === "GET") {
    const filter: AuditFilter = {};
    const tenant = url.searchParams.get("tenant");
    const key = url.searchParams.get("key");
    if (tenant !== null) filter.tenant = tenant;
    if (key !== null) filter.key = key;
    send(outgoing, 200, json, Buffer.from(JSON.stringify(api.audit(filter))));
  } else if (url.pathname === `${ADMIN_PREFIX}reset` && method === "POST") {
    api.reset();
    send(outgoing, 204, {}, Buffer.alloc(0));
  } else {
    const body = { error: "Admin routes: GET /__admin/audit[?tenant=&key=], POST /__admin/reset" };
    send(outgoing, 404, json, Buffer.from(JSON.stringify(body)));
  }
}

function send(outgoing: ServerResponse, status: number, headers: Record<string, string>, body: Buffer): void {
  const bodiless = status === 204 || status === 304;
  outgoing.writeHead(status, bodiless ? headers : { ...headers, "content-length": String(body.byteLength) });
  outgoing.end(bodiless ? undefined : body);
}
