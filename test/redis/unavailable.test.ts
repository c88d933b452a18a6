import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { campone, createClient } from "../../src/index.js";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import {
  isStoreUnavailableError,
  type RedisStoreWarning,
  redisStore,
  StoreUnavailableError,
} from "../../src/redis/index.js";
import { announceRedisSkip, freePort, hasRedis, startRedisServer } from "../helpers/redis-server.js";

/**
 * Redis going away under a running batch: with `onUnavailable: "fail"` every call ends, either
 * with its response or with a `StoreUnavailableError`; with `"fallback"` every call still gets its
 * response, paced in-process, and a warning says so. Never a hang (each test's calls are bounded
 * by the test's timeout), never an unhandled rejection (counted here, and vitest fails on them).
 */
announceRedisSkip("redis-unavailable.test.ts");

let mock: MockServer;
let unhandled: unknown[];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(async () => {
  unhandled = [];
  process.on("unhandledRejection", onUnhandled);
  mock = await startMockServer({ dialect: "campone", port: 0, limit: 1_000, windowMs: 10_000 });
});
afterEach(async () => {
  process.off("unhandledRejection", onUnhandled);
  await mock.close();
});

/** Runs `total` calls, `concurrency` at a time; `after(n)` runs once when n calls have ended. */
async function batch(
  call: () => Promise<number>,
  total: number,
  concurrency: number,
  at: { n: number; run: () => Promise<void> },
) {
  const outcomes: (number | Error)[] = [];
  let next = 0;
  let hook: Promise<void> | undefined;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        outcomes.push(await call().catch((e: Error) => e));
        if (outcomes.length === at.n) hook = at.run();
        // Keep the batch going while Redis is down, not past it in a burst.
        await new Promise((r) => setTimeout(r, 10));
      }
    }),
  );
  await hook;
  return outcomes;
}

describe.skipIf(!hasRedis)("pacekeeper/redis when Redis goes away", () => {
  it('"fail": calls end with their response or a StoreUnavailableError, none hangs', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.port, "127.0.0.1");
    client.on("error", () => {}); // the application's client: its errors are the application's
    const warnings: RedisStoreWarning[] = [];
    const store = redisStore({
      client,
      onUnavailable: "fail",
      commandTimeoutMs: 300,
      onWarning: (w) => warnings.push(w),
    });
    const api = createClient({
      baseUrl: mock.url,
      apiKey: "key_live_unavailable_fail",
      dialect: campone({ limit: 1_000, windowMs: 10_000 }),
      store,
    });
    try {
      const started = Date.now();
      const outcomes = await batch(
        async () => {
          const res = await api.fetch("/sites");
          await res.arrayBuffer();
          return res.status;
        },
        60,
        4,
        { n: 10, run: () => server.stop({ hard: true }) },
      );
      expect(outcomes).toHaveLength(60);
      const ok = outcomes.filter((o) => o === 200).length;
      const failed = outcomes.filter((o) => o instanceof Error);
      expect(ok).toBeGreaterThanOrEqual(10);
      expect(failed.length).toBeGreaterThan(0);
      expect(ok + failed.length).toBe(60);
      for (const error of failed) {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(isStoreUnavailableError(error)).toBe(true);
        expect((error as StoreUnavailableError).code).toBe("store_unavailable");
      }
      // Bounded: a refusal costs at most the command timeout, not ioredis' reconnection loop.
      expect(Date.now() - started).toBeLessThan(failed.length * 300 + 5_000);
      // Nothing was sent without a permit.
      expect(mock.audit().length).toBe(ok);
      expect(unhandled).toEqual([]);
    } finally {
      await api.close();
      await store.close();
      client.disconnect();
      await server.stop();
    }
  });

  it('"fail": a Redis never reached refuses at once with a typed error', async () => {
    const client = new Redis(await freePort(), "127.0.0.1", { retryStrategy: () => 50 });
    client.on("error", () => {});
    const store = redisStore({ client, commandTimeoutMs: 200 });
    const api = createClient({
      baseUrl: mock.url,
      apiKey: "key_live_unavailable_never",
      dialect: campone(),
      store,
    });
    try {
      const started = Date.now();
      const error = await api.fetch("/sites").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(mock.audit()).toEqual([]);
      expect(unhandled).toEqual([]);
    } finally {
      await api.close();
      await store.close();
      client.disconnect();
    }
  });

  it('"fallback": every call gets its response, paced in-process with a warning, and Redis takes over again when back', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.port, "127.0.0.1", { retryStrategy: () => 100 });
    client.on("error", () => {});
    const warnings: RedisStoreWarning[] = [];
    const store = redisStore({
      client,
      onUnavailable: "fallback",
      commandTimeoutMs: 300,
      retryRedisAfterMs: 300,
      onWarning: (w) => warnings.push(w),
    });
    const api = createClient({
      baseUrl: mock.url,
      apiKey: "key_live_unavailable_fallback",
      dialect: campone({ limit: 1_000, windowMs: 10_000 }),
      store,
    });
    const call = async () => {
      const res = await api.fetch("/sites");
      await res.arrayBuffer();
      return res.status;
    };
    let restarted: Awaited<ReturnType<typeof startRedisServer>> | undefined;
    try {
      const outcomes = await batch(call, 60, 4, { n: 10, run: () => server.stop({ hard: true }) });
      expect(outcomes.filter((o) => o === 200)).toHaveLength(60);
      const fallback = warnings.find((w) => w.type === "fallback");
      expect(fallback).toBeDefined();
      expect(fallback && "error" in fallback && fallback.error).toBeInstanceOf(StoreUnavailableError);
      expect(mock.audit().filter((r) => r.status === 429)).toEqual([]);

      // Redis comes back (same port, empty): after `retryRedisAfterMs` the key is paced there again.
      restarted = await startRedisServer(server.port);
      const until = Date.now() + 10_000;
      while (!warnings.some((w) => w.type === "recovered") && Date.now() < until) {
        await call();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(warnings.map((w) => w.type)).toContain("recovered");
      const check = new Redis(server.port, "127.0.0.1");
      try {
        expect((await check.keys("pacekeeper:*")).length).toBeGreaterThan(0);
      } finally {
        check.disconnect();
      }
      expect(unhandled).toEqual([]);
    } finally {
      await api.close();
      await store.close();
      client.disconnect();
      await restarted?.stop();
      await server.stop();
    }
  });
});
