import { describe, expect, it } from "vitest";
import { type CountingModel, idealMinimumMs } from "../../demo/ideal-schedule.js";
import { boothzen, createClient, memoryStore } from "../../src/index.js";
import { createMockApi } from "../../src/mock/index.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { runPool, seededRandom, simulatedTransport } from "../helpers/simulated-transport.js";

/**
 * Every run, not the median: the shapes where a key used to lose whole windows in some runs only,
 * each run many times on virtual time with random latencies (1–20 ms a leg, so answers arrive out
 * of order) and judged by its worst run. The client is configured with the server's limits, as the
 * preset takes them; the server's headers describe the main limit only, never the burst.
 */
interface Shape {
  model: CountingModel;
  limit: number;
  windowMs: number;
  burst: number;
  burstWindowMs: number;
  /** Fixed windows only: where the server's windows start, in ms after the batch starts. */
  windowOrigin?: number;
  keys: number;
  requestsPerKey: number;
  concurrencyPerKey: number;
}

/** Each key's time over a perfect client's, and the 429s it drew. */
async function fleet(
  shape: Shape,
  seed: number,
): Promise<{ ratio: number; elapsed: number; minimum: number; refused: number }[]> {
  const start = 1_700_000_000_000 + seed * 137;
  const clock = createVirtualClock(start);
  const random = seededRandom(seed);
  const api = createMockApi({
    dialect: "boothzen",
    counting: shape.model,
    limit: shape.limit,
    windowMs: shape.windowMs,
    burst: shape.burst,
    burstWindowMs: shape.burstWindowMs,
    windowOrigin: shape.windowOrigin === undefined ? undefined : start + shape.windowOrigin,
    clock,
  });
  const fetch = simulatedTransport(api, clock, () => 1 + random() * 19);
  const minimum = idealMinimumMs(
    shape.model,
    [
      { limit: shape.limit, windowMs: shape.windowMs },
      { limit: shape.burst, windowMs: shape.burstWindowMs },
    ],
    shape.requestsPerKey,
    shape.windowOrigin,
  );
  clock.autoAdvance(true);
  try {
    return await Promise.all(
      Array.from({ length: shape.keys }, async (_, k) => {
        const apiKey = `key_live_precision_${seed}_${k}`;
        const client = createClient({
          baseUrl: "http://boothzen.test",
          apiKey,
          dialect: boothzen({
            limit: shape.limit,
            windowMs: shape.windowMs,
            burst: shape.burst,
            burstWindowMs: shape.burstWindowMs,
          }),
          fetch,
          clock,
          store: memoryStore(),
          retry: { rateLimitRetries: 10 },
        });
        try {
          await runPool(shape.requestsPerKey, shape.concurrencyPerKey, async (i) => {
            const res = await client.fetch(`/api/v1/bookings/bkg_${String((i % 2000) + 1).padStart(6, "0")}`);
            await res.body?.cancel();
            expect(res.status).toBe(200);
          });
        } finally {
          await client.close();
        }
        const elapsed = clock.now() - start;
        const refused = api.audit({ key: apiKey }).filter((e) => e.status === 429).length;
        return { ratio: elapsed / minimum, elapsed, minimum, refused };
      }),
    );
  } finally {
    clock.autoAdvance(false);
  }
}

async function worstOf(shape: Shape, runs: number) {
  const all = [];
  for (let seed = 1; seed <= runs; seed++) all.push(...(await fleet(shape, seed)));
  return {
    worst: Math.max(...all.map((r) => r.ratio)),
    worstMs: Math.max(...all.map((r) => r.elapsed - r.minimum)),
    refused: all.reduce((sum, r) => sum + r.refused, 0),
  };
}

/** One key at 32 concurrent, or a fleet of 4 keys at 8 each. */
const ONE_KEY = { keys: 1, concurrencyPerKey: 32 };
const FLEET = { keys: 4, concurrencyPerKey: 8 };
const BUCKET_SHORT = { limit: 300, windowMs: 3_000, burst: 150, burstWindowMs: 1_000, requestsPerKey: 1000 };
const THREE_SECONDS = { limit: 60, windowMs: 3_000, burst: 20, burstWindowMs: 250, requestsPerKey: 180 };

/** Each shape, the runs it gets, and the worst ratio to a perfect client any run may reach. */
const SHAPES: [string, Shape, number, number][] = [
  [
    "a token bucket (120 per 10 s) with a burst no header describes (30 per 0.5 s), 300 GETs",
    {
      model: "bucket",
      limit: 120,
      windowMs: 10_000,
      burst: 30,
      burstWindowMs: 500,
      requestsPerKey: 300,
      ...ONE_KEY,
    },
    12,
    1.05,
  ],
  [
    "a token bucket whose window is short (300 per 3 s): its refill seen through whole-second resets",
    { model: "bucket", ...BUCKET_SHORT, ...ONE_KEY },
    6,
    1.05,
  ],
  [
    "a rolling window kept full (300 per 3 s): a reset that told of an older send is not probed",
    { model: "rolling", ...BUCKET_SHORT, ...ONE_KEY },
    12,
    1.05,
  ],
  ["a fleet on rolling windows (60 per 3 s)", { model: "rolling", ...THREE_SECONDS, ...FLEET }, 8, 1.05],
  [
    "a fleet on fixed windows (60 per 3 s) that start at each key's first request",
    { model: "fixed", ...THREE_SECONDS, ...FLEET },
    8,
    1.05,
  ],
  [
    // Resets bracket the first window's end within a quarter second (the burst spreads the sends).
    "a fleet on fixed windows (60 per 3 s) that start 1.1 s after the batch",
    { model: "fixed", ...THREE_SECONDS, windowOrigin: 1_100, ...FLEET },
    8,
    1.1,
  ],
];

describe("pacing precision, judged by the worst of many runs (virtual time)", () => {
  it.each(SHAPES)("%s: no 429 in any run, the worst within its bound", async (_, shape, runs, bound) => {
    const result = await worstOf(shape, runs);
    expect(result.refused).toBe(0);
    expect(result.worst).toBeLessThanOrEqual(bound);
  });

  it("1 s fixed windows on the server's grid, 0.35 s off the batch's start, 4 keys x 8: never a 429, at most the first window lost", async () => {
    // Whole-second resets of a 1 s window all say 1: nothing tells where the first window ends before
    // a send lands past it. From then on each window's end is known, whatever the batch's length.
    const shape: Shape = {
      model: "fixed",
      limit: 20,
      windowMs: 1_000,
      burst: 10,
      burstWindowMs: 250,
      windowOrigin: 350,
      requestsPerKey: 100,
      ...FLEET,
    };
    const result = await worstOf(shape, 8);
    expect(result.refused).toBe(0);
    expect(result.worstMs).toBeLessThanOrEqual(1_000);
  });
});
