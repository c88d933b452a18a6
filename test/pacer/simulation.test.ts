import { describe, expect, it } from "vitest";
import { idealMinimumMs, type CountingModel as Model } from "../../demo/ideal-schedule.js";
import { boothzen, campone, createClient, memoryStore } from "../../src/index.js";
import { createMockApi } from "../../src/mock/index.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { runPool, seededRandom, simulatedTransport } from "../helpers/simulated-transport.js";

const KEY = "key_live_simulation_0001";

/**
 * The client against the mock API on virtual time: 2,000 requests at concurrency 32 with random
 * latencies (1–60 ms per round trip), BoothZen's documented limits (600 per minute, 60 per
 * second), each counting model of the server. Asserts on counts and virtual time only.
 */
async function simulate(options: {
  model: Model;
  serverLimit?: number;
  clientLimit?: number;
  total?: number;
  seed?: number;
}) {
  const { model, serverLimit = 600, clientLimit = serverLimit, total = 2000, seed = 1 } = options;
  const clock = createVirtualClock(1_700_000_000_000);
  const random = seededRandom(seed);
  const api = createMockApi({
    dialect: "boothzen",
    counting: model,
    limit: serverLimit,
    windowMs: 60_000,
    clock,
  });
  const client = createClient({
    baseUrl: "http://boothzen.test",
    apiKey: KEY,
    dialect: boothzen({ limit: clientLimit }),
    fetch: simulatedTransport(api, clock, () => 1 + random() * 59),
    clock,
    store: memoryStore(),
  });
  const statuses: number[] = [];
  clock.autoAdvance(true);
  const start = clock.now();
  try {
    await runPool(total, 32, async (i) => {
      const res = await client.fetch(`/api/v1/bookings/${(i % 500) + 1}`);
      await res.body?.cancel();
      statuses.push(res.status);
    });
  } finally {
    clock.autoAdvance(false);
    await client.close();
  }
  const elapsed = clock.now() - start;
  const served = api.audit().map((e) => e.status);
  const minimum = idealMinimumMs(
    model,
    [
      { limit: serverLimit, windowMs: 60_000 },
      { limit: 60, windowMs: 1000 },
    ],
    total,
  );
  return {
    done: statuses.length,
    failed: statuses.filter((s) => s !== 200 && s !== 404).length,
    refused: served.filter((s) => s === 429).length,
    ratio: elapsed / minimum,
    elapsed,
    minimum,
  };
}

describe("pacing against simulated servers (virtual time, 2,000 requests, concurrency 32)", () => {
  it.each(["fixed", "rolling", "bucket"] as const)(
    "%s: zero 429s and within 1.05x of the server's minimum when the limit is right",
    async (model) => {
      for (const seed of [1, 2, 3]) {
        const result = await simulate({ model, seed });
        expect(result.done).toBe(2000);
        expect(result.failed).toBe(0);
        expect(result.refused).toBe(0);
        expect(result.ratio).toBeLessThanOrEqual(1.05);
      }
    },
  );

  it.each(["fixed", "rolling", "bucket"] as const)(
    "%s: a configured limit above the server's is corrected by the first response's headers, before any 429",
    async (model) => {
      const result = await simulate({ model, serverLimit: 300, clientLimit: 1000, total: 900 });
      expect(result.done).toBe(900);
      expect(result.failed).toBe(0);
      // The key's first request probes alone, so the server's RateLimit-Limit arrives before
      // any other send: the too-high configuration never reaches the server.
      expect(result.refused).toBe(0);
      expect(result.ratio).toBeLessThanOrEqual(1.05);
    },
  );

  it("CampOne (no headers, rolling hour): a configured limit above the operator's costs one 429 episode", async () => {
    const clock = createVirtualClock(1_700_000_000_000);
    const random = seededRandom(7);
    const api = createMockApi({ dialect: "campone", limit: 100, windowMs: 3_600_000, clock });
    const client = createClient({
      baseUrl: "http://campone.test",
      apiKey: KEY,
      dialect: campone({ limit: 1000 }),
      fetch: simulatedTransport(api, clock, () => 1 + random() * 59),
      clock,
      store: memoryStore(),
      retry: { rateLimitRetries: 100 },
    });
    const refusedAt: number[] = [];
    clock.autoAdvance(true);
    try {
      await runPool(300, 8, async () => {
        const res = await client.fetch("/sites");
        await res.body?.cancel();
        expect(res.status).toBe(200);
      });
    } finally {
      clock.autoAdvance(false);
      await client.close();
    }
    for (const e of api.audit()) if (e.status === 429) refusedAt.push(e.timestamp);
    // Every 429 belongs to the first episode: within one round of concurrent sends.
    expect(refusedAt.length).toBeGreaterThan(0);
    expect(refusedAt.length).toBeLessThanOrEqual(8);
    expect(Math.max(...refusedAt) - Math.min(...refusedAt)).toBeLessThan(1000);
  });
});
