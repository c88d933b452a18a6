import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  campone,
  createClient,
  type GiveUpEvent,
  isConnectionError,
  isRequestValidationError,
  isServerError,
  isTimeoutError,
} from "../../src/index.js";
import { type EchoServer, startEchoServer } from "../helpers/echo-server.js";

/**
 * Bad input and hostile servers: every bad input a typed error before anything is sent, every
 * failed call one `give-up` event, and nothing a server sends can cost more than a bounded prefix.
 */

let echo: EchoServer;
beforeAll(async () => {
  echo = await startEchoServer();
});
afterAll(async () => {
  await echo.close();
});

let n = 0;
const key = () => `key_live_hostile_${++n}`;

describe("bad input: refused, typed, before anything is sent", () => {
  it.each([
    ["a GET with a body", { method: "GET", body: "x" }],
    ["a header value above U+00FF", { headers: { "idempotency-key": "order…42" } }],
    ["a header with a line break", { headers: { "x-a": "a\r\nb" } }],
    ["a method that is not a token", { method: "G ET" }],
  ] as const)("%s: RequestValidationError at once, no send, no retry", async (_name, init) => {
    const sent = echo.seen.length;
    const api = createClient({ baseUrl: echo.url, apiKey: key(), dialect: campone() });
    const error = await api.fetch("/echo", init as RequestInit).catch((e: unknown) => e);
    expect(isRequestValidationError(error)).toBe(true);
    expect(echo.seen.length).toBe(sent);
    await api.close();
  });

  it("refuses another origin with a typed error, as errors.md promises", async () => {
    const api = createClient({ baseUrl: echo.url, apiKey: key() });
    const error = await api.fetch("https://elsewhere.example/x").catch((e: unknown) => e);
    expect(isRequestValidationError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/Refusing to send the API key/);
    await api.close();
  });

  it("refuses an apiKey or a header fetch could not send, when the client is made", () => {
    expect(() => createClient({ baseUrl: echo.url, apiKey: "key✓" })).toThrow(/apiKey/);
    expect(() => createClient({ baseUrl: echo.url, apiKey: "k", headers: { "x-a": "✓" } })).toThrow(
      /headers/,
    );
  });
});

describe("give-up: once per call that ends in an error, whatever ended it", () => {
  async function giveUps(run: (api: ReturnType<typeof createClient>) => Promise<unknown>, options = {}) {
    const events: GiveUpEvent[] = [];
    const api = createClient({
      baseUrl: echo.url,
      apiKey: key(),
      dialect: campone(),
      retry: { retries: 1, rateLimitRetries: 1 },
      hooks: { giveUp: (event) => events.push(event) },
      ...options,
    });
    const outcome = await run(api).then(
      () => "resolved",
      (e: unknown) => e,
    );
    await api.close();
    return { events, outcome };
  }

  it.each([
    ["a 400 from request()", (api: ReturnType<typeof createClient>) => api.request({ path: "/status/400" })],
    [
      "a 500 after its retries",
      (api: ReturnType<typeof createClient>) => api.request({ path: "/status/500" }),
    ],
    [
      "a 429 after its retries",
      (api: ReturnType<typeof createClient>) => api.request({ path: "/status/429" }),
    ],
    [
      "a schema failure",
      (api: ReturnType<typeof createClient>) =>
        api.request({ path: "/echo", schema: z.object({ nope: z.string() }) }),
    ],
    [
      "invalid input",
      (api: ReturnType<typeof createClient>) => api.fetch("/echo", { method: "GET", body: "x" }),
    ],
    [
      "a caller's abort",
      (api: ReturnType<typeof createClient>) =>
        api.fetch("/slow?ms=500", { signal: AbortSignal.timeout(20) }),
    ],
  ])("%s", async (_name, run) => {
    const { events, outcome } = await giveUps(run);
    expect(outcome).toBeInstanceOf(Error);
    expect(events).toHaveLength(1);
    expect(events[0]!.error.name).toBe((outcome as Error).name);
  });

  it("a total timeout and a local rate-limit refusal", async () => {
    const timeout = await giveUps((api) => api.fetch("/slow?ms=500"), { totalTimeoutMs: 50 });
    expect(isTimeoutError(timeout.outcome)).toBe(true);
    expect(timeout.events).toHaveLength(1);
    const refused = await giveUps(
      async (api) => {
        await (await api.fetch("/echo")).text();
        await api.fetch("/echo");
      },
      { dialect: campone({ limit: 1 }), totalTimeoutMs: 1_000 },
    );
    expect(refused.events.map((e) => e.error.name)).toEqual(["RateLimitError"]);
  });

  it("a response fetch resolves with, even a 500, is no give-up", async () => {
    const { events, outcome } = await giveUps((api) => api.fetch("/status/404"));
    expect(outcome).toBe("resolved");
    expect(events).toEqual([]);
  });
});

describe("hostile servers", () => {
  let hostile: Server;
  let url: string;
  beforeAll(async () => {
    // A 503 whose gzip body inflates to 200 MB.
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024, "a"));
    hostile = createServer((req, res) => {
      if (req.url === "/bomb") {
        res.writeHead(503, { "content-encoding": "gzip", "content-type": "text/plain" });
        res.end(bomb);
      } else if (req.url === "/reflect") {
        const auth = String(req.headers.authorization ?? "").slice("Bearer ".length);
        // Reflected three ways: percent-encoded with lower-case hex, HTML entities, and in JSON
        // whose slashes are escaped (PHP's json_encode does so).
        const lowerHex = encodeURIComponent(auth).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
        const body = JSON.stringify({
          message: `bad key ${lowerHex} / ${auth.replace(/\//g, "&#x2F;").replace(/\+/g, "&#43;")} / ${auth}`,
        }).replace(/\//g, "\\/");
        res.writeHead(400, { "content-type": "application/json" });
        res.end(body);
      } else {
        // Another origin (another port), which accepts the request and never answers.
        res.writeHead(302, { location: `${echo.url}/never` });
        res.end();
      }
    });
    await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    hostile.closeAllConnections();
    await new Promise((resolve) => hostile.close(resolve));
  });

  it("reads a bounded prefix of an error body: 16 gzip bombs at once cost little memory", async () => {
    const api = createClient({ baseUrl: url, apiKey: key(), dialect: campone(), retry: { retries: 0 } });
    global.gc?.();
    const before = process.memoryUsage().rss;
    const errors = await Promise.all(
      Array.from({ length: 16 }, () => api.request({ path: "/bomb" }).catch((e: unknown) => e)),
    );
    const grown = process.memoryUsage().rss - before;
    expect(errors.every(isServerError)).toBe(true);
    expect((errors[0] as { bodyText: string }).bodyText.length).toBeLessThanOrEqual(2048 + 64);
    // The whole bodies would be 16 × 200 MB; the prefixes are 16 × 64 KiB.
    expect(grown).toBeLessThan(300 * 1024 * 1024);
    await api.close();
  });

  it("keeps the key out of errors whatever encoding the server reflects it in", async () => {
    const secret = "sk_live/AbC+dEf=gh";
    const api = createClient({ baseUrl: url, apiKey: secret, dialect: campone() });
    const error = await api.request({ path: "/reflect" }).catch((e: unknown) => e);
    const shown = [inspect(error, { depth: 8 }), JSON.stringify(error), String((error as Error).stack)].join(
      "\n",
    );
    expect(shown).not.toMatch(/AbC/);
    await api.close();
  });

  it("keeps the key out of a custom fetch's error that holds a Request and its Headers", async () => {
    const secret = "sk_live_custom_fetch_0001";
    const api = createClient({
      baseUrl: url,
      apiKey: secret,
      dialect: campone(),
      retry: { retries: 0 },
      fetch: (input, init) =>
        Promise.reject(
          Object.assign(new Error("proxy refused"), {
            request: new Request(String(input), init),
            headers: new Headers(init?.headers),
            seen: new Map([["auth", `Bearer ${secret}`]]),
          }),
        ),
    });
    const error = await api.fetch("/x").catch((e: unknown) => e);
    expect(isConnectionError(error)).toBe(true);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(secret);
    await api.close();
  });

  it.each([
    ["the default transport", undefined],
    ["a caller's fetch", (input: string | URL | Request, init?: RequestInit) => fetch(input, init)],
  ])(
    "a redirect to another origin that never answers ends at the attempt timeout, typed (%s)",
    async (_name, fetchImpl) => {
      const api = createClient({
        baseUrl: url,
        apiKey: key(),
        timeoutMs: 200,
        retry: { retries: 0 },
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
      });
      const error = await api.fetch("/elsewhere").catch((e: unknown) => e);
      expect(isTimeoutError(error)).toBe(true);
      expect(error).toMatchObject({ scope: "attempt" });
      await api.close();
    },
  );
});
