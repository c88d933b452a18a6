/**
 * Limits of input: an absurd `Retry-After` is capped by the caller's deadline, a wait of a
 * year never overflows a timer, hostile JSON reaches no prototype, and neither a huge number in a
 * header nor a huge or deeply nested body breaks a call.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { realClock } from "../../src/clock/clock.js";
import {
  boothzen,
  type ClientOptions,
  campone,
  createClient,
  type HttpError,
  ietf,
  isHttpError,
  isRateLimitError,
  isServerError,
  memoryStore,
  type RateLimitError,
} from "../../src/index.js";
import { RollingWindow } from "../../src/pacer/rolling-window.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { json, scriptedFetch } from "../helpers/scripted-fetch.js";

const KEY = "key_live_limits_0001";
const YEAR_S = 365 * 24 * 3600;
const YEAR_MS = YEAR_S * 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;
const T0 = 1_700_000_000_000;

const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function setup(fetch: ReturnType<typeof scriptedFetch>, options: Partial<ClientOptions> = {}) {
  const clock = createVirtualClock(T0);
  clock.autoAdvance(true);
  const client = createClient({
    baseUrl: "https://api.example.test",
    apiKey: KEY,
    dialect: campone({ backoff: { retryAfterJitterMs: 0 } }),
    fetch,
    clock,
    store: memoryStore(),
    ...options,
  });
  clients.push(client, { close: async () => clock.autoAdvance(false) });
  return { client, clock };
}

describe("an absurd Retry-After is capped by the caller's deadline", () => {
  it("a 429 asking for a year fails at once with a RateLimitError that says when to come back", async () => {
    const fetch = scriptedFetch([json(429, { detail: "wait" }, { "retry-after": String(YEAR_S) })]);
    const { client, clock } = setup(fetch, { totalTimeoutMs: 60_000 });
    const error = (await client.fetch("/sites").catch((e: unknown) => e)) as RateLimitError;
    expect(isRateLimitError(error)).toBe(true);
    expect(error.decidedLocally).toBe(true);
    expect(error.retryAfterMs).toBe(YEAR_MS);
    expect(error.retryAt).toBe(T0 + YEAR_MS);
    expect(clock.now()).toBe(T0);
    // The key's other calls are refused at once too, without a send.
    const next = (await client.fetch("/sites").catch((e: unknown) => e)) as RateLimitError;
    expect(next.decidedLocally).toBe(true);
    expect(next.attempts).toBe(0);
    expect(fetch.seen).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("an HTTP-date a year ahead (by the server's Date) is capped the same way", async () => {
    const date = new Date(T0).toUTCString();
    const inAYear = new Date(T0 + YEAR_MS).toUTCString();
    const fetch = scriptedFetch([json(429, {}, { "retry-after": inAYear, date })]);
    const { client, clock } = setup(fetch, { totalTimeoutMs: 3_600_000 });
    const error = (await client.fetch("/sites").catch((e: unknown) => e)) as RateLimitError;
    expect(error.decidedLocally).toBe(true);
    expect(error.retryAfterMs).toBe(YEAR_MS);
    expect(clock.now()).toBe(T0);
  });

  it("a 503 asking for a year ends the call with the 503 now, instead of sleeping past the deadline", async () => {
    const fetch = scriptedFetch([json(503, { detail: "down" }, { "retry-after": String(YEAR_S) })]);
    const { client, clock } = setup(fetch, { totalTimeoutMs: 60_000 });
    const error = (await client.request({ path: "/sites" }).catch((e: unknown) => e)) as HttpError;
    expect(isServerError(error)).toBe(true);
    expect(error.retryAfterMs).toBe(YEAR_MS);
    expect(error.attempts).toBe(1);
    expect(clock.now()).toBe(T0);
    expect(fetch.seen).toHaveLength(1);
  });

  it("a call's own totalTimeoutMs caps it too", async () => {
    const fetch = scriptedFetch([json(429, {}, { "retry-after": "99999999999999999999" })]);
    const { client, clock } = setup(fetch);
    const error = (await client
      .request({ path: "/sites", totalTimeoutMs: 1000 })
      .catch((e: unknown) => e)) as RateLimitError;
    expect(error.decidedLocally).toBe(true);
    // Clamped to about Number.MAX_SAFE_INTEGER: finite, and far beyond any deadline.
    expect(Number.isFinite(error.retryAfterMs)).toBe(true);
    expect(error.retryAfterMs).toBeGreaterThan(1e15);
    expect(clock.now()).toBe(T0);
    // Its retryAt is a moment a Date can hold.
    expect(new Date(error.retryAt!).toISOString()).toBe("+275760-09-13T00:00:00.000Z");
  });

  it("the server's own 429 says when to come back: retryAt is its arrival plus Retry-After", async () => {
    const fetch = scriptedFetch([json(429, { detail: "wait" }, { "retry-after": "30" })]);
    const { client, clock } = setup(fetch, { retry: { rateLimitRetries: 0 } });
    const error = (await client.request({ path: "/sites" }).catch((e: unknown) => e)) as RateLimitError;
    expect(isRateLimitError(error) && error.decidedLocally).toBe(false);
    expect(error.retryAfterMs).toBe(30_000);
    expect(error.retryAt).toBe(T0 + 30_000);
    expect(clock.now()).toBe(T0);
  });
});

describe("a wait of a year never overflows a timer (setTimeout over 2^31-1 ms fires at once)", () => {
  it("realClock.sleep waits out a span longer than 2^31-1 ms in chunks, not at once", async () => {
    vi.useFakeTimers();
    let done = false;
    const sleeping = realClock.sleep(MAX_TIMER_MS + 10_000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("realClock.sleep of a year keeps one timer, re-armed only every 2^31-1 ms, and clears it on abort", async () => {
    vi.useFakeTimers();
    const armed = vi.spyOn(globalThis, "setTimeout");
    const controller = new AbortController();
    const sleeping = realClock.sleep(YEAR_MS, controller.signal);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(vi.getTimerCount()).toBe(1);
    expect(armed).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(3 * MAX_TIMER_MS);
    expect(armed).toHaveBeenCalledTimes(4);
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("realClock.sleep of NaN or a negative span resolves on the next timer turn and leaves no timer", async () => {
    vi.useFakeTimers();
    let resolved = 0;
    for (const ms of [Number.NaN, -5, 0]) void realClock.sleep(ms).then(() => resolved++);
    await vi.advanceTimersByTimeAsync(1);
    expect(resolved).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a client on the real clock holds a key's gate for a year: no send before it opens", async () => {
    vi.useFakeTimers();
    const fetch = scriptedFetch([
      json(429, { detail: "wait" }, { "retry-after": String(YEAR_S) }),
      json(200, { results: [] }),
    ]);
    const client = createClient({
      baseUrl: "https://api.example.test",
      apiKey: KEY,
      dialect: campone({ backoff: { retryAfterJitterMs: 0 } }),
      fetch,
      store: memoryStore(),
    });
    clients.push(client);
    const pending = client.fetch("/sites");
    const outcome = pending.then(
      (response) => response.status,
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(10);
    expect(fetch.seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2 * MAX_TIMER_MS);
    expect(fetch.seen).toHaveLength(1);
    expect(client.waiting).toBe(1);
    await client.close();
    expect(await outcome).toBeInstanceOf(DOMException);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("hostile JSON reaches no prototype", () => {
  const hostile =
    '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"nested":{"__proto__":{"polluted":"yes"},"ok":1},"list":[{"__proto__":{"polluted":"yes"}}]}';

  /** A naive recursive merge, as user code often writes one: it pollutes through any `__proto__` key it meets. */
  function naiveMerge(target: Record<string, unknown>, source: unknown): void {
    if (typeof source !== "object" || source === null) return;
    for (const key of Object.keys(source)) {
      const value = (source as Record<string, unknown>)[key];
      if (typeof value === "object" && value !== null) {
        if (typeof target[key] !== "object" || target[key] === null) target[key] = {};
        naiveMerge(target[key] as Record<string, unknown>, value);
      } else {
        target[key] = value;
      }
    }
  }

  /** Own keys named `__proto__`, `constructor` or `prototype`, at any depth. */
  function hostileKeys(value: unknown): string[] {
    if (typeof value !== "object" || value === null) return [];
    return Object.keys(value).flatMap((key) => [
      ...(["__proto__", "constructor", "prototype"].includes(key) ? [key] : []),
      ...hostileKeys((value as Record<string, unknown>)[key]),
    ]);
  }

  function expectClean(value: unknown): void {
    naiveMerge({}, value);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(hostileKeys(value)).toEqual([]);
  }

  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it("in a success body, with or without a schema", async () => {
    const { client } = setup(
      scriptedFetch([
        new Response(hostile, { status: 200, headers: { "content-type": "application/json" } }),
        new Response(hostile, { status: 200 }),
      ]),
    );
    const data = (await client.request({ path: "/sites" })) as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.hasOwn(data, "__proto__")).toBe(false);
    expect(data.nested).toEqual({ ok: 1 });
    expectClean(data);
    const { z } = await import("zod");
    expectClean(await client.request({ path: "/sites", schema: z.looseObject({}) }));
  });

  it("in an error body, whichever dialect parses it", async () => {
    for (const dialect of [campone(), boothzen(), ietf()]) {
      const body = `{"detail":"x","message":"x","error":{"type":"t","code":"c","message":"x","__proto__":{"polluted":"yes"}},${hostile.slice(1)}`;
      const { client } = setup(scriptedFetch([new Response(body, { status: 400 })]), { dialect });
      const error = (await client.request({ path: "/sites" }).catch((e: unknown) => e)) as HttpError;
      expect(isHttpError(error)).toBe(true);
      expect(error.body).toBeDefined();
      expectClean(error.body?.raw);
    }
  });

  it("for any JSON with hostile keys planted in it (fast-check)", async () => {
    const planted = fc
      .tuple(fc.json({ maxDepth: 3 }), fc.constantFrom("__proto__", "constructor", "prototype"))
      .map(([text, key]) => `{"${key}":{"polluted":"yes"},"v":${text}}`);
    await fc.assert(
      fc.asyncProperty(planted, async (text) => {
        const { client } = setup(
          scriptedFetch([new Response(text, { status: 200 }), new Response(text, { status: 422 })]),
          { retry: { retries: 0 } },
        );
        expectClean(await client.request({ path: "/a" }));
        const error = (await client.request({ path: "/b" }).catch((e: unknown) => e)) as HttpError;
        expect(isHttpError(error)).toBe(true);
        expectClean(error.body?.raw);
      }),
      { numRuns: 60 },
    );
  });
});

describe("huge numbers and bodies", () => {
  it("a RateLimit-Limit of 15 digits neither throws nor stalls the key's other requests", async () => {
    const headers = {
      "ratelimit-limit": "999999999999999",
      "ratelimit-remaining": "999999999999998",
      "ratelimit-reset": "60",
    };
    const fetch = scriptedFetch(Array.from({ length: 6 }, () => json(200, { ok: true }, headers)));
    const { client, clock } = setup(fetch, { dialect: boothzen() });
    const statuses = await Promise.all(
      Array.from({ length: 6 }, () => client.fetch("/api/v1/bookings").then((r) => r.status)),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(client.waiting).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("a hostile RateLimit-Reset of 31 years does not outlive the server's next word", async () => {
    const headers = (remaining: string, reset: string) => ({
      "ratelimit-limit": "600",
      "ratelimit-remaining": remaining,
      "ratelimit-reset": reset,
    });
    const fetch = scriptedFetch([
      json(200, {}, headers("500", "999999999")),
      json(200, {}, headers("0", "60")),
      json(200, {}, headers("599", "60")),
    ]);
    const { client, clock } = setup(fetch, { dialect: boothzen() });
    await client.fetch("/api/v1/bookings");
    await client.fetch("/api/v1/bookings");
    // The server's latest word is "nothing left for 60 s": the next send waits for it.
    expect(client.nextSendAt()).toBe(T0 + 60_000);
    await client.fetch("/api/v1/bookings");
    expect(clock.now()).toBe(T0 + 60_000);
  });

  it("a rolling log of any limit, however large, is an exact log of the last `limit` sends (fast-check)", () => {
    // The log grows its ring as sends are counted: check it against a plain array model.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        // Long runs of close sends, so the log often holds more than its first room (64) and wraps.
        logSteps({ maxGapMs: 12, maxLimit: 300, maxLength: 600 }),
        (limit, steps) => {
          const windowMs = 1000;
          const log = new RollingWindow(limit, windowMs);
          let model: number[] = [];
          let modelLimit = limit;
          let now = 0;
          for (const [dt, counted, newLimit] of steps) {
            now += dt;
            if (newLimit !== null) {
              log.setLimit(newLimit);
              modelLimit = newLimit;
              model = model.slice(-modelLimit);
            }
            log.reserve();
            log.complete(now, counted);
            if (counted) model = [...model, now].slice(-modelLimit);
            model = model.filter((t) => t > now - windowMs);
            expect(log.countedSince(now)).toBe(model.length);
            const freeAt = model.length < modelLimit ? now : model[model.length - modelLimit]! + windowMs;
            expect(log.nextFreeAt(now)).toBe(freeAt);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a rolling log logging at most N sends is the exact log while the window holds N or fewer, and never frees a slot sooner (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 60 }),
        logSteps({ maxGapMs: 40, maxLimit: 60, maxLength: 400 }),
        (maxLogged, limit, steps) => {
          const windowMs = 1000;
          const log = new RollingWindow(limit, windowMs, maxLogged);
          // Uncapped, the log is the exact one (the test above).
          const exact = new RollingWindow(limit, windowMs, Number.POSITIVE_INFINITY);
          let now = 0;
          for (const [dt, counted, newLimit] of steps) {
            now += dt;
            for (const w of [log, exact]) {
              if (newLimit !== null) w.setLimit(newLimit);
              w.reserve();
              w.complete(now, counted);
            }
            const alive = exact.countedSince(now);
            if (alive <= maxLogged) {
              expect(log.countedSince(now)).toBe(alive);
              expect(log.nextFreeAt(now)).toBe(exact.nextFreeAt(now));
            } else {
              expect(log.countedSince(now)).toBeGreaterThanOrEqual(alive);
              expect(log.nextFreeAt(now)).toBeGreaterThanOrEqual(exact.nextFreeAt(now));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a rolling log under a huge limit keeps memory for its most logged sends, not for every send of its window", () => {
    const windowMs = 1_000_000;
    const log = new RollingWindow(1_000_000_000, windowMs, 1_000);
    for (let t = 0; t < 100_000; t++) {
      log.reserve();
      log.complete(t, true);
    }
    expect((Reflect.get(log, "times") as number[]).length).toBeLessThanOrEqual(1_000);
    expect(log.countedSince(100_000)).toBe(100_000);
    // The oldest 99,000 sends leave the window with the newest of them (sent at 98,999), together.
    expect(log.countedSince(windowMs + 98_998)).toBe(100_000);
    expect(log.countedSince(windowMs + 98_999)).toBe(1_000);
    expect(log.countedSince(windowMs + 99_000)).toBe(999);
  });

  it("an error body of 2 MB is kept short and not parsed; a success body of 2 MB is parsed whole", async () => {
    const big = JSON.stringify({ detail: "x".repeat(2_000_000) });
    const fetch = scriptedFetch([new Response(big, { status: 500 }), new Response(big, { status: 200 })]);
    const { client } = setup(fetch, { retry: { retries: 0 } });
    const error = (await client.request({ path: "/a" }).catch((e: unknown) => e)) as HttpError;
    expect(isServerError(error)).toBe(true);
    expect(error.body).toBeUndefined();
    expect(error.bodyText.length).toBeLessThan(2200);
    expect(error.message.length).toBeLessThan(300);
    const data = (await client.request({ path: "/b" })) as { detail: string };
    expect(data.detail).toHaveLength(2_000_000);
  });

  it("a body nested 100 000 deep ends in a result or a typed error, never a stack overflow", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const fetch = scriptedFetch([new Response(deep, { status: 400 }), new Response(deep, { status: 200 })]);
    const { client } = setup(fetch, { dialect: ietf(), retry: { retries: 0 } });
    const error = await client.request({ path: "/a" }).catch((e: unknown) => e);
    expect(isHttpError(error)).toBe(true);
    const data = await client.request({ path: "/b" }).then(
      (value) => value,
      (e: unknown) => e,
    );
    expect(Array.isArray(data) || (data as { code?: string }).code === "response_invalid").toBe(true);
  });
});

/** Steps of a rolling log: the time since the last send, whether the server counted it, and now and then a new limit. */
function logSteps(options: { maxGapMs: number; maxLimit: number; maxLength: number }) {
  return fc.array(
    fc.tuple(
      fc.nat(options.maxGapMs),
      fc.boolean(),
      fc.oneof(
        { arbitrary: fc.constant(null), weight: 40 },
        { arbitrary: fc.integer({ min: 1, max: options.maxLimit }), weight: 1 },
      ),
    ),
    { minLength: 50, maxLength: options.maxLength, size: "max" },
  );
}
