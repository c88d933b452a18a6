/**
 * Secrets: the API key never appears in an error — message, properties, `util.inspect`,
 * JSON, stack, cause — nor in a hook event or a `diagnostics_channel` message, in any of the forms a
 * server or a URL reflects it in; and it never reaches another origin, by an absolute URL, a path the
 * URL parser reads as another host, or a redirect (two loopback servers).
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  boothzen,
  campone,
  channels,
  createClient,
  isConnectionError,
  isHttpError,
  isPacekeeperError,
  isRateLimitError,
  isRequestValidationError,
  isResponseValidationError,
  isTimeoutError,
  memoryStore,
} from "../../src/index.js";
import { scriptedClients } from "../helpers/scripted-client.js";
import { json, scriptedFetch } from "../helpers/scripted-fetch.js";

/** A key with characters that change when percent- or JSON-encoded. */
const KEY = 'sk_live/Se+cr=et"42';
/** Every form the key can take in text a server or a URL reflects. */
const FORMS = [
  KEY,
  encodeURIComponent(KEY),
  encodeURI(KEY),
  JSON.stringify(KEY).slice(1, -1),
  new URLSearchParams([["", KEY]]).toString().slice(1),
];

/** Every string reachable from `value`: own properties (symbols, non-enumerables), causes, arrays. */
function allText(value: unknown, seen = new Set<unknown>()): string[] {
  if (typeof value === "string") return [value];
  if (typeof value !== "object" || value === null || seen.has(value)) return [];
  seen.add(value);
  const out: string[] = [];
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === "string") out.push(key);
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor && "value" in descriptor) out.push(...allText(descriptor.value, seen));
  }
  return out;
}

/** Fails naming the view of `error` that shows the key in any of its forms. */
function expectNoKey(error: unknown): void {
  expect(isPacekeeperError(error)).toBe(true);
  const e = error as Error & { toJSON(): unknown };
  const views: Record<string, string> = {
    message: e.message,
    stack: String(e.stack),
    json: JSON.stringify(e),
    inspect: inspect(e, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    properties: allText(e).join("\n"),
  };
  for (const [view, text] of Object.entries(views)) {
    for (const form of FORMS) {
      if (text.includes(form))
        throw new Error(`The key (as ${JSON.stringify(form)}) shows in the error's ${view}`);
    }
  }
}

function expectNoKeyIn(text: string, where: string): void {
  for (const form of FORMS) {
    if (text.includes(form)) throw new Error(`The key (as ${JSON.stringify(form)}) shows in ${where}`);
  }
}

const { setup, closeAfterTest } = scriptedClients(KEY);

/** A server that reflects the key everywhere it can: body (raw, encoded, escaped), request id, status text. */
function reflecting(status: number): Response {
  return new Response(
    JSON.stringify({
      detail: `Bad token ${KEY} / ${encodeURIComponent(KEY)}`,
      error: { type: KEY, code: KEY, message: `Authorization: Bearer ${KEY}`, request_id: KEY },
      echo: { [KEY]: FORMS },
    }),
    {
      status,
      statusText: `Refused ${encodeURIComponent(KEY)}`,
      headers: { "content-type": "application/json", "x-request-id": encodeURIComponent(KEY) },
    },
  );
}

describe("the key never appears in an error", () => {
  it.each([401, 403, 404, 400, 429, 500])("an HttpError for a %i that reflects the key", async (status) => {
    for (const dialect of [campone(), boothzen()]) {
      const { client } = setup(scriptedFetch([reflecting(status)]), {
        dialect,
        retry: { retries: 0, rateLimitRetries: 0 },
      });
      const error = await client.request({ path: "/api/v1/bookings" }).catch((e: unknown) => e);
      expect(isHttpError(error)).toBe(true);
      expect((error as { status: number }).status).toBe(status);
      expectNoKey(error);
    }
  });

  it("a ConnectionError whose cause names the key", async () => {
    const failing = scriptedFetch([
      new TypeError("fetch failed", {
        cause: Object.assign(new Error(`Invalid header value "Bearer ${KEY}"`), {
          code: "UND_ERR_INVALID_ARG",
        }),
      }),
    ]);
    const { client } = setup(failing);
    const error = await client.fetch("/bookings", { method: "POST", body: "{}" }).catch((e: unknown) => e);
    expect(isConnectionError(error)).toBe(true);
    expectNoKey(error);
  });

  it("a TimeoutError and a local RateLimitError for a URL that holds the key", async () => {
    // A server that never answers: fetch settles only when the attempt's timeout aborts it.
    const hanging = (_input: unknown, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    const { client } = setup(scriptedFetch(), { fetch: hanging, timeoutMs: 1000, retry: { retries: 0 } });
    const timeout = await client
      .fetch(`/keys/${encodeURIComponent(KEY)}?q=${encodeURIComponent(KEY)}`)
      .catch((e: unknown) => e);
    expect(isTimeoutError(timeout)).toBe(true);
    expectNoKey(timeout);

    const { client: limited } = setup(scriptedFetch([json(429, {}, { "retry-after": "3600" })]), {
      totalTimeoutMs: 1000,
    });
    const local = await limited.fetch(`/keys/${KEY}`).catch((e: unknown) => e);
    expect(isRateLimitError(local)).toBe(true);
    expectNoKey(local);
  });

  it("a RequestValidationError and a ResponseValidationError whose issues name the key", async () => {
    const { client } = setup(scriptedFetch([json(200, { [KEY]: KEY })]));
    const request = await client
      .request({ method: "POST", path: "/x", body: { [KEY]: KEY }, bodySchema: z.strictObject({}) })
      .catch((e: unknown) => e);
    expect(isRequestValidationError(request)).toBe(true);
    expectNoKey(request);
    const response = await client
      .request({ path: "/x", schema: z.strictObject({ id: z.number() }) })
      .catch((e: unknown) => e);
    expect(isResponseValidationError(response)).toBe(true);
    expectNoKey(response);
  });
});

describe("the key never appears in hook events or diagnostics_channel messages", () => {
  it("whatever happens to the call, wherever the caller put the key in the URL", async () => {
    const published: unknown[] = [];
    const listener = (message: unknown) => published.push(message);
    const names = Object.values(channels).map((ch) => ch.name as string);
    for (const name of names) subscribe(name, listener);
    try {
      const fetch = scriptedFetch([
        json(200, {}),
        json(429, { detail: KEY }, { "retry-after": "1" }),
        json(503, { detail: KEY }),
        json(200, {}),
        new TypeError("fetch failed", { cause: new Error(`socket closed for Bearer ${KEY}`) }),
      ]);
      const { client, events } = setup(fetch, { dialect: campone({ limit: 1, windowMs: 1000 }) });
      const paths = [
        `/keys/${encodeURIComponent(KEY)}/usage?q=${encodeURIComponent(KEY)}`,
        `/search?q=${KEY}`,
      ];
      await Promise.all(paths.map((path) => client.fetch(path)));
      await client.fetch(`/x?api_key=${encodeURIComponent(KEY)}`, { method: "POST" }).catch(() => {});
      // Every kind of event was seen, so the check below checks something.
      expect(new Set(events.map((e) => e.type))).toEqual(
        new Set(["request", "wait", "response", "rate-limited", "retry", "give-up"]),
      );
      expect(published).toHaveLength(events.length);
      expectNoKeyIn(JSON.stringify(events), "a hook event");
      expectNoKeyIn(inspect(events, { depth: Number.POSITIVE_INFINITY }), "a hook event");
      expectNoKeyIn(inspect(published, { depth: Number.POSITIVE_INFINITY }), "a diagnostics_channel message");
    } finally {
      for (const name of names) unsubscribe(name, listener);
    }
  });
});

describe("the key never reaches another origin", () => {
  it.each([
    "https://evil.example/steal",
    "HTTPS://EVIL.EXAMPLE/steal",
    "http://api.example.test/steal",
    "https://api.example.test:8443/steal",
    "\\\\evil.example/steal",
    "\\/evil.example/steal",
    "/\\/evil.example/steal",
    "\t//evil.example/steal",
    " //evil.example/steal",
    "\n//evil.example/steal",
  ])("refuses %j before anything is sent, by fetch and by request", async (target) => {
    const fetch = scriptedFetch();
    const { client } = setup(fetch);
    await expect(client.fetch(target)).rejects.toThrow(/Refusing to send the API key/);
    await expect(client.fetch(new URL(target, "https://evil.example"))).rejects.toThrow();
    await expect(client.request({ path: target })).rejects.toThrow(/Refusing to send the API key/);
    expect(fetch.seen).toHaveLength(0);
  });

  it("keeps paths that only look odd on the API's origin", async () => {
    const fetch = scriptedFetch();
    const { client } = setup(fetch);
    for (const path of ["//bookings", "..//evil.example", "/%2F%2Fevil.example", "/\\bookings"]) {
      await client.fetch(path);
    }
    expect(fetch.seen.map((s) => new URL(s.url).origin)).toEqual(Array(4).fill("https://api.example.test"));
  });

  describe("over real sockets: a redirect to another origin is followed without the Authorization header", () => {
    const servers: Server[] = [];
    afterEach(async () => {
      await Promise.all(
        servers.splice(0).map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    });

    /** A loopback server that records what it was sent and answers by `route`. */
    async function loopback(route: (path: string, url: string) => { status: number; location?: string }) {
      const seen: { path: string; method: string; headers: IncomingHttpHeaders; body: string }[] = [];
      const server = createServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        req.on("end", () => {
          seen.push({ path: req.url ?? "", method: req.method ?? "", headers: req.headers, body });
          const { status, location } = route(req.url ?? "", url);
          res.writeHead(status, { ...(location ? { location } : {}), "content-type": "application/json" });
          res.end(JSON.stringify({ path: req.url }));
        });
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return { url, seen, port: (server.address() as AddressInfo).port };
    }

    it("by GET and POST (307 keeps the body), on and off the API's origin, and on the way back", async () => {
      let apiUrl = "";
      const other = await loopback((path) =>
        path === "/bounce" ? { status: 302, location: `${apiUrl}/back` } : { status: 200 },
      );
      const api = await loopback((path, self) => {
        if (path === "/go") return { status: 302, location: `${other.url}/landing` };
        if (path === "/post") return { status: 307, location: `${other.url}/landing-post` };
        if (path === "/bounce") return { status: 302, location: `${other.url}/bounce` };
        if (path === "/localhost")
          return { status: 302, location: `http://localhost:${new URL(self).port}/final` };
        if (path === "/same") return { status: 302, location: "/final" };
        return { status: 200 };
      });
      apiUrl = api.url;
      const client = createClient({
        baseUrl: api.url,
        apiKey: KEY,
        dialect: campone(),
        store: memoryStore(),
        headers: { "x-note": "kept" },
      });
      closeAfterTest(client);

      for (const path of ["/go", "/bounce", "/localhost", "/same"]) {
        expect((await client.fetch(path)).status).toBe(200);
      }
      const post = await client.fetch("/post", { method: "POST", body: '{"a":1}' });
      expect(post.status).toBe(200);

      // Every hop that left the API's origin went without the key, and so did the hop back.
      const elsewhere = [
        ...other.seen,
        ...api.seen.filter((s) => s.path === "/back" || s.headers.host?.startsWith("localhost")),
      ];
      expect(elsewhere.map((s) => s.path).sort()).toEqual([
        "/back",
        "/bounce",
        "/final",
        "/landing",
        "/landing-post",
      ]);
      for (const hop of elsewhere) {
        expect(hop.headers.authorization).toBeUndefined();
        expectNoKeyIn(JSON.stringify(hop.headers), `the headers sent to ${hop.path}`);
        expect(hop.headers["x-note"]).toBe("kept");
      }
      expect(other.seen.find((s) => s.path === "/landing-post")).toMatchObject({
        method: "POST",
        body: '{"a":1}',
      });
      // The API's own origin got the key, a same-origin redirect included.
      const onApi = api.seen.filter((s) => s.path !== "/back" && !s.headers.host?.startsWith("localhost"));
      expect(onApi.map((s) => s.path)).toEqual(["/go", "/bounce", "/localhost", "/same", "/final", "/post"]);
      for (const hop of onApi) expect(hop.headers.authorization).toBe(`Bearer ${KEY}`);
    });

    it("a redirect to an origin that refuses connections ends in a typed ConnectionError", async () => {
      const dead = await loopback(() => ({ status: 200 }));
      const deadUrl = dead.url;
      await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
      const api = await loopback(() => ({ status: 302, location: `${deadUrl}/gone` }));
      const client = createClient({
        baseUrl: api.url,
        apiKey: KEY,
        dialect: campone(),
        store: memoryStore(),
      });
      closeAfterTest(client);
      const error = await client.fetch("/go").catch((e: unknown) => e);
      expect(isConnectionError(error)).toBe(true);
      expectNoKey(error);
    });
  });
});
