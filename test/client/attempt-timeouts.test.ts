import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attemptTimeouts, type Timeout } from "../../src/client/attempt-timeouts.js";
import { createVirtualClock } from "../../src/clock/virtual-clock.js";

const T0 = 1_000_000;

/** Starts a timeout calling `fire`; returns what stops it. */
function starter(clock: ReturnType<typeof createVirtualClock>, ms: number) {
  const timeouts = attemptTimeouts(clock, ms);
  return (fire: () => void) => {
    const timeout: Timeout = { at: 0, prev: undefined, next: undefined, fire };
    timeouts.start(timeout);
    return () => timeouts.stop(timeout);
  };
}

describe("attemptTimeouts: timeouts of one length on one timer", () => {
  it("fires each timeout exactly `ms` after it started, unless stopped, and keeps no timer once none is left", async () => {
    const clock = createVirtualClock(T0);
    const start = starter(clock, 100);
    const fired: [string, number][] = [];
    const fire = (name: string) => () => fired.push([name, clock.now() - T0]);
    start(fire("a"));
    await clock.advance(30);
    const stopB = start(fire("b"));
    await clock.advance(30);
    start(fire("c"));
    expect(clock.pendingTimers()).toBe(1);
    stopB();
    stopB(); // a second stop is harmless
    await clock.runUntilIdle();
    expect(fired).toEqual([
      ["a", 100],
      ["c", 160],
    ]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("stops its timer when every timeout is stopped, and arms it again for the next", async () => {
    const clock = createVirtualClock(T0);
    const start = starter(clock, 100);
    const fired: number[] = [];
    start(() => fired.push(clock.now() - T0))();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(50);
    start(() => fired.push(clock.now() - T0));
    await clock.runUntilIdle();
    expect(fired).toEqual([150]);
  });

  it("fires every timeout not stopped at start + ms, in order, whatever the starts and stops", async () => {
    const op = fc.record({
      gapMs: fc.integer({ min: 0, max: 60 }),
      stopAfterMs: fc.option(fc.integer({ min: 0, max: 150 })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const clock = createVirtualClock(T0);
        const start = starter(clock, 100);
        // A timeline of starts and stops; at one moment, a timeout starts before it can be stopped.
        const events: { at: number; order: number; run: () => void }[] = [];
        const stops = new Map<number, () => void>();
        const fired: [number, number][] = [];
        const expected: [number, number][] = [];
        let t = 0;
        for (const [i, o] of ops.entries()) {
          t += o.gapMs;
          events.push({
            at: t,
            order: 0,
            run: () =>
              stops.set(
                i,
                start(() => fired.push([i, clock.now() - T0])),
              ),
          });
          if (o.stopAfterMs !== null)
            events.push({ at: t + o.stopAfterMs, order: 1, run: () => stops.get(i)!() });
          // Stopped at or after its end, a timeout has fired already.
          if (o.stopAfterMs === null || o.stopAfterMs >= 100) expected.push([i, t + 100]);
        }
        events.sort((x, y) => x.at - y.at || x.order - y.order);
        for (const event of events) {
          await clock.advanceTo(T0 + event.at);
          event.run();
        }
        await clock.runUntilIdle();
        expect(fired).toEqual(expected);
        expect(clock.pendingTimers()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
