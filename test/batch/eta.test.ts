import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type KeyOutlook, sendAllBy } from "../../src/batch/eta.js";
import type { Limit } from "../../src/index.js";

const NOW = 10_000;

/**
 * The reference: every key sends at the first millisecond each of its rolling windows has room and
 * it is not blocked, one millisecond at a time. Returns when the `requests`-th request goes.
 */
function greedy(requests: number, keys: readonly KeyOutlook[]): number {
  if (requests === 0) return NOW;
  const logs = keys.map((key) => [...key.sends]);
  let sent = 0;
  for (let t = NOW; ; t++) {
    for (const [k, key] of keys.entries()) {
      const log = logs[k]!;
      const room = () =>
        t >= key.blockedUntil &&
        key.limits.every((l) => log.filter((s) => s > t - l.windowMs).length < l.limit);
      while (room()) {
        log.push(t);
        if (++sent === requests) return t;
      }
    }
  }
}

const limitArb = fc.record({
  limit: fc.integer({ min: 1, max: 6 }),
  windowMs: fc.integer({ min: 1, max: 40 }),
});

/** A key: limits, sends within its longest window before NOW (at most its limits allow), a block. */
const keyArb = (rules: number) =>
  fc
    .tuple(
      fc.array(limitArb, { minLength: rules, maxLength: rules }),
      fc.array(fc.integer({ min: 0, max: 39 }), { maxLength: 6 }),
      fc.option(fc.integer({ min: -5, max: 60 }), { nil: undefined }),
    )
    .map(([limits, ages, block]) => {
      const sends: number[] = [];
      for (const at of ages.map((age) => NOW - age).sort((a, b) => a - b)) {
        const fits = (l: Limit) => sends.filter((s) => s > at - l.windowMs).length < l.limit;
        if (limits.every(fits)) sends.push(at);
      }
      return { limits, sends, blockedUntil: block === undefined ? Number.NEGATIVE_INFINITY : NOW + block };
    });

describe("sendAllBy (the progress ETA's schedule)", () => {
  it("with one limit per key, is exactly when a greedy sender sends the last request", () => {
    fc.assert(
      fc.property(
        fc.array(keyArb(1), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 40 }),
        (keys, n) => {
          expect(sendAllBy(NOW, n, keys)).toBe(greedy(n, keys));
        },
      ),
    );
  });

  it("with several limits per key, is never later than the greedy sender (an ETA that errs, errs early)", () => {
    fc.assert(
      fc.property(
        fc.array(keyArb(2), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 30 }),
        (keys, n) => {
          expect(sendAllBy(NOW, n, keys)).toBeLessThanOrEqual(greedy(n, keys));
        },
      ),
    );
  });

  it("is Infinity when no key can ever send, and now when nothing is left", () => {
    const blocked = {
      sends: [],
      blockedUntil: Number.POSITIVE_INFINITY,
      limits: [{ limit: 1, windowMs: 1 }],
    };
    expect(sendAllBy(NOW, 1, [blocked])).toBe(Number.POSITIVE_INFINITY);
    expect(sendAllBy(NOW, 0, [blocked])).toBe(NOW);
  });
});
