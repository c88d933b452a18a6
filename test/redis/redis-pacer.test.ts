import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { realClock } from "../../src/clock/clock.js";
import { campone, createClient, isRateLimitError, type RateLimitError } from "../../src/index.js";
import { startMockServer } from "../../src/mock/index.js";
import { PacerDeadlineError } from "../../src/pacer/deadline-error.js";
import type {
  KeyPacer,
  KeyPacerConfig,
  Limit,
  Permit,
  SendOutcome,
  WaitInfo,
} from "../../src/pacer/types.js";
import { type RedisStore, redisStore, StoreUnavailableError } from "../../src/redis/index.js";
import { keyNames } from "../../src/redis/key-names.js";
import { ScriptRunner } from "../../src/redis/script-runner.js";
import { SharedKeyState } from "../../src/redis/shared-state.js";
import { ok, tooMany } from "../helpers/pacer.js";
import { announceRedisSkip, hasRedis, type RedisServer, startRedisServer } from "../helpers/redis-server.js";

/**
 * The Redis store's rules, each checked across two stores on one Redis — two processes' worth of
 * state that only Redis connects. Real time (Redis' clock is the one that counts), so every
 * assertion is on order, counts, reasons and lower bounds; upper bounds only where generous.
 */
announceRedisSkip("redis-pacer.test.ts");

let server: RedisServer;
const open: { client: Redis; store: RedisStore }[] = [];
let n = 0;

beforeAll(async () => {
  if (hasRedis) server = await startRedisServer();
});
afterEach(async () => {
  for (const { client, store } of open.splice(0)) {
    await store.close();
    client.disconnect();
  }
});
afterAll(async () => {
  await server?.stop();
});

const BACKOFF = { baseMs: 200, capMs: 5_000, factor: 2, retryAfterJitterMs: 0 };

/** A fresh key and `count` stores on it, as if in `count` processes. */
function fleet(
  limits: Limit[],
  options: { count?: number; probeFirst?: boolean; graceMs?: number; pollMs?: number } = {},
) {
  const id = `test ${++n} ${Date.now()}`;
  const prefix = `pk-test-${n}:`;
  const config: KeyPacerConfig = {
    limits,
    probeFirst: options.probeFirst ?? false,
    backoff: BACKOFF,
    clock: realClock,
    random: () => 0.5,
  };
  const pacers: KeyPacer[] = [];
  const stores: RedisStore[] = [];
  for (let i = 0; i < (options.count ?? 2); i++) {
    const client = new Redis(server.port, "127.0.0.1");
    const store = redisStore({
      client,
      prefix,
      reservationGraceMs: options.graceMs ?? 30_000,
      pollMs: options.pollMs ?? 1_000,
    });
    open.push({ client, store });
    stores.push(store);
    pacers.push(store.pacerFor(id, config));
  }
  const names = keyNames(prefix, id, limits);
  const inspect = open.at(-1)!.client;
  return {
    pacers,
    stores,
    names,
    meta: (field: string) => inspect.hget(names.meta, field),
    client: inspect,
  };
}

/** Acquires and records when the permit came (real time) and what `onWait` said. */
function timed(pacer: KeyPacer, options: { deadline?: number; signal?: AbortSignal } = {}) {
  const started = Date.now();
  const waits: WaitInfo[] = [];
  const promise = pacer.acquire({ ...options, onWait: (info) => waits.push(info) }).then((permit) => ({
    permit,
    waitedMs: Date.now() - started,
  }));
  return { promise, waits };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once Redis has run every command this test's stores sent so far. A release goes out on
 * its own store's connection and another store's acquire on another: Redis orders commands within
 * a connection, never across two, so a test that releases in one store and acquires in the next
 * waits here first. (One PING per connection: its answer comes after everything sent before it.)
 */
const settled = () => Promise.all(open.map(({ client }) => client.ping()));

/** For `vi.waitFor`: what Redis' answer sets, polled rather than slept for. */
const POLL = { timeout: 5_000, interval: 5 };

/** One key's state in Redis whose logs keep at most 3 arrivals one by one, spoken to directly. */
function cappedKey(limit: Limit) {
  const client = new Redis(server.port, "127.0.0.1");
  onTestFinished(() => client.disconnect());
  const limits = [limit];
  const names = keyNames(`pk-test-cap-${++n}:`, "capped key", limits);
  const config: KeyPacerConfig = { limits, probeFirst: false, backoff: BACKOFF, clock: realClock };
  const runner = new ScriptRunner(client, 5_000);
  const state = new SharedKeyState(names, config, 30_000, runner, names.channel, 3);
  /** Acquires one permit, which must be granted, and releases it with `outcome`. */
  const send = async (outcome: SendOutcome) => {
    const { grants } = await state.acquire(1, () => {});
    expect(grants).toHaveLength(1);
    await state.release(grants[0]!, outcome, 0.5);
  };
  return { client, names, state, send };
}

describe.skipIf(!hasRedis)("redisStore: one key's state shared across processes", () => {
  it("shares one rolling window: `limit` at once across both stores, then one per response aged out", async () => {
    const { pacers } = fleet([{ limit: 5, windowMs: 600 }]);
    const grants: { at: number; store: number }[] = [];
    const start = Date.now();
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const permit = await pacers[i % 2]!.acquire();
        grants.push({ at: Date.now() - start, store: i % 2 });
        await sleep(20);
        permit.release(ok());
      }),
    );
    grants.sort((a, b) => a.at - b.at);
    // The first five went at once, the next five only after the first responses aged a window.
    expect(grants[4]!.at).toBeLessThan(400);
    expect(grants[5]!.at).toBeGreaterThanOrEqual(600 + 20);
    expect(new Set(grants.map((g) => g.store)).size).toBe(2);
  });

  it("never has more than `limit` sends alive in any window, ageing from arrival (random holds, three stores)", async () => {
    const limit = 6;
    const windowMs = 300;
    const { pacers } = fleet([{ limit, windowMs }], { count: 3 });
    const sends: { granted: number; arrived: number }[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    await Promise.all(
      Array.from({ length: 36 }, async (_, i) => {
        await sleep(random() * 400);
        const permit = await pacers[i % 3]!.acquire();
        const granted = performance.now();
        await sleep(random() * 40);
        const arrived = performance.now();
        sends.push({ granted, arrived });
        permit.release(ok());
      }),
    );
    expect(sends).toHaveLength(36);
    // At each grant, the sends granted before it and not yet aged out (arrived within the window,
    // or still in flight) number fewer than `limit`. 2 ms of slack for the two clocks' readings.
    for (const s of sends) {
      const alive = sends.filter(
        (o) => o !== s && o.granted <= s.granted && o.arrived > s.granted - windowMs + 2,
      ).length;
      expect(alive).toBeLessThan(limit);
    }
  });

  it("closes the key for every store after a 429, until Retry-After has passed", async () => {
    const { pacers } = fleet([{ limit: 100, windowMs: 10_000 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    const refused = await a.acquire();
    const released = Date.now();
    const result = refused.release(tooMany(300));
    expect(result.gate).toEqual({ waitMs: 300, reason: "retry-after" });
    await settled();
    const other = timed(b);
    const { waitedMs } = await other.promise;
    expect(other.waits.map((w) => w.reason)).toEqual(["gate"]);
    expect(Date.now() - released).toBeGreaterThanOrEqual(300);
    expect(waitedMs).toBeGreaterThan(0);
  });

  it("counts 429s of sends granted before the gate closed as one episode, and doubles the next one", async () => {
    const { pacers, meta } = fleet([{ limit: 100, windowMs: 10_000 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    // With headers, so that no limit is learned from the refusals (a server without them would be
    // taken to allow only what the window held).
    const refusal = () => tooMany(100, { limit: 100, remaining: 0, resetMs: 100 });
    const first = await a.acquire();
    const second = await b.acquire();
    first.release(refusal());
    second.release(refusal());
    await settled();
    expect(await meta("g:n")).toBe("1");
    // After the gate reopens, a send refused again is the next consecutive 429: max(100, 200·2).
    const third = await a.acquire();
    const released = Date.now();
    third.release(refusal());
    await settled();
    expect(await meta("g:n")).toBe("2");
    const waiter = timed(b);
    const { permit } = await waiter.promise;
    expect(waiter.waits.map((w) => w.reason)).toEqual(["gate"]);
    expect(Date.now() - released).toBeGreaterThanOrEqual(400);
    expect(Date.now() - released).toBeLessThan(3_000);
    // A success of a send granted after the episode began starts the doubling over.
    permit.release(ok());
    await settled();
    expect(await meta("g:n")).toBe("0");
  });

  it("sends one probe per key across processes until a response with headers, then releases the rest", async () => {
    // pollMs far above the assertion: only the release's pub/sub message can wake the waiter in time.
    const { pacers } = fleet([{ limit: 100, windowMs: 10_000 }], { probeFirst: true, pollMs: 20_000 });
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    const probe = await a.acquire();
    expect(probe.probe).toBe(true);
    const waiter = timed(b);
    await vi.waitFor(() => expect(waiter.waits).not.toHaveLength(0), POLL);
    expect(waiter.waits.map((w) => w.reason)).toEqual(["probe"]);
    probe.release(ok({ limit: 100, remaining: 99, resetMs: 10_000 }));
    const { permit, waitedMs } = await waiter.promise;
    expect(permit.probe).toBe(false);
    expect(waitedMs).toBeLessThan(5_000);
  });

  it("lets the server's budget bind every store, counting sends granted after the observed one as spent", async () => {
    const { pacers } = fleet([{ limit: 100, windowMs: 10_000 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    const observed = await a.acquire();
    const later = await a.acquire(); // in flight when the headers arrive: it may be counted already
    observed.release(ok({ limit: 100, remaining: 3, resetMs: 5_000 }));
    await settled();
    const got: Permit[] = [];
    const waits: WaitInfo[] = [];
    const controller = new AbortController();
    const pending = Array.from({ length: 3 }, () =>
      b.acquire({ signal: controller.signal, onWait: (w) => waits.push(w) }).then((p) => got.push(p)),
    );
    await vi.waitFor(() => expect(waits).not.toHaveLength(0), POLL);
    // 3 left, 1 of them taken by the send in flight: 2 more now, the third waits for the reset.
    expect(got).toHaveLength(2);
    expect(waits.map((w) => w.reason)).toEqual(["budget"]);
    expect(waits[0]!.ms).toBeGreaterThan(4_000);
    controller.abort(new Error("done"));
    await Promise.allSettled(pending);
    later.release(ok());
  });

  it("does not wait a rounded reset when a burst aged out during the round trip (a rolling server turning over)", async () => {
    // A rolling server of 4 per 1.5 s: one send at 0, three at 400 ms, each answered at once.
    // (Margins of 400 ms either side of each moment that matters: the test runs on real time.)
    const { pacers, meta } = fleet([{ limit: 4, windowMs: 1_500 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    (await a.acquire()).release(ok({ limit: 4, remaining: 3, resetMs: 1_500 }));
    await sleep(400);
    for (const remaining of [2, 1, 0])
      (await b.acquire()).release(ok({ limit: 4, remaining, resetMs: 1_100 }));
    // At about 1,500 ms the first send ages out and a fifth goes; the server counts it at once,
    // still holding the three of 400 ms ("0 left").
    const fifth = timed(a);
    const { permit } = await fifth.promise;
    expect(fifth.waits.map((w) => w.reason)).toEqual(["budget"]);
    // Its answer comes 800 ms later, after the three aged out of the log at about 1,900 ms.
    await sleep(800);
    permit.release(ok({ limit: 4, remaining: 0, resetMs: 1_000 }));
    await settled();
    // Our sends alive at its grant explain the server's count, so the exact log decides: three
    // free now, not a wait for the reset a second away.
    expect(await meta("b:exp")).toBe("1");
    const next = timed(b);
    const { waitedMs } = await next.promise;
    expect(next.waits).toEqual([]);
    expect(waitedMs).toBeLessThan(500);
  });

  it("gives back the slot of a request never sent and of a response the server did not count", async () => {
    const { pacers } = fleet([{ limit: 2, windowMs: 10_000 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    (await a.acquire()).release({ kind: "unsent" });
    (await a.acquire()).release({ ...ok(), status: 401, counted: false });
    await settled();
    const first = timed(b);
    const second = timed(b);
    await Promise.all([first.promise, second.promise]);
    expect([...first.waits, ...second.waits]).toEqual([]);
    const third = timed(a);
    await vi.waitFor(() => expect(third.waits).not.toHaveLength(0), POLL);
    expect(third.waits.map((w) => w.reason)).toEqual(["window"]);
    (await first.promise).permit.release({ kind: "unsent" });
    await third.promise;
  });

  it("removes an aborted waiter and frees nothing it did not hold", async () => {
    const { pacers } = fleet([{ limit: 1, windowMs: 10_000 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    const held = await a.acquire();
    const controller = new AbortController();
    const aborted = b.acquire({ signal: controller.signal });
    const next = b.acquire();
    await vi.waitFor(() => expect(b.waiting).toBe(2), POLL);
    controller.abort(new Error("caller gave up"));
    await expect(aborted).rejects.toThrow("caller gave up");
    expect(b.waiting).toBe(1);
    held.release({ kind: "unsent" });
    const permit = await next;
    expect(permit.seq).toBeGreaterThan(held.seq);
  });

  it("fails at once with PacerDeadlineError when the key cannot send before the caller's deadline", async () => {
    const { pacers } = fleet([{ limit: 100, windowMs: 10_000 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    (await a.acquire()).release(tooMany(5_000));
    await settled();
    const started = Date.now();
    const error = await b.acquire({ deadline: realClock.now() + 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PacerDeadlineError);
    expect((error as PacerDeadlineError).reason).toBe("gate");
    expect((error as PacerDeadlineError).retryAfterMs).toBeGreaterThan(4_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("takes a release in before the acquire that follows it, even right after Redis lost its scripts", async () => {
    const mock = await startMockServer({ dialect: "campone", port: 0, limit: 10 });
    // pollMs far above the call's deadline: only the release, taken in first, can answer in time.
    const { stores, client } = fleet([{ limit: 1, windowMs: 3_600_000 }], { pollMs: 10_000 });
    const api = createClient({
      baseUrl: mock.url,
      apiKey: "key_live_redis_order",
      dialect: campone({ limit: 1 }),
      store: stores[0]!,
      totalTimeoutMs: 2_000,
    });
    try {
      await client.script("FLUSH");
      await (await api.fetch("/sites")).arrayBuffer();
      const started = Date.now();
      // The first response is in the log: the next call cannot go within the hour, and says so now.
      const error = await api.fetch("/sites").catch((e: unknown) => e);
      expect(isRateLimitError(error)).toBe(true);
      expect((error as RateLimitError).retryAfterMs).toBeGreaterThan(3_500_000);
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(mock.audit()).toHaveLength(1);
    } finally {
      await api.close();
      await mock.close();
    }
  });

  it("gives back a dead process's reservations after their window and the grace, not before", async () => {
    const { pacers, stores } = fleet([{ limit: 3, windowMs: 300 }], { graceMs: 200 });
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    const grantedAt = Date.now();
    await Promise.all([a.acquire(), a.acquire(), a.acquire()]);
    // The process dies: its permits are never released.
    await stores[0]!.close();
    const waiter = timed(b);
    await waiter.promise;
    expect(waiter.waits.map((w) => w.reason)).toEqual(["window"]);
    expect(Date.now() - grantedAt).toBeGreaterThanOrEqual(500);
  });

  it("lowers the shared limit to what the window held when a server without headers refuses", async () => {
    const { pacers, meta } = fleet([{ limit: 10, windowMs: 10_000 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    for (const pacer of [a, b, a, b]) (await pacer.acquire()).release(ok());
    (await a.acquire()).release(tooMany(100)); // CampOne counts the 429 too
    await settled();
    expect(await meta("l:10000")).toBe("4");
  });

  it("takes RateLimit-Limit as the shared limit of the window the headers describe", async () => {
    const { pacers, meta } = fleet([
      { limit: 600, windowMs: 60_000 },
      { limit: 60, windowMs: 1_000 },
    ]);
    (await pacers[0]!.acquire()).release(ok({ limit: 50, remaining: 49, resetMs: 60_000 }));
    await settled();
    expect(await meta("l:60000")).toBe("50");
    expect(await meta("l:1000")).toBeNull();
  });

  it("logs at most `maxLogged` arrivals one by one; older ones are counted, bind the limit, and leave together", async () => {
    // A window long enough that none of the sends below ages out before the checks.
    const windowMs = 1_500;
    const { client, names, state, send } = cappedKey({ limit: 4, windowMs });
    const log = names.logs[0]!;
    const unlogged = () => client.hget(names.meta, `u:${windowMs}`);
    for (let i = 0; i < 4; i++) await send(ok());
    // Four counted: the newest three logged one by one, the oldest counted.
    expect(await client.zcard(log)).toBe(3);
    expect(await unlogged()).toBe("1");
    const newestCounted = Number(await client.hget(names.meta, `uu:${windowMs}`));
    const oldestLogged = Number((await client.zrange(log, "0", "0", "WITHSCORES"))[1]);
    expect(newestCounted).toBeLessThanOrEqual(oldestLogged);
    // The limit binds until the counted one leaves (the newest counted one, where there are more).
    const refused = await state.acquire(1, () => {});
    expect(refused.grants).toHaveLength(0);
    expect(refused.wait?.reason).toBe("window");
    expect(refused.wait?.at).toBeCloseTo(newestCounted + windowMs, 2);
    await sleep(newestCounted + windowMs - refused.serverNow + 50);
    await send(ok());
    expect(await unlogged()).toBeNull();
    expect(await client.zcard(log)).toBeLessThanOrEqual(3);
  });

  it("lowers a limit after a 429 by dropping the oldest arrivals first, the counted ones", async () => {
    const windowMs = 60_000;
    const { client, names, send } = cappedKey({ limit: 20, windowMs });
    for (let i = 0; i < 11; i++) await send(i < 10 ? ok() : tooMany(1_000));
    // The window held ten before the refused eleventh (counted, as CampOne counts 429s): the limit is
    // now 10, and of the eleven arrivals the oldest, a counted one, is dropped.
    expect(await client.hget(names.meta, `l:${windowMs}`)).toBe("10");
    expect(await client.zcard(names.logs[0]!)).toBe(3);
    expect(await client.hget(names.meta, `u:${windowMs}`)).toBe("7");
  });

  it("takes absurd header values (a limit of 1e20, a Retry-After of centuries) without breaking the key", async () => {
    const { pacers } = fleet([{ limit: 5, windowMs: 2_000 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    (await a.acquire()).release(ok({ limit: 1e20, remaining: 999_999_999_999_999, resetMs: 1e20 }));
    (await b.acquire()).release(tooMany(1e20));
    await settled();
    const error = await a.acquire({ deadline: realClock.now() + 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PacerDeadlineError);
    expect((error as PacerDeadlineError).reason).toBe("gate");
  });

  it("lets a later send's answer replace a bogus Reset more than a window away (hostile headers)", async () => {
    const { pacers, meta } = fleet([{ limit: 10, windowMs: 2_000 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    (await a.acquire()).release(ok({ limit: 10, remaining: 9, resetMs: 999_999_999_000 }));
    await settled();
    (await b.acquire()).release(ok({ limit: 10, remaining: 8, resetMs: 2_000 }));
    await settled();
    expect(await meta("b:seq")).toBe("1");
    expect(await meta("b:reset")).toBe("2000.000");
  });

  it("names its Redis keys under the prefix after a hash, never after the API key, and lets them expire", async () => {
    const { pacers, client, names } = fleet([{ limit: 5, windowMs: 2_000 }]);
    (await pacers[0]!.acquire()).release(ok());
    await settled();
    const keys = await client.keys(`${names.meta.slice(0, names.meta.indexOf("{"))}*`);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) {
      expect(key).toMatch(/^pk-test-\d+:\{[0-9a-f]{32}\}:(m|f|w:2000)$/);
      expect(await client.pttl(key)).toBeGreaterThan(0);
    }
  });

  it("keeps working after Redis forgets its scripts (SCRIPT FLUSH: a restart or a failover)", async () => {
    const { pacers, client } = fleet([{ limit: 5, windowMs: 2_000 }]);
    (await pacers[0]!.acquire()).release(ok());
    await client.script("FLUSH");
    const permit = await pacers[1]!.acquire();
    expect(permit.seq).toBe(1);
  });

  it("forgets a key idle past its window, and a client still holding its pacer gets wake-ups again", async () => {
    let shift = 0;
    const clock = { now: () => realClock.now() + shift, sleep: realClock.sleep };
    const { stores } = fleet([{ limit: 100, windowMs: 10_000 }], { pollMs: 20_000 });
    const [mine, theirs] = stores as [RedisStore, RedisStore];
    const config: KeyPacerConfig = {
      limits: [{ limit: 100, windowMs: 10_000 }],
      probeFirst: true,
      backoff: BACKOFF,
      clock,
    };
    const kept = mine.pacerFor("idle key", config);
    // Its probe never left: the key still waits for its first headers.
    (await kept.acquire()).release({ kind: "unsent" });
    shift += 3_600_000; // an hour later, another key's first use sweeps the idle one
    mine.pacerFor("another key", config);
    expect(mine.size).toBe(1);
    // The other process sends the probe; the swept pacer, used again, waits for it…
    const probe = await theirs.pacerFor("idle key", { ...config, clock: realClock }).acquire();
    expect(probe.probe).toBe(true);
    const waiter = timed(kept);
    await vi.waitFor(() => expect(waiter.waits).not.toHaveLength(0), POLL);
    expect(waiter.waits.map((w) => w.reason)).toEqual(["probe"]);
    expect(mine.size).toBe(2);
    // …and hears the release on the key's channel (its timer is 20 s away).
    probe.release(ok({ limit: 100, remaining: 98, resetMs: 10_000 }));
    expect((await waiter.promise).waitedMs).toBeLessThan(5_000);
  });

  it("gives back a permit Redis granted after its acquire had timed out", async () => {
    const { names, client } = fleet([{ limit: 1, windowMs: 60_000 }]);
    const prefix = names.meta.slice(0, names.meta.indexOf("{"));
    const slowClient = new Redis(server.port, "127.0.0.1");
    const store = redisStore({ client: slowClient, prefix, commandTimeoutMs: 150 });
    open.push({ client: slowClient, store });
    const pacer = store.pacerFor(`late ${n}`, {
      limits: [{ limit: 1, windowMs: 60_000 }],
      probeFirst: false,
      backoff: BACKOFF,
      clock: realClock,
    });
    const lateNames = keyNames(prefix, `late ${n}`, [{ limit: 1, windowMs: 60_000 }]);
    // Another connection keeps Redis busy for 600 ms: the acquire waits behind it, past its timeout.
    const busy = client.eval(
      "local t = redis.call('TIME'); local stop = t[1] * 1e6 + t[2] + 600000;" +
        " repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] >= stop; return 1",
      0,
    );
    await sleep(50);
    await expect(pacer.acquire()).rejects.toBeInstanceOf(StoreUnavailableError);
    await busy;
    // Granted late, given back: nothing in flight, and the key's one slot is free.
    await vi.waitFor(async () => expect(await client.zcard(lateNames.inflight)).toBe(0), POLL);
    const permit = await pacer.acquire({ deadline: realClock.now() + 100 });
    expect(permit.seq).toBe(1);
  });

  it("refuses invalid options at construction, naming the option", () => {
    expect(() => redisStore({} as never)).toThrow(/`client`/);
    const client = new Redis({ lazyConnect: true });
    try {
      expect(() => redisStore({ client, onUnavailable: "retry" as never })).toThrow(/`onUnavailable`/);
      expect(() => redisStore({ client, commandTimeoutMs: 0 })).toThrow(RangeError);
      expect(() => redisStore({ client, prefx: "x" } as never)).toThrow(/Unknown option `prefx`/);
    } finally {
      client.disconnect();
    }
  });
});
