import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { idealMinimumMs, type CountingModel as Model, type Rule } from "../../demo/ideal-schedule.js";
import { realClock } from "../../src/clock/clock.js";
import { campone, createClient } from "../../src/index.js";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import { redisStore } from "../../src/redis/index.js";
import { type Fleet, type RunOutcome, startFleet } from "../helpers/redis-fleet.js";
import { announceRedisSkip, hasRedis, type RedisServer, startRedisServer } from "../helpers/redis-server.js";
import type { WorkerJob } from "../helpers/redis-worker.js";

/**
 * Four Node processes (test/helpers/redis-worker.ts) share one API key through one Redis against
 * the mock servers, windows scaled down to seconds. Asserted on the server's own audit log:
 * counts of 429s, and the batch's duration over the minimum a perfect client could achieve
 * against that counting model (demo/ideal-schedule.ts), with a margin: 1.15×.
 *
 * The four processes are started once for the file (starting Node with tsx costs seconds), and
 * its tests run one after another: four busy processes are what two cores hold.
 */
announceRedisSkip("redis-fleet.test.ts");

const PROCESSES = 4;
/** Each run takes 6–11 s on two cores; room for a slow, shared machine (the fleet's guard is 40 s). */
const TEST_TIMEOUT_MS = 50_000;

let redis: RedisServer;
let warmup: MockServer;
let fleet: Fleet;
beforeAll(async () => {
  if (!hasRedis) return;
  redis = await startRedisServer();
  warmup = await startMockServer({ dialect: "campone", port: 0 });
  fleet = await startFleet(PROCESSES, { redisPort: redis.port, warmupUrl: warmup.url });
}, 60_000);
afterAll(async () => {
  await fleet?.close();
  await warmup?.close();
  await redis?.stop();
});

/** What the server saw of one key: every request it answered, and the span from first to last. */
function served(server: MockServer, apiKey: string) {
  const rows = server.audit({ key: apiKey });
  const times = rows.map((r) => r.timestamp);
  return {
    total: rows.length,
    refused: rows.filter((r) => r.status === 429).length,
    spanMs: Math.max(...times) - Math.min(...times),
  };
}

function expectAllDone(outcome: RunOutcome, perProcess: number, skip?: number) {
  outcome.results.forEach((result, i) => {
    if (i === skip) return;
    expect(result, `worker ${i}: ${outcome.stderr[i]}`).toBeDefined();
    expect(result!.errors).toEqual([]);
    expect(result!.statuses["200"]).toBe(perProcess);
  });
}

function ratioToIdeal(spanMs: number, model: Model, rules: Rule[], total: number): number {
  return spanMs / idealMinimumMs(model, rules, total);
}

describe.skipIf(!hasRedis)("pacekeeper/redis: four processes sharing one key", () => {
  it(
    "CampOne (rolling 100 per 5 s): zero 429s, within 1.15x of the minimum together",
    async () => {
      const limit = 100;
      const windowMs = 5_000;
      const perProcess = 75;
      const server = await startMockServer({ dialect: "campone", port: 0, limit, windowMs });
      try {
        const apiKey = "key_live_fleet_campone_0001";
        const outcome = await fleet.run(
          Array.from({ length: PROCESSES }, () => worker(server, apiKey, { limit, windowMs, perProcess })),
        );
        expectAllDone(outcome, perProcess);
        const seen = served(server, apiKey);
        expect(seen.total).toBe(PROCESSES * perProcess);
        expect(seen.refused).toBe(0);
        const ratio = ratioToIdeal(seen.spanMs, "rolling", [{ limit, windowMs }], PROCESSES * perProcess);
        expect(ratio).toBeLessThan(1.15);
        // Not faster than the server allows either: the minimum is a minimum.
        expect(ratio).toBeGreaterThanOrEqual(1);
      } finally {
        await server.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "BoothZen (fixed 100 per 5 s, burst 40 per 1 s): zero 429s, within 1.15x of the minimum together",
    async () => {
      const limit = 100;
      const windowMs = 5_000;
      const perProcess = 50;
      const server = await startMockServer({
        dialect: "boothzen",
        port: 0,
        limit,
        windowMs,
        burst: 40,
        burstWindowMs: 1_000,
      });
      try {
        const apiKey = "key_live_fleet_boothzen_0001";
        const outcome = await fleet.run(
          Array.from({ length: PROCESSES }, () =>
            worker(server, apiKey, { limit, windowMs, perProcess, burst: 40, burstWindowMs: 1_000 }),
          ),
        );
        expectAllDone(outcome, perProcess);
        const seen = served(server, apiKey);
        expect(seen.total).toBe(PROCESSES * perProcess);
        expect(seen.refused).toBe(0);
        const rules = [
          { limit, windowMs },
          { limit: 40, windowMs: 1_000 },
        ];
        const ratio = ratioToIdeal(seen.spanMs, "fixed", rules, PROCESSES * perProcess);
        expect(ratio).toBeLessThan(1.15);
        expect(ratio).toBeGreaterThanOrEqual(1);
      } finally {
        await server.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "clocks seconds apart (Date.now() skewed by -5 s to +6 s): zero 429s, within 1.15x",
    async () => {
      const limit = 40;
      const windowMs = 2_000;
      const perProcess = 40;
      const server = await startMockServer({ dialect: "campone", port: 0, limit, windowMs });
      try {
        const apiKey = "key_live_fleet_skew_0001";
        const skews = [-5_000, -1_500, 2_500, 6_000];
        const outcome = await fleet.run(
          skews.map((skewMs) => ({ ...worker(server, apiKey, { limit, windowMs, perProcess }), skewMs })),
        );
        expectAllDone(outcome, perProcess);
        const seen = served(server, apiKey);
        expect(seen.refused).toBe(0);
        const ratio = ratioToIdeal(seen.spanMs, "rolling", [{ limit, windowMs }], PROCESSES * perProcess);
        expect(ratio).toBeLessThan(1.15);
        expect(ratio).toBeGreaterThanOrEqual(1);
      } finally {
        await server.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a process killed mid-batch: the others finish without a 429, and its reservations come back once they expire",
    async () => {
      const limit = 40;
      const windowMs = 2_000;
      const graceMs = 2_000;
      const perProcess = 40;
      const prefix = "pk-kill:";
      const server = await startMockServer({ dialect: "campone", port: 0, limit, windowMs });
      try {
        const apiKey = "key_live_fleet_kill_0001";
        // The victim holds each response 150 ms before reporting it: killed, it leaves sends the
        // server counted but Redis only knows as reservations.
        const jobs = Array.from({ length: PROCESSES }, (_, i) => ({
          ...worker(server, apiKey, { limit, windowMs, perProcess }),
          reservationGraceMs: graceMs,
          prefix,
          ...(i === 0 ? { holdMs: 150, progress: true } : {}),
        }));
        const outcome = await fleet.run(jobs, { kill: { index: 0, after: 10 } });
        const ended = Date.now();
        expect(outcome.killed).toBe(true);
        expect(outcome.results[0]).toBeUndefined();
        expectAllDone(outcome, perProcess, 0);
        const seen = served(server, apiKey);
        // Its reservations held their slots while the server still counted those sends: no 429.
        expect(seen.refused).toBe(0);
        expect(seen.total).toBeGreaterThanOrEqual(3 * perProcess + 10);

        // A window after the others' last response, every entry of theirs has aged out, and a window
        // plus the grace after the kill, the dead process's reservations (all granted before it) have
        // expired — while the key itself, kept for a window and the grace after its last use, is
        // still there. Nothing is left in flight, and a whole window's worth goes out at once,
        // without a wait or a 429. (On a loaded machine the victim can reach its tenth response
        // late, when the others are nearly done: waiting from `ended` alone then came too early.)
        const expired = Math.max(ended + windowMs, outcome.killedAt! + windowMs + graceMs);
        await new Promise((r) => setTimeout(r, Math.max(0, expired + 200 - Date.now())));
        const client = new Redis(redis.port, "127.0.0.1");
        const store = redisStore({ client, prefix, reservationGraceMs: graceMs });
        let waits = 0;
        const fresh = createClient({
          baseUrl: server.url,
          apiKey,
          dialect: campone({ limit, windowMs }),
          store,
          clock: realClock,
          hooks: { wait: () => waits++ },
        });
        try {
          // The key's state is still there (not expired as a whole: it is kept a window and the grace
          // after its last use, the others' last response)… unless the victim was killed so late that
          // the others' last use came within the check's margin of the kill (a loaded machine).
          const stateKept = ended + windowMs + graceMs > expired + 500;
          if (stateKept) expect(await client.keys(`${prefix}*:s`)).toHaveLength(1);
          const before = server.audit({ key: apiKey }).length;
          const statuses = await Promise.all(
            Array.from({ length: limit }, async () => {
              const res = await fresh.fetch("/sites");
              await res.arrayBuffer();
              return res.status;
            }),
          );
          expect(statuses.every((s) => s === 200)).toBe(true);
          expect(waits).toBe(0);
          expect(server.audit({ key: apiKey }).length - before).toBe(limit);
          // …and, once the last release is written, holds no reservation: the dead process's are gone.
          const [state] = await client.keys(`${prefix}*:s`);
          expect(state).toBeDefined();
          await vi.waitFor(
            async () => {
              const saved = JSON.parse((await client.hget(state!, "s")) ?? "{}") as { inFlight?: unknown[] };
              expect(saved.inFlight).toEqual([]);
            },
            { timeout: 5_000, interval: 10 },
          );
        } finally {
          await fresh.close();
          await store.close();
          client.disconnect();
        }
      } finally {
        await server.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

function worker(
  server: MockServer,
  apiKey: string,
  options: { limit: number; windowMs: number; perProcess: number; burst?: number; burstWindowMs?: number },
): WorkerJob {
  return {
    dialect: server.dialect,
    baseUrl: server.url,
    apiKey,
    requests: options.perProcess,
    // Enough in flight for a whole window's worth at once, as the minimum assumes.
    concurrency: 25,
    limit: options.limit,
    windowMs: options.windowMs,
    burst: options.burst,
    burstWindowMs: options.burstWindowMs,
  };
}
