import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Clock, realClock } from "../../src/clock/clock.js";
import { campone, createClient, isRateLimitError, type RateLimitError } from "../../src/index.js";
import { startMockServer } from "../../src/mock/index.js";
import { PacerDeadlineError } from "../../src/pacer/deadline-error.js";
import type { KeyPacer, KeyPacerConfig, Limit, WaitInfo } from "../../src/pacer/types.js";
import { type RedisStore, redisStore, StoreUnavailableError } from "../../src/redis/index.js";
import { keyNames } from "../../src/redis/key-names.js";
import type { RedisKeyPacer } from "../../src/redis/redis-key-pacer.js";
import { ok, tooMany } from "../helpers/pacer.js";
import { announceRedisSkip, hasRedis, type RedisServer, startRedisServer } from "../helpers/redis-server.js";
import { describeKeyPacerContract } from "../pacer/key-pacer-contract.js";

/**
 * The Redis store: the contract every pacer keeps, with two stores on one Redis standing for two
 * processes that only Redis connects, on virtual time; then what only a shared store does, on the
 * real clock (Redis' time is then the one that counts).
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

/** A store on its own connection, as a process of its own would have. */
function store(
  prefix: string,
  options: { graceMs?: number; pollMs?: number; commandTimeoutMs?: number; time?: Clock } = {},
) {
  const client = new Redis(server.port, "127.0.0.1");
  const made = redisStore({
    client,
    prefix,
    reservationGraceMs: options.graceMs ?? 30_000,
    pollMs: options.pollMs ?? 1_000,
    commandTimeoutMs: options.commandTimeoutMs ?? 5_000,
    ...(options.time ? { time: options.time } : {}),
  });
  open.push({ client, store: made });
  return { client, store: made };
}

/** Waits until none of `pacers` has a round trip to Redis running or due. */
async function settled(pacers: KeyPacer[]): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await Promise.all(pacers.map((p) => (p as RedisKeyPacer).settled()));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

if (hasRedis) {
  describeKeyPacerContract("redisStore", {
    make(config, count) {
      const id = `contract ${++n}`;
      const prefix = `pk-contract-${n}:`;
      // The key's state in the tests' virtual time, which every store of the key shares.
      return Array.from({ length: count }, () =>
        store(prefix, { time: config.clock }).store.pacerFor(id, config),
      );
    },
    settle: settled,
  });
}

/** A fresh key on the real clock and `count` stores on it, as if in `count` processes. */
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
  const made = Array.from({ length: options.count ?? 2 }, () => store(prefix, options));
  const pacers = made.map((m) => m.store.pacerFor(id, config));
  return {
    pacers,
    stores: made.map((m) => m.store),
    names: keyNames(prefix, id),
    client: made.at(-1)!.client,
    prefix,
    settle: () => settled(pacers),
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

/** For `vi.waitFor`: what Redis' answer sets, polled rather than slept for. */
const POLL = { timeout: 5_000, interval: 5 };

describe.skipIf(!hasRedis)("redisStore: what only a store shared across processes does", () => {
  it("shares one rolling window on Redis' time: `limit` at once across both stores, then one per response aged out", async () => {
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
    expect(grants[5]!.at).toBeGreaterThanOrEqual(600 + 20 - 5);
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
    // or still in flight) number fewer than `limit`. 5 ms of slack for the clocks' readings.
    for (const s of sends) {
      const alive = sends.filter(
        (o) => o !== s && o.granted <= s.granted && o.arrived > s.granted - windowMs + 5,
      ).length;
      expect(alive).toBeLessThan(limit);
    }
  });

  it("wakes another process's waiter through pub/sub when a release lets it go", async () => {
    // pollMs far above the assertion: only the release's message can wake the waiter in time.
    const { pacers } = fleet([{ limit: 100, windowMs: 10_000 }], { probeFirst: true, pollMs: 20_000 });
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    const probe = await a.acquire();
    const waiter = timed(b);
    await vi.waitFor(() => expect(waiter.waits).not.toHaveLength(0), POLL);
    expect(waiter.waits.map((w) => w.reason)).toEqual(["probe"]);
    probe.release(ok({ limit: 100, remaining: 99, resetMs: 10_000 }));
    const { permit, waitedMs } = await waiter.promise;
    expect(permit.probe).toBe(false);
    expect(waitedMs).toBeLessThan(5_000);
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

  it("takes absurd header values (a limit of 1e20, a Retry-After of centuries) without breaking the key", async () => {
    const { pacers, settle } = fleet([{ limit: 5, windowMs: 2_000 }]);
    const [a, b] = pacers as [KeyPacer, KeyPacer];
    (await a.acquire()).release(ok({ limit: 1e20, remaining: 999_999_999_999_999, resetMs: 1e20 }));
    (await b.acquire()).release(tooMany(1e20));
    await settle();
    const error = await a.acquire({ deadline: realClock.now() + 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PacerDeadlineError);
    expect((error as PacerDeadlineError).reason).toBe("gate");
  });

  it("names its Redis keys under the prefix after a hash, never after the API key, and lets them expire", async () => {
    const { pacers, client, prefix, settle } = fleet([{ limit: 5, windowMs: 2_000 }]);
    (await pacers[0]!.acquire()).release(ok());
    await settle();
    const keys = await client.keys(`${prefix}*`);
    expect(keys).toHaveLength(1);
    for (const key of keys) {
      expect(key).toMatch(/^pk-test-\d+:\{[0-9a-f]{32}\}:s$/);
      expect(await client.pttl(key)).toBeGreaterThan(0);
    }
  });

  it("keeps working after Redis forgets its scripts (SCRIPT FLUSH: a restart or a failover)", async () => {
    const { pacers, client, settle } = fleet([{ limit: 5, windowMs: 2_000 }]);
    (await pacers[0]!.acquire()).release(ok());
    await settle();
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
    await settled([kept]);
    shift += 3_600_000; // an hour later, another key's first use sweeps the idle one
    mine.pacerFor("another key", config);
    expect(mine.size).toBe(1);
    // The other process sends the probe; the swept pacer, used again, waits for it…
    const probe = await theirs.pacerFor("idle key", { ...config, clock: realClock }).acquire();
    expect(probe.probe).toBe(true);
    shift = 0;
    const waiter = timed(kept);
    await vi.waitFor(() => expect(waiter.waits).not.toHaveLength(0), POLL);
    expect(waiter.waits.map((w) => w.reason)).toEqual(["probe"]);
    expect(mine.size).toBe(2);
    // …and hears the release on the key's channel (its timer is 20 s away).
    probe.release(ok({ limit: 100, remaining: 98, resetMs: 10_000 }));
    expect((await waiter.promise).waitedMs).toBeLessThan(5_000);
  });

  it("gives back a permit Redis granted after its acquire had timed out", async () => {
    const { client, prefix } = fleet([{ limit: 1, windowMs: 60_000 }]);
    const { store: slow } = store(prefix, { commandTimeoutMs: 150 });
    const config: KeyPacerConfig = {
      limits: [{ limit: 1, windowMs: 60_000 }],
      probeFirst: false,
      backoff: BACKOFF,
      clock: realClock,
    };
    const pacer = slow.pacerFor(`late ${n}`, config);
    // A first permit, never sent: the pacer knows the key's state and Redis' time from here on.
    (await pacer.acquire()).release({ kind: "unsent" });
    await settled([pacer]);
    // Another connection keeps Redis busy for 600 ms: the acquire waits behind it, past its timeout.
    const busy = client.eval(
      "local t = redis.call('TIME'); local stop = t[1] * 1e6 + t[2] + 600000;" +
        " repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] >= stop; return 1",
      0,
    );
    // Let the busy script reach Redis first (it runs for 600 ms, so 50 ms is a wide margin).
    await sleep(50);
    await expect(pacer.acquire()).rejects.toBeInstanceOf(StoreUnavailableError);
    await busy;
    // Granted late (seq 1), given back: the key's one slot is free again.
    await settled([pacer]);
    const permit = await pacer.acquire({ deadline: realClock.now() + 1_000 });
    expect(permit.seq).toBe(2);
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
