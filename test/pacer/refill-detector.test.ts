import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BudgetObservation } from "../../src/pacer/budget-observation.js";
import { RefillDetector } from "../../src/pacer/refill-detector.js";

/**
 * The detector reads only the sends between two observations (binary search over arrival times),
 * not every send of the two windows it keeps. This reference reads them all, as the detector did
 * before: both must reach the same verdict on any history.
 */
class ReferenceDetector {
  private anchor: BudgetObservation | undefined;
  private sends: { grantedAt: number; arrivedAt: number }[] = [];

  record(grantedAt: number, arrivedAt: number, windowMs: number): void {
    this.sends.push({ grantedAt, arrivedAt });
    this.sends = this.sends.filter((s) => s.arrivedAt >= arrivedAt - 2 * windowMs);
  }

  refills(b: BudgetObservation, limit: number, windowMs: number): boolean {
    const a = this.anchor;
    if (!a || b.sentAt < a.observedAt) {
      this.anchor = b;
      return false;
    }
    if (b.observedAt - a.observedAt < (8 * windowMs) / limit) return false;
    this.anchor = b;
    const windowReset =
      b.observedAt + b.snapshot.resetMs - (a.observedAt + a.snapshot.resetMs) > windowMs / 2;
    const aged = this.sends.some(
      (s) => s.grantedAt <= b.observedAt - windowMs && s.arrivedAt > a.sentAt - windowMs,
    );
    if (windowReset || aged) return false;
    const counted =
      1 + this.sends.filter((s) => s.grantedAt >= a.observedAt && s.arrivedAt <= b.sentAt).length;
    return b.snapshot.remaining > a.snapshot.remaining - counted;
  }
}

/** A limit high enough that observations a few sends apart are compared. */
const LIMIT = 200;

/** One send: when it is granted after the previous one, how long it takes, what its headers say. */
const step = fc.record({
  gapMs: fc.integer({ min: 0, max: 120 }),
  latencyMs: fc.integer({ min: 0, max: 300 }),
  observe: fc.boolean(),
  /** `Remaining` as the sends so far leave it, give or take a refill or someone else's sends. */
  drift: fc.integer({ min: -3, max: 3 }),
  /** Most answers name the same window's end; some a later one (a reset). */
  laterWindow: fc.boolean(),
});

describe("RefillDetector", () => {
  it("reaches the reference's verdict on every observation of any history", () => {
    const verdicts = { true: 0, false: 0 };
    compare((fast, reference) => {
      verdicts[reference ? "true" : "false"]++;
      expect(fast).toBe(reference);
    });
    // The histories must reach both verdicts, or the comparison proves nothing.
    expect(verdicts.true).toBeGreaterThan(30);
    expect(verdicts.false).toBeGreaterThan(30);
  });

  it("never sees a refill the reference does not, when it keeps only its last two sends", () => {
    const verdicts = { agreed: 0, missed: 0 };
    compare(
      (fast, reference) => {
        if (fast) expect(reference).toBe(true);
        verdicts[fast === reference ? "agreed" : "missed"]++;
      },
      { maxKept: 2 },
    );
    // The cap must have cost some verdicts, or it was never reached.
    expect(verdicts.missed).toBeGreaterThan(10);
  });

  it("keeps at most its cap of sends under a limit that never binds", () => {
    const detector = new RefillDetector(100);
    for (let t = 0; t < 100_000; t++) detector.record(t, t + 5, 60_000);
    const kept = (name: string) => (Reflect.get(detector, name) as number[]).length;
    expect(kept("arrived")).toBeLessThanOrEqual(100 + 1025);
    expect(kept("granted")).toBe(kept("arrived"));
  });
});

/**
 * Feeds the detector (with `options.maxKept`, or its own) and the reference the same random
 * histories, and hands each observation's two verdicts to `check`.
 */
function compare(check: (fast: boolean, reference: boolean) => void, options: { maxKept?: number } = {}) {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 120 }), fc.constantFrom(1_000, 3_000), (steps, windowMs) => {
      const fast = new RefillDetector(options.maxKept);
      const reference = new ReferenceDetector();
      let now = 0;
      const inFlight: { grantedAt: number; arrivesAt: number; step: (typeof steps)[number] }[] = [];
      for (const s of steps) {
        now += s.gapMs;
        inFlight.push({ grantedAt: now, arrivesAt: now + s.latencyMs, step: s });
      }
      let answered = 0;
      // Responses arrive in order of arrival, as the pacer records them.
      inFlight.sort((x, y) => x.arrivesAt - y.arrivesAt);
      for (const send of inFlight) {
        fast.record(send.grantedAt, send.arrivesAt, windowMs);
        reference.record(send.grantedAt, send.arrivesAt, windowMs);
        answered++;
        if (!send.step.observe) continue;
        const windowEnd = windowMs * (send.step.laterWindow ? 2 : 1);
        const observation: BudgetObservation = {
          seq: 0,
          sentAt: send.grantedAt,
          observedAt: send.arrivesAt,
          snapshot: {
            remaining: Math.max(0, LIMIT - answered + send.step.drift),
            resetMs: Math.max(0, windowEnd - send.arrivesAt),
            policies: [],
            source: "ietf-06",
          },
          explainedByUs: true,
          unansweredEarlier: 0,
        };
        check(fast.refills(observation, LIMIT, windowMs), reference.refills(observation, LIMIT, windowMs));
      }
    }),
    { numRuns: 1_000 },
  );
}
