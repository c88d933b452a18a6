import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Limit } from "../../src/pacer/types.js";
import { ok, pacerOnVirtualTime, tooMany } from "../helpers/pacer.js";

interface Planned {
  startAt: number;
  latency: number;
  counted: boolean;
  /** Abort the wait this many ms after asking, if still waiting. */
  abortAfter: number | undefined;
  /** The server answers 429 with this Retry-After (ms). */
  refusedFor: number | undefined;
}

interface Sent {
  index: number;
  askedAt: number;
  grantedAt: number;
  /** Order of the grant among all grants and gate closings. */
  tick: number;
  arrivedAt: number;
  counted: boolean;
}

const limitsArb = fc.array(
  fc.record({ limit: fc.integer({ min: 1, max: 12 }), windowMs: fc.integer({ min: 10, max: 3000 }) }),
  { minLength: 1, maxLength: 3 },
);

const plannedArb = (withAborts: boolean, with429: boolean) =>
  fc.array(
    fc.record({
      startAt: fc.integer({ min: 0, max: 5000 }),
      latency: fc.integer({ min: 0, max: 400 }),
      counted: fc.boolean(),
      abortAfter: withAborts
        ? fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined })
        : fc.constant(undefined),
      refusedFor: with429
        ? fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined, freq: 6 })
        : fc.constant(undefined),
    }),
    { minLength: 1, maxLength: 50 },
  );

/** Plays a schedule through one key's pacer on an auto-advancing virtual clock. */
async function play(limits: Limit[], planned: Planned[]) {
  const { pacer, clock } = pacerOnVirtualTime(limits);
  const sent: Sent[] = [];
  const gates: { tick: number; until: number }[] = [];
  let aborted = 0;
  let ticks = 0;
  clock.autoAdvance(true);
  try {
    await Promise.all(
      planned.map(async (p, index) => {
        await clock.sleep(p.startAt);
        const askedAt = clock.now();
        const controller = new AbortController();
        const abortTimer = new AbortController();
        if (p.abortAfter !== undefined) {
          clock.sleep(p.abortAfter, abortTimer.signal).then(
            () => controller.abort(new Error("aborted")),
            () => {},
          );
        }
        let permit: Awaited<ReturnType<typeof pacer.acquire>>;
        try {
          permit = await pacer.acquire({ signal: controller.signal });
        } catch {
          aborted++;
          return;
        } finally {
          abortTimer.abort();
        }
        const grantedAt = clock.now();
        const tick = ticks++;
        await clock.sleep(p.latency);
        const arrivedAt = clock.now();
        const outcome = p.refusedFor === undefined ? { ...ok(), counted: p.counted } : tooMany(p.refusedFor);
        const { gate } = permit.release(outcome);
        if (gate) gates.push({ tick: ticks++, until: arrivedAt + gate.waitMs });
        sent.push({ index, askedAt, grantedAt, tick, arrivedAt, counted: outcome.counted });
      }),
    );
  } finally {
    clock.autoAdvance(false);
  }
  return { sent, gates, aborted, pacer, clock };
}

/**
 * The pacer's promise, in the form a server of any counting model needs: at any time t, at
 * most N sends are "alive" — sent at or before t, and not yet aged W past their response. Any
 * moment the server counts a send lies between its grant and its arrival, so no window of W
 * of the server can then hold more than N.
 */
function maxAlive(sent: Sent[], windowMs: number): number {
  let max = 0;
  for (const s of sent) {
    const t = s.grantedAt;
    const alive = sent.filter((o) => o.counted && o.grantedAt <= t && o.arrivedAt > t - windowMs).length;
    max = Math.max(max, alive);
  }
  return max;
}

describe("pacer invariants (fast-check, virtual time)", () => {
  it("never more than N sends in any window W, for every limit, whatever the latencies", async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb, plannedArb(false, false), async (limits, planned) => {
        const { sent } = await play(limits, planned);
        expect(sent).toHaveLength(planned.length);
        for (const l of limits) expect(maxAlive(sent, l.windowMs)).toBeLessThanOrEqual(l.limit);
      }),
      { numRuns: 150 },
    );
  });

  it("never sends before a gate opens, queued requests included", async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb, plannedArb(false, true), async (limits, planned) => {
        const { sent, gates } = await play(limits, planned);
        // Every grant made after a gate closed comes no sooner than the gate opens.
        for (const s of sent) {
          for (const g of gates) if (s.tick > g.tick) expect(s.grantedAt).toBeGreaterThanOrEqual(g.until);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("grants one key's requests in the order they asked (FIFO)", async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb, plannedArb(false, true), async (limits, planned) => {
        const { sent } = await play(limits, planned);
        const byGrant = [...sent].sort((a, b) => a.grantedAt - b.grantedAt || a.askedAt - b.askedAt);
        for (let i = 1; i < byGrant.length; i++) {
          const a = byGrant[i - 1]!;
          const b = byGrant[i]!;
          // Whoever asked earlier is never granted later than one who asked after it.
          if (a.askedAt > b.askedAt) expect(a.grantedAt).toBe(b.grantedAt);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("leaks no slot when waiters abort: every other request is served, and the key is free again", async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb, plannedArb(true, false), async (limits, planned) => {
        const { sent, aborted, pacer, clock } = await play(limits, planned);
        expect(sent.length + aborted).toBe(planned.length);
        expect(pacer.waiting).toBe(0);
        // Once every window has passed, the key can send at once: nothing is held by the aborted.
        const longest = Math.max(...limits.map((l) => l.windowMs));
        await clock.advance(longest);
        expect(pacer.nextSendAt()).toBe(clock.now());
      }),
      { numRuns: 150 },
    );
  });
});
