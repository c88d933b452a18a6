import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createVirtualClock } from "../../src/clock/virtual-clock.js";
import { LocalKeyPacer } from "../../src/pacer/local-key-pacer.js";
import { RateLearner } from "../../src/pacer/rate-learner.js";
import { runPool, seededRandom } from "../helpers/simulated-transport.js";

/**
 * A server that says nothing of its limit: a leaky bucket (nginx's `limit_req`) letting one request
 * through every `interval` ms, `burst` in excess, refusing beyond with a bare 429. On virtual time.
 */
function leakyBucket(intervalMs: number, burst: number) {
  let emptyAt = Number.NEGATIVE_INFINITY;
  return (now: number): boolean => {
    const excess = Math.max(0, emptyAt - now) / intervalMs;
    if (excess > burst) return false;
    emptyAt = Math.max(emptyAt, now) + intervalMs;
    return true;
  };
}

/** Runs `total` requests at concurrency 16 against the bucket, latencies 1–40 ms each way. */
async function simulate(
  seed: number,
  options: { total: number; limits?: { limit: number; windowMs: number }[] },
) {
  const clock = createVirtualClock(1_700_000_000_000);
  const random = seededRandom(seed);
  const pacer = new LocalKeyPacer({
    limits: options.limits ?? [],
    probeFirst: true,
    backoff: { baseMs: 1000, capMs: 60_000, factor: 2, retryAfterJitterMs: 0 },
    clock,
    random,
  });
  const accepts = leakyBucket(100, 5);
  let refused = 0;
  clock.autoAdvance(true);
  const start = clock.now();
  await runPool(options.total, 16, async () => {
    for (;;) {
      const permit = await pacer.acquire();
      await clock.sleep(1 + random() * 39);
      const ok = accepts(clock.now());
      await clock.sleep(1 + random() * 39);
      permit.release({ kind: "response", status: ok ? 200 : 429, counted: true });
      if (ok) return;
      refused++;
    }
  });
  clock.autoAdvance(false);
  // The bucket's minimum: its burst at once, then one request per interval.
  const minimum = (options.total - 5 - 1) * 100;
  return { refused, ratio: (clock.now() - start) / minimum };
}

describe("a pace learned from a server that sends no header (virtual time, worst of 20 runs)", () => {
  it("nothing configured: at most 8 refusals and within 1.5x of the minimum, 200 requests", async () => {
    const runs = [];
    for (let seed = 1; seed <= 20; seed++) runs.push(await simulate(seed, { total: 200 }));
    expect(Math.max(...runs.map((r) => r.refused))).toBeLessThanOrEqual(8);
    expect(Math.max(...runs.map((r) => r.ratio))).toBeLessThanOrEqual(1.5);
  });

  it("the rate configured: at most 8 refusals and within 1.3x, 200 requests", async () => {
    const runs = [];
    for (let seed = 1; seed <= 20; seed++) {
      runs.push(await simulate(seed, { total: 200, limits: [{ limit: 10, windowMs: 1000 }] }));
    }
    expect(Math.max(...runs.map((r) => r.refused))).toBeLessThanOrEqual(8);
    expect(Math.max(...runs.map((r) => r.ratio))).toBeLessThanOrEqual(1.3);
  });

  it("a long batch does not meet a refusal every few seconds: at most 12 over 1,000 requests", async () => {
    const runs = [];
    for (let seed = 1; seed <= 5; seed++) runs.push(await simulate(seed, { total: 1000 }));
    expect(Math.max(...runs.map((r) => r.refused))).toBeLessThanOrEqual(12);
    expect(Math.max(...runs.map((r) => r.ratio))).toBeLessThanOrEqual(1.15);
  });
});

describe("RateLearner", () => {
  const options = {
    mode: "slow-start" as const,
    ratePerMs: 2 / 1000,
    ceilingPerMs: Number.POSITIVE_INFINITY,
  };

  it("doubles its rate every 250 ms it was used, in slow start", () => {
    const learner = new RateLearner(0, options);
    let now = 0;
    for (; now < 1000; now++) {
      if (learner.nextFreeAt(now) <= now) learner.granted(now);
    }
    expect(learner.perSecond).toBeGreaterThanOrEqual(16);
  });

  it("does not grow a rate its sends did not use", () => {
    const learner = new RateLearner(0, options);
    learner.granted(0);
    learner.nextFreeAt(5_000);
    expect(learner.perSecond).toBe(2);
  });

  it("sets the rate under what a bucket drained between two refusals, and keeps it there", () => {
    const learner = new RateLearner(0, { ...options, mode: "steady", ratePerMs: 20 / 1000 });
    learner.refused(0);
    // 50 accepted in the 5 s before the next refusal: the server takes 10 a second.
    for (let i = 1; i <= 50; i++) learner.accepted(i * 100);
    learner.refused(5_000);
    expect(learner.perSecond).toBeCloseTo(0.95 * 10, 5);
    // It climbs back to the plateau within a couple of seconds of use, and no higher for a while.
    let now = 5_000;
    for (; now < 9_000; now++) if (learner.nextFreeAt(now) <= now) learner.granted(now);
    expect(learner.perSecond).toBeCloseTo(10, 5);
  });

  it("after refusals with nothing taken in between, doubles back once sends get through (slow start)", () => {
    const learner = new RateLearner(0, options);
    // A server that refuses everything for a while: two refusals, nothing accepted.
    learner.refused(0);
    learner.refused(1_000);
    const cut = learner.perSecond;
    expect(cut).toBeLessThan(2);
    // It takes requests again: within a second of use the rate is several times the cut one, where
    // a climb of a tenth a second would have left it near it.
    let now = 3_000;
    for (; now < 4_000; now++) {
      if (learner.nextFreeAt(now) <= now) {
        learner.granted(now);
        learner.accepted(now);
      }
    }
    expect(learner.perSecond).toBeGreaterThanOrEqual(4 * cut);
  });

  it("pauses after a refusal: the server's bucket is full", () => {
    const learner = new RateLearner(0, { ...options, mode: "steady", ratePerMs: 10 / 1000 });
    learner.refused(1000);
    expect(learner.nextFreeAt(1000)).toBeGreaterThanOrEqual(1000 + learner.pauseMs);
  });

  it("keeps a finite rate within its bounds, whatever happens (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ gap: fc.nat(3000), event: fc.constantFrom("grant", "accept", "refuse", "ask") }),
          {
            maxLength: 300,
          },
        ),
        fc.double({ min: 0.001, max: 100, noNaN: true }),
        (events, ceilingPerSecond) => {
          const learner = new RateLearner(0, { ...options, ceilingPerMs: ceilingPerSecond / 1000 });
          let now = 0;
          for (const { gap, event } of events) {
            now += gap;
            if (event === "grant") learner.granted(now);
            else if (event === "accept") learner.accepted(now);
            else if (event === "refuse") learner.refused(now);
            const next = learner.nextFreeAt(now);
            expect(next).toBeGreaterThanOrEqual(now);
            expect(Number.isFinite(next)).toBe(true);
            expect(learner.perSecond).toBeGreaterThan(0);
            expect(learner.perSecond).toBeLessThanOrEqual(Math.max(ceilingPerSecond, 1 / 60) + 1e-9);
          }
        },
      ),
    );
  });
});
