import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BackoffPolicy,
  BOOTHZEN_BACKOFF,
  CAMPONE_BACKOFF,
  DEFAULT_BACKOFF,
  fullJitter,
  rateLimitWait,
  transientBackoff,
  validateBackoffPolicy,
} from "../../src/retry/backoff.js";

const MAX = Number.MAX_SAFE_INTEGER;
const zero = () => 0;
const top = () => 1 - Number.EPSILON; // the largest value Math.random can return, about
const half = () => 0.5;

const arbPolicy: fc.Arbitrary<BackoffPolicy> = fc.record({
  baseMs: fc.integer({ min: 0, max: 100_000 }),
  capMs: fc.integer({ min: 0, max: 10_000_000 }),
  factor: fc.double({ min: 1, max: 10, noNaN: true }),
  retryAfterJitterMs: fc.integer({ min: 0, max: 10_000 }),
});
/** seed·factor^k as a reference, without JavaScript's 0·Infinity = NaN. */
const grow = (seed: number, factor: number, k: number) => (seed === 0 ? 0 : seed * factor ** k);
const arbRandom = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((r) => () => r);

describe("presets", () => {
  it("follow the two API documents", () => {
    expect(CAMPONE_BACKOFF).toEqual({ baseMs: 1000, capMs: 3_600_000, factor: 2, retryAfterJitterMs: 250 });
    expect(BOOTHZEN_BACKOFF).toEqual({ baseMs: 1000, capMs: 60_000, factor: 2, retryAfterJitterMs: 500 });
    expect(DEFAULT_BACKOFF).toEqual(BOOTHZEN_BACKOFF);
    for (const policy of [CAMPONE_BACKOFF, BOOTHZEN_BACKOFF])
      expect(() => validateBackoffPolicy(policy)).not.toThrow();
  });

  it("cannot be mutated by accident", () => {
    expect(Object.isFrozen(BOOTHZEN_BACKOFF)).toBe(true);
  });
});

describe("validateBackoffPolicy", () => {
  it.each([
    [{ baseMs: -1 }, /`baseMs` to be a finite number ≥ 0, got `-1`/],
    [{ capMs: Number.POSITIVE_INFINITY }, /`capMs` to be a finite number ≥ 0, got `Infinity`/],
    [{ retryAfterJitterMs: Number.NaN }, /`retryAfterJitterMs`.*got `NaN`/],
    [{ factor: 0.5 }, /`factor` to be a finite number ≥ 1, got `0.5`/],
  ])("rejects %o", (patch, message) => {
    expect(() => validateBackoffPolicy({ ...BOOTHZEN_BACKOFF, ...patch })).toThrow(RangeError);
    expect(() => validateBackoffPolicy({ ...BOOTHZEN_BACKOFF, ...patch })).toThrow(message);
  });
});

describe("fullJitter", () => {
  it("draws uniformly under min(cap, base·factor^attempt)", () => {
    expect(fullJitter(0, BOOTHZEN_BACKOFF, zero)).toBe(0);
    expect(fullJitter(0, BOOTHZEN_BACKOFF, half)).toBe(500);
    expect(fullJitter(3, BOOTHZEN_BACKOFF, half)).toBe(4000);
    expect(fullJitter(6, BOOTHZEN_BACKOFF, half)).toBe(30_000); // 64 s capped at 60 s
    expect(fullJitter(5, BOOTHZEN_BACKOFF, top)).toBeCloseTo(32_000, 6);
  });

  it("stays finite for huge attempts", () => {
    expect(fullJitter(10_000, BOOTHZEN_BACKOFF, half)).toBe(30_000);
    expect(fullJitter(10_000, CAMPONE_BACKOFF, top)).toBeLessThanOrEqual(3_600_000);
    expect(fullJitter(Number.POSITIVE_INFINITY, CAMPONE_BACKOFF, half)).toBe(500); // a non-finite attempt counts as 0
  });

  it("treats a negative or NaN attempt as the first, and a broken random source as 0 or 1", () => {
    expect(fullJitter(-3, BOOTHZEN_BACKOFF, half)).toBe(500);
    expect(fullJitter(Number.NaN, BOOTHZEN_BACKOFF, half)).toBe(500);
    expect(fullJitter(0, BOOTHZEN_BACKOFF, () => Number.NaN)).toBe(0);
    expect(fullJitter(0, BOOTHZEN_BACKOFF, () => 7)).toBe(1000);
    expect(fullJitter(0, BOOTHZEN_BACKOFF, () => -7)).toBe(0);
  });

  it("is what transientBackoff uses", () => {
    expect(transientBackoff(2, BOOTHZEN_BACKOFF, half)).toBe(fullJitter(2, BOOTHZEN_BACKOFF, half));
  });

  it("spreads its draws over the whole range (Math.random)", () => {
    const draws = Array.from({ length: 2000 }, () => fullJitter(2, BOOTHZEN_BACKOFF));
    expect(Math.min(...draws)).toBeLessThan(400);
    expect(Math.max(...draws)).toBeGreaterThan(3600);
    for (const d of draws) expect(d).toBeLessThanOrEqual(4000);
  });
});

describe("rateLimitWait", () => {
  it("waits exactly Retry-After on the first 429, plus up to retryAfterJitterMs", () => {
    const input = { retryAfterMs: 14_000, consecutive429: 1, policy: BOOTHZEN_BACKOFF };
    expect(rateLimitWait({ ...input, random: zero })).toEqual({ waitMs: 14_000, reason: "retry-after" });
    expect(rateLimitWait({ ...input, random: half })).toEqual({ waitMs: 14_250, reason: "retry-after" });
  });

  it("doubles on consecutive 429s, capped, never below Retry-After", () => {
    const wait = (n: number, retryAfterMs: number, policy = BOOTHZEN_BACKOFF) =>
      rateLimitWait({ retryAfterMs, consecutive429: n, policy, random: zero }).waitMs;
    expect([1, 2, 3, 4, 5].map((n) => wait(n, 14_000))).toEqual([14_000, 28_000, 56_000, 60_000, 60_000]);
    // The server's word wins over our cap: Retry-After 600 s with BoothZen's 60 s cap.
    expect(wait(1, 600_000)).toBe(600_000);
    expect(wait(3, 600_000)).toBe(600_000);
    // CampOne: "respect Retry-After, then on the next failure double the wait", capped at an hour.
    expect([1, 2, 3].map((n) => wait(n, 600_000, CAMPONE_BACKOFF))).toEqual([600_000, 1_200_000, 2_400_000]);
    expect(wait(4, 600_000, CAMPONE_BACKOFF)).toBe(3_600_000);
  });

  it("still slows down after a refusal that followed Retry-After: 0", () => {
    const wait = (n: number) =>
      rateLimitWait({ retryAfterMs: 0, consecutive429: n, policy: BOOTHZEN_BACKOFF, random: zero }).waitMs;
    expect([1, 2, 3].map(wait)).toEqual([0, 2000, 4000]);
  });

  it("uses the reset when no Retry-After came, doubled the same way", () => {
    expect(
      rateLimitWait({ resetMs: 5000, consecutive429: 1, policy: BOOTHZEN_BACKOFF, random: zero }),
    ).toEqual({
      waitMs: 5000,
      reason: "reset",
    });
    expect(
      rateLimitWait({ resetMs: 5000, consecutive429: 2, policy: BOOTHZEN_BACKOFF, random: top }).waitMs,
    ).toBeCloseTo(10_500, 6);
  });

  it("prefers Retry-After over the reset, even when the reset is longer", () => {
    expect(
      rateLimitWait({
        retryAfterMs: 1000,
        resetMs: 30_000,
        consecutive429: 1,
        policy: BOOTHZEN_BACKOFF,
        random: zero,
      }),
    ).toEqual({ waitMs: 1000, reason: "retry-after" });
  });

  it("backs off with full jitter, never 0, when the server said nothing", () => {
    const input = { consecutive429: 1, policy: BOOTHZEN_BACKOFF };
    expect(rateLimitWait({ ...input, random: zero })).toEqual({ waitMs: 1, reason: "backoff" });
    expect(rateLimitWait({ ...input, random: half })).toEqual({ waitMs: 500, reason: "backoff" });
    expect(rateLimitWait({ ...input, consecutive429: 4, random: half }).waitMs).toBe(4000);
    expect(rateLimitWait({ ...input, consecutive429: 40, random: top }).waitMs).toBeLessThanOrEqual(60_000);
  });

  it("treats unusable server values as absent and an unusable count as the first 429", () => {
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      expect(
        rateLimitWait({
          retryAfterMs: bad,
          resetMs: bad,
          consecutive429: 1,
          policy: BOOTHZEN_BACKOFF,
          random: half,
        }),
      ).toEqual({ waitMs: 500, reason: "backoff" });
    }
    for (const n of [0, -5, Number.NaN]) {
      expect(
        rateLimitWait({ retryAfterMs: 3000, consecutive429: n, policy: BOOTHZEN_BACKOFF, random: zero })
          .waitMs,
      ).toBe(3000);
    }
  });

  it("keeps a huge Retry-After finite", () => {
    const { waitMs } = rateLimitWait({
      retryAfterMs: MAX,
      consecutive429: 9,
      policy: CAMPONE_BACKOFF,
      random: top,
    });
    expect(waitMs).toBe(MAX);
  });
});

describe("properties", () => {
  it("fullJitter stays in [0, min(cap, base·factor^attempt)] for any attempt", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), arbPolicy, arbRandom, (attempt, policy, random) => {
        const ms = fullJitter(attempt, policy, random);
        expect(Number.isFinite(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(Math.min(policy.capMs, grow(policy.baseMs, policy.factor, attempt)));
      }),
    );
  });

  it("rateLimitWait is never below Retry-After, never more than its doubling plus jitter", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX }),
        fc.option(fc.integer({ min: 0, max: MAX })),
        fc.integer({ min: 1, max: 100_000 }),
        arbPolicy,
        arbRandom,
        (retryAfterMs, resetMs, n, policy, random) => {
          const { waitMs, reason } = rateLimitWait({
            retryAfterMs,
            resetMs: resetMs ?? undefined,
            consecutive429: n,
            policy,
            random,
          });
          expect(reason).toBe("retry-after");
          expect(Number.isFinite(waitMs)).toBe(true);
          expect(waitMs).toBeGreaterThanOrEqual(retryAfterMs);
          const ceiling = Math.max(
            retryAfterMs,
            Math.min(policy.capMs, grow(Math.max(retryAfterMs, policy.baseMs), policy.factor, n - 1)),
          );
          expect(waitMs).toBeLessThanOrEqual(Math.min(MAX, ceiling + policy.retryAfterJitterMs));
        },
      ),
    );
  });

  it("rateLimitWait is never below the reset when only a reset came", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX }),
        fc.integer({ min: 1, max: 1000 }),
        arbPolicy,
        arbRandom,
        (resetMs, n, policy, random) => {
          const { waitMs, reason } = rateLimitWait({ resetMs, consecutive429: n, policy, random });
          expect(reason).toBe("reset");
          expect(waitMs).toBeGreaterThanOrEqual(resetMs);
          expect(waitMs).toBeLessThanOrEqual(MAX);
        },
      ),
    );
  });

  it("rateLimitWait always waits, finitely, whatever the inputs", () => {
    const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constant(undefined));
    fc.assert(
      fc.property(
        anyNumber,
        anyNumber,
        fc.oneof(fc.double(), fc.integer()),
        fc.record({
          baseMs: fc.double(),
          capMs: fc.double(),
          factor: fc.double(),
          retryAfterJitterMs: fc.double(),
        }),
        fc.oneof(
          arbRandom,
          fc.double().map((r) => () => r),
        ),
        (retryAfterMs, resetMs, n, policy, random) => {
          const { waitMs } = rateLimitWait({ retryAfterMs, resetMs, consecutive429: n, policy, random });
          expect(Number.isFinite(waitMs)).toBe(true);
          expect(waitMs).toBeGreaterThanOrEqual(0);
          expect(waitMs).toBeLessThanOrEqual(MAX);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
