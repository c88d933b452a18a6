import { describe, expect, it } from "vitest";
import {
  boothzen,
  type ClientOptions,
  campone,
  createClient,
  ietf,
  isConnectionError,
  isRateLimitError,
  isTimeoutError,
  memoryStore,
  type PacerStore,
  type Permit,
  type RateLimitError,
} from "../../src/index.js";
import { LocalKeyPacer } from "../../src/pacer/local-key-pacer.js";
import type { KeyPacer } from "../../src/pacer/types.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { scriptedClients } from "../helpers/scripted-client.js";
import { json, refused, reset, scriptedFetch } from "../helpers/scripted-fetch.js";

const KEY = "key_live_0123456789abcdef";
const { setup, closeAfterTest } = scriptedClients(KEY);

describe("createClient: options", () => {
  it.each([
    [{ baseUrl: "" }, /`baseUrl` to be a non-empty string/],
    [{ baseUrl: "ftp://x" }, /http: or https:/],
    [{ baseUrl: "https://user:pw@x" }, /without credentials/],
    [{ baseUrl: "https://x/v2?tenant=acme" }, /`baseUrl` without a query, got "\?tenant=acme"/],
    [{ apiKey: "" }, /`apiKey` to be a non-empty string/],
    [{ apiKey: "a\nb" }, /control characters/],
    [{ timeoutMs: 0 }, /`timeoutMs` to be a finite number above 0, got `0` \(number\)/],
    [{ retry: { retries: -1 } }, /`retry.retries`/],
    [{ retry: { statuses: [429] } }, /must not include 429/],
    [{ headers: { Authorization: "x" } }, /without `Authorization`/],
    [{ headers: { "x trace": "1" } }, /`headers` names to be HTTP tokens, got "x trace"/],
    [{ hooks: { onRequest: () => {} } }, /Unknown option `onRequest` in hooks/],
    [{ retires: 2 }, /Unknown option `retires`/],
  ])("rejects %j at construction", (override, message) => {
    expect(() => createClient({ baseUrl: "https://x", apiKey: KEY, ...override } as ClientOptions)).toThrow(
      message,
    );
  });

  it("rejects bad dialect options with the option's name", () => {
    expect(() => campone({ limit: 0 })).toThrow(
      /Expected `limit` to be an integer from 1 and up, got `0` \(number\)/,
    );
    expect(() => boothzen({ burst: 1.5 })).toThrow(/`burst`/);
  });
});

describe("client.fetch", () => {
  it("resolves paths against baseUrl and sends the key as a bearer token", async () => {
    const fetch = scriptedFetch([json(200, { ok: true })]);
    const { client } = setup(fetch, { baseUrl: "https://api.example.test/v2" });
    const res = await client.fetch("/bookings?page=1", { headers: { authorization: "Bearer stolen" } });
    expect(await res.json()).toEqual({ ok: true });
    expect(fetch.seen[0]!.url).toBe("https://api.example.test/v2/bookings?page=1");
    expect(fetch.seen[0]!.headers.get("authorization")).toBe(`Bearer ${KEY}`);
    expect(fetch.seen[0]!.headers.get("user-agent")).toMatch(/^pacekeeper\//);
  });

  it("gives the dialect's counting rule the path below the base URL's own path", async () => {
    const fetch = scriptedFetch(Array.from({ length: 7 }, () => json(200, {})));
    const { client, events } = setup(fetch, { baseUrl: "https://api.example.test/v2", dialect: boothzen() });
    const paths = ["/api/v1/bookings", "//api/v1/bookings", "/health", "/v2/api/v1/x", "/v2x/api/v1/x"];
    for (const path of paths) await client.fetch(path);
    expect(fetch.seen.map((s) => new URL(s.url).pathname)).toEqual([
      "/v2/api/v1/bookings",
      "/v2/api/v1/bookings",
      "/v2/health",
      "/v2/v2/api/v1/x",
      "/v2/v2x/api/v1/x",
    ]);
    // BoothZen counts only /api/v1/ below the base: `/v2/v2/api/v1/x` is `/v2/api/v1/x` there.
    const counted = events.flatMap((e) => (e.type === "response" ? [e.counted] : []));
    expect(counted).toEqual([true, true, false, false, false]);
    // An absolute URL on the origin but outside the base path is read as it is.
    await client.fetch("https://api.example.test/api/v1/x");
    await client.fetch("https://api.example.test/v2/api/v1/y");
    expect(events.flatMap((e) => (e.type === "response" ? [e.counted] : [])).slice(5)).toEqual([true, true]);
  });

  it("sends a URL object on the base's origin as it is, its path below the base read as usual", async () => {
    const fetch = scriptedFetch([json(200, {})]);
    const { client, events } = setup(fetch, { baseUrl: "https://api.example.test/v2", dialect: boothzen() });
    await client.fetch(new URL("https://api.example.test/v2/api/v1/bookings?page=2#top"));
    expect(fetch.seen[0]!.url).toBe("https://api.example.test/v2/api/v1/bookings?page=2#top");
    expect(events.find((e) => e.type === "response")).toMatchObject({ counted: true });
  });

  it("refuses an absolute URL to another origin before anything is sent", async () => {
    const fetch = scriptedFetch();
    const { client } = setup(fetch);
    await expect(client.fetch("https://evil.example/steal")).rejects.toThrow(/Refusing to send the API key/);
    expect(fetch.seen).toHaveLength(0);
  });

  it("follows a redirect to another origin without the key", async () => {
    const fetch = scriptedFetch([
      new Response(null, { status: 302, headers: { location: "https://cdn.example/file" } }),
      json(200, { file: true }),
    ]);
    const { client } = setup(fetch);
    const res = await client.fetch("/export");
    expect(res.status).toBe(200);
    expect(fetch.seen[1]!.url).toBe("https://cdn.example/file");
    expect(fetch.seen[1]!.headers.has("authorization")).toBe(false);
  });

  it("waits out a 429's Retry-After exactly (one hour, virtual time), then resolves with the success", async () => {
    const fetch = scriptedFetch([
      json(
        429,
        { detail: "Request was throttled. Expected available in 3600 seconds." },
        { "retry-after": "3600" },
      ),
      json(200, []),
    ]);
    const { client, clock, events } = setup(fetch);
    const start = clock.now();
    const res = await client.fetch("/bookings");
    expect(res.status).toBe(200);
    expect(clock.now() - start).toBe(3_600_000);
    const rateLimited = events.find((e) => e.type === "rate-limited");
    expect(rateLimited).toMatchObject({
      retryAfterMs: 3_600_000,
      gateMs: 3_600_000,
      gateReason: "retry-after",
    });
  });

  it("takes a success's Retry-After (202's 'poll again in') for no rate-limit signal", async () => {
    const fetch = scriptedFetch([json(202, {}, { "retry-after": "3600" }), json(200, [])]);
    const { client, clock, events } = setup(fetch);
    const start = clock.now();
    expect((await client.fetch("/exports", { method: "POST" })).status).toBe(202);
    expect((await client.fetch("/exports/1")).status).toBe(200);
    expect(clock.now()).toBe(start);
    expect(events.filter((e) => e.type === "wait" || e.type === "rate-limited")).toEqual([]);
  });

  // A send at the deadline itself could not be answered before the call times out.
  it.each([
    ["3600", "beyond"],
    ["60", "exactly at"],
  ])(
    "fails at once with retryAfterMs when a Retry-After of %s s ends %s the total deadline",
    async (seconds) => {
      const fetch = scriptedFetch([json(429, { detail: "x" }, { "retry-after": seconds })]);
      const { client, clock } = setup(fetch, { totalTimeoutMs: 60_000 });
      const start = clock.now();
      const error = (await client.fetch("/bookings").catch((e: unknown) => e)) as RateLimitError;
      expect(isRateLimitError(error)).toBe(true);
      expect(error.decidedLocally).toBe(true);
      expect(error.retryAfterMs).toBe(Number(seconds) * 1_000);
      expect(error.attempts).toBe(1);
      expect(clock.now()).toBe(start);
      expect(fetch.seen).toHaveLength(1);
    },
  );

  it("gives up on a 503 with the response when its Retry-After ends exactly at the deadline", async () => {
    const fetch = scriptedFetch([json(503, {}, { "retry-after": "60" })]);
    const { client, clock } = setup(fetch, { totalTimeoutMs: 60_000 });
    const start = clock.now();
    expect((await client.fetch("/sites")).status).toBe(503);
    expect(clock.now()).toBe(start);
    expect(fetch.seen).toHaveLength(1);
  });

  it("resolves with the final 429 once the rate-limit retries are spent", async () => {
    const fetch = scriptedFetch(
      Array.from({ length: 3 }, () => json(429, { detail: "x" }, { "retry-after": "1" })),
    );
    const { client } = setup(fetch, { retry: { rateLimitRetries: 2 } });
    const res = await client.fetch("/bookings");
    expect(res.status).toBe(429);
    expect(fetch.seen).toHaveLength(3);
  });

  it("retries a GET after a 503 and a reset connection with the request's own backoff", async () => {
    const fetch = scriptedFetch([json(503, {}), reset(), json(200, { ok: 1 })]);
    const { client, events } = setup(fetch);
    const res = await client.fetch("/sites");
    expect(res.status).toBe(200);
    expect(events.filter((e) => e.type === "retry").map((e) => (e.type === "retry" ? e.cause : ""))).toEqual([
      "status",
      "connection",
    ]);
  });

  it("never sends a POST twice after a failure the server may have processed", async () => {
    const fetch = scriptedFetch([reset()]);
    const { client } = setup(fetch);
    const error = await client.fetch("/bookings", { method: "POST", body: "{}" }).catch((e: unknown) => e);
    expect(isConnectionError(error)).toBe(true);
    expect(fetch.seen).toHaveLength(1);
    const fetch503 = scriptedFetch([json(503, {})]);
    const res = await setup(fetch503).client.fetch("/bookings", { method: "POST", body: "{}" });
    expect(res.status).toBe(503);
    expect(fetch503.seen).toHaveLength(1);
  });

  it("retries a POST when the connection was refused (it never reached the server) or it has an idempotency key", async () => {
    const fetch = scriptedFetch([refused(), json(201, {})]);
    expect((await setup(fetch).client.fetch("/bookings", { method: "POST", body: "{}" })).status).toBe(201);
    const fetch2 = scriptedFetch([reset(), json(201, {})]);
    const res = await setup(fetch2).client.fetch("/bookings", {
      method: "POST",
      body: "{}",
      headers: { "idempotency-key": "k1" },
    });
    expect(res.status).toBe(201);
    expect(fetch2.seen.map((s) => s.body)).toEqual(["{}", "{}"]);
  });

  it("retries a 429 for a POST: the server did not process it", async () => {
    const fetch = scriptedFetch([json(429, {}, { "retry-after": "2" }), json(201, {})]);
    const res = await setup(fetch).client.fetch("/bookings", { method: "POST", body: "{}" });
    expect(res.status).toBe(201);
  });

  it("does not retry a stream body, which cannot be sent twice", async () => {
    const fetch = scriptedFetch([json(429, {}, { "retry-after": "1" })]);
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("{}"));
        c.close();
      },
    });
    const res = await setup(fetch).client.fetch("/bookings", {
      method: "POST",
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(429);
    expect(fetch.seen).toHaveLength(1);
  });

  it("rejects with the signal's reason when the caller aborts while waiting at the gate", async () => {
    const fetch = scriptedFetch([json(429, {}, { "retry-after": "600" })]);
    const { client, clock, events } = setup(fetch);
    clock.autoAdvance(false);
    const controller = new AbortController();
    const pending = client.fetch("/bookings", { signal: controller.signal });
    await clock.advance(300_000);
    expect(events.some((e) => e.type === "rate-limited")).toBe(true);
    const reason = new Error("caller gave up");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(fetch.seen).toHaveLength(1);
  });

  it("reports every step to the hooks with the key's fingerprint only", async () => {
    const fetch = scriptedFetch([json(503, {}), json(200, {})]);
    const { client, events } = setup(fetch);
    await client.fetch("/sites?api_key=leaked");
    expect(events.map((e) => e.type)).toEqual(["request", "response", "retry", "request", "response"]);
    expect(JSON.stringify(events)).not.toContain(KEY);
    expect(JSON.stringify(events)).not.toContain("leaked");
    expect(events[0]!.key).toBe(client.key);
    expect(client.key).toMatch(/^key_[0-9a-f]{12}$/);
  });

  it("closes: calls in progress reject, new ones too", async () => {
    const fetch = scriptedFetch([json(429, {}, { "retry-after": "600" })]);
    const { client, clock } = setup(fetch);
    clock.autoAdvance(false);
    const pending = client.fetch("/x");
    await clock.advance(1000);
    await client.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(client.fetch("/x")).rejects.toThrow(/closed/);
  });

  it("reads each response's rate-limit headers with the dialect's own reader", async () => {
    const fetch = scriptedFetch([json(200, {}, { "x-budget": "17" })]);
    const dialect = {
      ...ietf(),
      readRateLimit: (headers: Headers) => ({
        remaining: Number(headers.get("x-budget")),
        resetMs: 5_000,
        policies: [],
        source: "ietf-06" as const,
      }),
    };
    const { client, events } = setup(fetch, { dialect });
    await client.fetch("/x");
    expect(events.find((e) => e.type === "response")).toMatchObject({ rateLimit: { remaining: 17 } });
    expect(() => setup(fetch, { dialect: { ...ietf(), readRateLimit: 1 } as never })).toThrow(
      /dialect.readRateLimit/,
    );
  });

  it("ends the call with an error when a custom fetch resolves with no Response, or fails with an unreadable error", async () => {
    const noResponse = (async () => undefined) as unknown as typeof fetch;
    const { client } = setup(scriptedFetch([]), { fetch: noResponse });
    await expect(client.fetch("/x")).rejects.toThrow(TypeError);

    const unreadable = Object.create(Error.prototype, {
      code: {
        get() {
          throw new RangeError("no code to read");
        },
      },
    });
    const failing = (async () => {
      throw unreadable;
    }) as unknown as typeof fetch;
    const { client: other } = setup(scriptedFetch([]), { fetch: failing, retry: { retries: 0 } });
    await expect(other.fetch("/x")).rejects.toThrow("no code to read");
  });

  it("takes a custom fetch's Response returned without a promise like any other", async () => {
    const sync = (() => new Response("{}", { status: 200 })) as unknown as typeof fetch;
    const { client } = setup(scriptedFetch([]), { fetch: sync });
    expect((await client.fetch("/x")).status).toBe(200);
  });

  it("paces clients of one key on different clocks apart: a test's fresh virtual clock never waits on an earlier one's", async () => {
    const store = memoryStore();
    const shared = {
      baseUrl: "https://api.example.test/",
      apiKey: KEY,
      dialect: campone({ limit: 1, windowMs: 60_000 }),
      store,
      fetch: async () => new Response("{}"),
    };
    const earlier = createClient({ ...shared, clock: createVirtualClock(0) });
    const later = createClient({ ...shared, clock: createVirtualClock(0) });
    closeAfterTest(earlier, later);
    await earlier.fetch("/x"); // the minute's one request, on the earlier clock, which no one moves again
    const sending = later.fetch("/x");
    expect(later.waiting).toBe(0);
    expect((await sending).status).toBe(200);
  });

  it("times an attempt on its own client's clock, when the key's pacer was made by a client on another", async () => {
    // A custom store may share one pacer among clients whatever their clocks (memoryStore does not).
    let pacer: KeyPacer | undefined;
    const store: PacerStore = { pacerFor: (_id, config) => (pacer ??= new LocalKeyPacer(config)) };
    const shared = { baseUrl: "https://api.example.test/", apiKey: KEY, dialect: campone(), store };
    const first = createClient({ ...shared, fetch: async () => new Response("{}") });
    const clock = createVirtualClock(0);
    const never = ((_url: string, init?: RequestInit) =>
      new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
      )) as typeof fetch;
    const second = createClient({ ...shared, clock, fetch: never, timeoutMs: 1_000, retry: { retries: 0 } });
    closeAfterTest(first, second);
    const pending = second.fetch("/x");
    const outcome = expect(pending).rejects.toSatisfy(isTimeoutError);
    await clock.advance(1_000);
    await outcome;
  });

  it("rejects with the error of a custom dialect's counting rule that throws on a response, and frees the key", async () => {
    const fetch = scriptedFetch([json(418, {}), json(200, { ok: true })]);
    const preset = campone({ limit: 1, windowMs: 60_000 });
    const dialect = {
      ...preset,
      counts(status: number, path: string) {
        if (status === 418) throw new RangeError("no rule for 418");
        return preset.counts(status, path);
      },
    };
    const { client, clock } = setup(fetch, { dialect });
    const start = clock.now();
    await expect(client.fetch("/x")).rejects.toThrow(RangeError);
    // The permit was released (as a send the server may have counted): the next call waits out
    // the one-a-minute window instead of waiting forever for a response that was already read.
    expect(await (await client.fetch("/x")).json()).toEqual({ ok: true });
    expect(clock.now() - start).toBe(60_000);
  });
});

/** A custom store's failure, as the tests of stores that throw raise it. */
class StoreFailure extends Error {}

/** The memory store's pacers, with `acquire` and `tryAcquire` replaced by `change(pacer)`'s. */
function memoryStoreWith(change: (pacer: KeyPacer) => Pick<KeyPacer, "acquire" | "tryAcquire">): PacerStore {
  const inner = memoryStore();
  return {
    pacerFor(id, config) {
      const pacer = inner.pacerFor(id, config);
      return {
        ...change(pacer),
        nextSendAt: () => pacer.nextSendAt(),
        budget: (route) => pacer.budget(route),
        get waiting() {
          return pacer.waiting;
        },
        isIdle: (now) => pacer.isIdle(now),
      };
    },
  };
}

describe("client.fetch: a custom store whose permits throw on release", () => {
  /** The memory store's pacers, but every permit's release throws (after freeing the slot). */
  function throwingStore(): PacerStore {
    const failing = (permit: Permit): Permit => ({
      ...permit,
      release(outcome) {
        permit.release(outcome);
        throw new StoreFailure("release failed");
      },
    });
    return memoryStoreWith((pacer) => ({
      acquire: async (options) => failing(await pacer.acquire(options)),
      tryAcquire: () => {
        const permit = pacer.tryAcquire?.();
        return permit && failing(permit);
      },
    }));
  }

  it("rejects with the store's error after a response, or after a failed send", async () => {
    const { client } = setup(scriptedFetch([json(200, {}), reset()]), {
      store: throwingStore(),
      retry: { retries: 0 },
    });
    await expect(client.fetch("/x")).rejects.toThrow(StoreFailure);
    await expect(client.fetch("/x")).rejects.toThrow(StoreFailure);
  });

  it("rejects with the store's error at the attempt timeout, and with the caller's reason on abort", async () => {
    const clock = createVirtualClock(0);
    const never = (() => new Promise<Response>(() => {})) as typeof fetch;
    const client = createClient({
      baseUrl: "https://api.example.test/",
      apiKey: KEY,
      dialect: campone(),
      store: throwingStore(),
      clock,
      fetch: never,
      timeoutMs: 1_000,
      retry: { retries: 0 },
    });
    closeAfterTest(client);
    const timedOut = expect(client.fetch("/x")).rejects.toThrow(StoreFailure);
    await clock.advance(1_000);
    await timedOut;
    const caller = new AbortController();
    const aborted = expect(client.fetch("/x", { signal: caller.signal })).rejects.toBe("stop");
    caller.abort("stop");
    await aborted;
  });
});

describe("client.fetch: a custom store whose pacer throws when asked for a permit", () => {
  /** The memory store's pacers, but `tryAcquire` throws from its `n`th call on. */
  function storeFailingFrom(n: number): PacerStore {
    let asked = 0;
    return memoryStoreWith((pacer) => ({
      acquire: (options) => pacer.acquire(options),
      tryAcquire: () => {
        if (++asked >= n) throw new StoreFailure("store unreachable");
        return pacer.tryAcquire?.();
      },
    }));
  }

  it("rejects with the store's error on the first attempt, and the call ends: its total timeout is stopped", async () => {
    const { client, clock } = setup(scriptedFetch([]), { store: storeFailingFrom(1), totalTimeoutMs: 5_000 });
    clock.autoAdvance(false);
    await expect(client.fetch("/x")).rejects.toThrow(StoreFailure);
    await expect(client.request({ path: "/x" })).rejects.toThrow(StoreFailure);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("rejects with the store's error on a retry made after a backoff", async () => {
    const fetch = scriptedFetch([json(503, {})]);
    const { client, events } = setup(fetch, { store: storeFailingFrom(2), retry: { retries: 2 } });
    await expect(client.fetch("/x")).rejects.toThrow(StoreFailure);
    expect(fetch.seen).toHaveLength(1);
    const retries = events.filter((e) => e.type === "retry");
    expect(retries.map((e) => e.delayMs > 0)).toEqual([true]);
  });
});

describe("client.fetch: paths the server does not count", () => {
  const dialect = boothzen({ backoff: { retryAfterJitterMs: 0 } });
  const ticks = () => new Promise((resolve) => setImmediate(resolve));

  /** Replies held until `open()`: what is in flight at once shows in `fetch.seen`. */
  function heldReplies(n: number, reply: () => Response) {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    return { replies: Array.from({ length: n }, () => () => opened.then(reply)), open };
  }

  it("sends them at once: they neither wait for the key's probe nor become it", async () => {
    const health = heldReplies(8, () => json(200, { ok: true }));
    const api = heldReplies(3, () =>
      json(200, [], { "ratelimit-limit": "600", "ratelimit-remaining": "590" }),
    );
    const fetch = scriptedFetch([...health.replies, ...api.replies]);
    const { client, events } = setup(fetch, { dialect });
    const healthCalls = Array.from({ length: 8 }, () => client.fetch("/health"));
    await ticks();
    expect(fetch.seen).toHaveLength(8);
    health.open();
    await Promise.all(healthCalls);
    // The bucket's first request still probes alone: /health said nothing about it.
    const apiCalls = Array.from({ length: 3 }, () => client.fetch("/api/v1/bookings"));
    await ticks();
    expect(fetch.seen).toHaveLength(9);
    api.open();
    await Promise.all(apiCalls);
    expect(fetch.seen).toHaveLength(11);
    const waits = events.filter((e) => e.type === "wait");
    expect(waits.map((e) => e.url)).toEqual([
      "https://api.example.test/api/v1/bookings",
      "https://api.example.test/api/v1/bookings",
    ]);
  });

  it("sends them while the key's gate is closed: a 429 on /api/v1/ holds only the bucket's traffic", async () => {
    const fetch = scriptedFetch([
      json(429, {}, { "retry-after": "60", "ratelimit-limit": "600", "ratelimit-remaining": "0" }),
      json(200, { ok: true }),
      json(200, []),
    ]);
    const { client, clock } = setup(fetch, { dialect });
    clock.autoAdvance(false);
    const start = clock.now();
    const bookings = client.fetch("/api/v1/bookings");
    await ticks();
    expect(fetch.seen).toHaveLength(1);
    expect((await client.fetch("/internal/status")).status).toBe(200);
    expect(clock.now()).toBe(start);
    await clock.advance(60_000);
    expect((await bookings).status).toBe(200);
    expect(fetch.seen.map((s) => new URL(s.url).pathname)).toEqual([
      "/api/v1/bookings",
      "/internal/status",
      "/api/v1/bookings",
    ]);
  });

  it("waits out a 429 of their own for exactly its Retry-After, without closing the key's gate", async () => {
    const fetch = scriptedFetch([json(429, {}, { "retry-after": "3" }), json(200, []), json(200, {})]);
    const { client, clock, events } = setup(fetch, { dialect });
    clock.autoAdvance(false);
    const start = clock.now();
    const exported = client.fetch("/internal/export");
    await ticks();
    // The bucket's traffic goes on meanwhile: no gate was closed.
    expect((await client.fetch("/api/v1/bookings")).status).toBe(200);
    await clock.advance(2_999);
    expect(fetch.seen).toHaveLength(2);
    await clock.advance(1);
    expect((await exported).status).toBe(200);
    expect(fetch.seen[2]!.url).toBe("https://api.example.test/internal/export");
    expect(clock.now() - start).toBe(3_000);
    expect(events.find((e) => e.type === "retry")).toMatchObject({ cause: "rate-limited", delayMs: 3_000 });
    expect(events.some((e) => e.type === "rate-limited")).toBe(false);
  });

  it("gives up on such a 429 with the response when its Retry-After lies beyond the deadline", async () => {
    const fetch = scriptedFetch([json(429, {}, { "retry-after": "3600" })]);
    const { client, clock } = setup(fetch, { dialect, totalTimeoutMs: 60_000 });
    const start = clock.now();
    expect((await client.fetch("/internal/export")).status).toBe(429);
    expect(clock.now()).toBe(start);
    expect(fetch.seen).toHaveLength(1);
  });
});
