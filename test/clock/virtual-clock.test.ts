import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createVirtualClock, type VirtualClock } from "../../src/clock/virtual-clock.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Settles to "resolved" / "rejected: reason" / "pending" after letting the event loop turn. */
async function state(promise: Promise<unknown>): Promise<string> {
  let result = "pending";
  promise.then(
    () => {
      result = "resolved";
    },
    (error: unknown) => {
      result = `rejected: ${String(error)}`;
    },
  );
  await tick();
  return result;
}

const clocks: VirtualClock[] = [];
function makeClock(startMs?: number): VirtualClock {
  const clock = createVirtualClock(startMs);
  clocks.push(clock);
  return clock;
}
afterEach(() => {
  for (const clock of clocks.splice(0)) clock.autoAdvance(false);
  vi.restoreAllMocks();
});

describe("createVirtualClock", () => {
  it("starts at startMs (0 by default) and only moves when advanced", async () => {
    expect(makeClock().now()).toBe(0);
    const clock = makeClock(1_700_000_000_000);
    expect(clock.now()).toBe(1_700_000_000_000);
    await tick();
    expect(clock.now()).toBe(1_700_000_000_000);
    await clock.advance(250);
    expect(clock.now()).toBe(1_700_000_000_250);
  });

  it("rejects a non-finite start", () => {
    expect(() => createVirtualClock(Number.NaN)).toThrow(RangeError);
    expect(() => createVirtualClock(0, { idleTurns: 0 })).toThrow(RangeError);
  });

  it("resolves a sleep exactly when its due time is reached, not before", async () => {
    const clock = makeClock();
    const sleep = clock.sleep(1000);
    await clock.advance(999);
    expect(await state(sleep)).toBe("pending");
    expect(clock.pendingTimers()).toBe(1);
    await clock.advance(1);
    expect(await state(sleep)).toBe("resolved");
    expect(clock.pendingTimers()).toBe(0);
  });

  it("fires in time order, FIFO for equal times, each with now() at its own due time", async () => {
    const clock = makeClock();
    const fired: string[] = [];
    const at = (name: string, ms: number) => clock.sleep(ms).then(() => fired.push(`${name}@${clock.now()}`));
    void at("c", 300);
    void at("a1", 100);
    void at("b", 200);
    void at("a2", 100);
    void at("z", 0);
    await clock.advance(1000);
    expect(fired).toEqual(["z@0", "a1@100", "a2@100", "b@200", "c@300"]);
    expect(clock.now()).toBe(1000);
  });

  it("fires sleeps chained within one advance, also across setImmediate hops", async () => {
    const clock = makeClock();
    const wakes: number[] = [];
    const loop = async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(100);
        wakes.push(clock.now());
        await tick(); // a macrotask between wake-up and the next sleep
        await tick();
      }
    };
    const done = loop();
    await clock.advance(500);
    expect(wakes).toEqual([100, 200, 300, 400, 500]);
    expect(await state(done)).toBe("resolved");
  });

  it("fires a sleep(0), a negative and a NaN sleep on the next advance, at the current time", async () => {
    const clock = makeClock(50);
    const sleeps = [clock.sleep(0), clock.sleep(-5), clock.sleep(Number.NaN)];
    expect(await state(Promise.all(sleeps))).toBe("pending");
    await clock.advance(0);
    expect(await state(Promise.all(sleeps))).toBe("resolved");
    expect(clock.now()).toBe(50);
  });

  it("never fires a sleep(Infinity), but counts and frees it", async () => {
    const clock = makeClock();
    const controller = new AbortController();
    const forever = clock.sleep(Number.POSITIVE_INFINITY, controller.signal);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerAt()).toBeUndefined();
    expect(await clock.runUntilIdle()).toBe(0);
    await clock.advance(Number.MAX_SAFE_INTEGER);
    expect(await state(forever)).toBe("pending");
    controller.abort(new Error("stop"));
    expect(await state(forever)).toBe("rejected: Error: stop");
    expect(clock.pendingTimers()).toBe(0);
  });

  it("an abort removes the timer and rejects with signal.reason", async () => {
    const clock = makeClock();
    const controller = new AbortController();
    const kept = clock.sleep(100);
    const aborted = clock.sleep(50, controller.signal);
    expect(clock.pendingTimers()).toBe(2);
    const reason = new Error("gave up");
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerAt()).toBe(100);
    await clock.advance(100);
    expect(await state(kept)).toBe("resolved");
  });

  it("a sleep on an already-aborted signal rejects at once and registers nothing", async () => {
    const clock = makeClock();
    const reason = new Error("already");
    await expect(clock.sleep(10, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("an abort after the timer fired changes nothing", async () => {
    const clock = makeClock();
    const controller = new AbortController();
    const sleep = clock.sleep(10, controller.signal);
    await clock.advance(10);
    controller.abort();
    expect(await state(sleep)).toBe("resolved");
    expect(clock.pendingTimers()).toBe(0);
  });

  it("never goes backwards: advanceTo a past time is a no-op, bad arguments throw", async () => {
    const clock = makeClock(1000);
    await clock.advanceTo(500);
    expect(clock.now()).toBe(1000);
    await clock.advanceTo(1500);
    expect(clock.now()).toBe(1500);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => clock.advanceTo(Number.NaN)).toThrow(RangeError);
    expect(() => clock.runUntilIdle(-1)).toThrow(RangeError);
  });

  it("serializes concurrent advances: the second starts where the first ended", async () => {
    const clock = makeClock();
    const fired: number[] = [];
    for (const ms of [150, 50, 250]) void clock.sleep(ms).then(() => fired.push(clock.now()));
    await Promise.all([clock.advance(100), clock.advance(100)]);
    expect(clock.now()).toBe(200);
    expect(fired).toEqual([50, 150]);
  });

  it("runUntilIdle fires everything, stopping at the last timer", async () => {
    const clock = makeClock();
    let chained = 0;
    void clock.sleep(300);
    void clock.sleep(100).then(async () => {
      await clock.sleep(1000);
      chained = clock.now();
    });
    expect(await clock.runUntilIdle()).toBe(3);
    expect(chained).toBe(1100);
    expect(clock.now()).toBe(1100);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("runUntilIdle with a limit stops a timer re-armed forever at exactly the limit", async () => {
    const clock = makeClock();
    let beats = 0;
    let stop = false;
    const heartbeat = async () => {
      while (!stop) {
        await clock.sleep(1000);
        beats++;
      }
    };
    void heartbeat();
    expect(await clock.runUntilIdle(10_500)).toBe(10);
    expect(beats).toBe(10);
    expect(clock.now()).toBe(10_500);
    stop = true;
    await clock.advance(1000);
    expect(clock.pendingTimers()).toBe(0);
  });

  describe("autoAdvance", () => {
    it("runs a simulation of thousands of sleeps to completion on virtual time", async () => {
      const clock = makeClock();
      clock.autoAdvance(true);
      let ends = 0;
      const worker = async (id: number) => {
        for (let i = 0; i < 3; i++) await clock.sleep(((id * 7919 + i * 104_729) % 1000) + 1);
        ends = Math.max(ends, clock.now());
      };
      const immediates = vi.spyOn(globalThis, "setImmediate");
      await Promise.all(Array.from({ length: 2000 }, (_, id) => worker(id)));
      const turns = immediates.mock.calls.length;
      immediates.mockRestore();
      expect(clock.pendingTimers()).toBe(0);
      expect(clock.now()).toBe(ends);
      expect(ends).toBeGreaterThan(1000);
      // One driver loop: one idle check (5 turns) per timer fired, plus one more when the woken
      // worker sleeps again (a postponement) — 50 000 turns here. A driver per timer, or one that
      // kept spinning, would cost many times more.
      expect(turns).toBeLessThanOrEqual(6000 * 5 * 2);
    });

    it("waits for work in progress: a timer registered while checking for idleness postpones the jump", async () => {
      const clock = makeClock();
      const fired: string[] = [];
      void clock.sleep(1000).then(() => fired.push(`long@${clock.now()}`));
      clock.autoAdvance(true);
      // Busy for 8 macrotask turns — longer than one idle check of 5 — registering a timer at turn
      // 3 (which postpones the jump) and its real next step at turn 8. A driver that jumped after
      // one quiet-looking check would fire `long` first and `short` at 1010.
      const hops = async (n: number) => {
        for (let i = 0; i < n; i++) await tick();
      };
      void (async () => {
        await hops(3);
        void clock.sleep(5000).then(() => fired.push(`mid@${clock.now()}`));
        await hops(5);
        await clock.sleep(10);
        fired.push(`short@${clock.now()}`);
      })();
      while (fired.length < 3) await tick();
      expect(fired).toEqual(["short@10", "long@1000", "mid@5000"]);
    });

    it("stops driving when no timer is left, and starts again on the next sleep", async () => {
      const clock = makeClock();
      clock.autoAdvance(true);
      await clock.sleep(100);
      expect(clock.now()).toBe(100);
      const spy = vi.spyOn(globalThis, "setImmediate");
      // A loop driving the clock would call setImmediate again before the next timers phase.
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(spy).not.toHaveBeenCalled(); // no busy loop while idle
      spy.mockRestore();
      await clock.sleep(50);
      expect(clock.now()).toBe(150);
    });

    it("does nothing when switched off; timers then wait for advance", async () => {
      const clock = makeClock();
      clock.autoAdvance(true);
      clock.autoAdvance(false);
      const sleep = clock.sleep(100);
      for (let i = 0; i < 20; i++) await tick();
      expect(await state(sleep)).toBe("pending");
      expect(clock.now()).toBe(0);
      await clock.advance(100);
      expect(await state(sleep)).toBe("resolved");
    });

    it("leaves a manual advance in charge while it runs, without double firing", async () => {
      const clock = makeClock();
      const fired: number[] = [];
      for (const ms of [10, 20, 30, 500]) void clock.sleep(ms).then(() => fired.push(clock.now()));
      clock.autoAdvance(true);
      await clock.advance(25);
      while (clock.pendingTimers() > 0) await tick();
      expect(fired).toEqual([10, 20, 30, 500]);
      expect(clock.now()).toBe(500);
    });
  });

  describe("properties", () => {
    it("fires every timer once, in (due time, registration) order, and time never goes backwards", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ delay: fc.integer({ min: 0, max: 500 }), next: fc.option(fc.nat(300)) }), {
            maxLength: 40,
          }),
          fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 8 }),
          async (timers, steps) => {
            const clock = createVirtualClock(10);
            const fired: Array<{ due: number; seq: number; at: number }> = [];
            const seen: number[] = [];
            let seq = 0;
            const register = (delay: number, next: number | null) => {
              const mySeq = seq++;
              const due = clock.now() + delay;
              void clock.sleep(delay).then(() => {
                fired.push({ due, seq: mySeq, at: clock.now() });
                if (next !== null) register(next, null);
              });
            };
            for (const t of timers) register(t.delay, t.next);
            for (const step of steps) {
              await clock.advance(step);
              seen.push(clock.now());
            }
            await clock.runUntilIdle();
            seen.push(clock.now());
            // Each fires at its due time, in order of (due, registration).
            for (const f of fired) expect(f.at).toBe(f.due);
            for (let i = 1; i < fired.length; i++) {
              const a = fired[i - 1]!;
              const b = fired[i]!;
              expect(a.due < b.due || (a.due === b.due && a.seq < b.seq)).toBe(true);
            }
            expect(fired.length).toBe(seq);
            expect(clock.pendingTimers()).toBe(0);
            for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
          },
        ),
        { numRuns: 60 },
      );
    });

    it("an abort frees its timer: pendingTimers drops, an aborted sleep never resolves", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ delay: fc.integer({ min: 0, max: 1000 }), abort: fc.boolean() }), {
            maxLength: 200,
          }),
          async (timers) => {
            const clock = createVirtualClock();
            const outcomes: string[] = timers.map(() => "pending");
            const controllers = timers.map((t, i) => {
              const controller = new AbortController();
              clock.sleep(t.delay, controller.signal).then(
                () => {
                  outcomes[i] = "fired";
                },
                () => {
                  outcomes[i] = "aborted";
                },
              );
              return controller;
            });
            expect(clock.pendingTimers()).toBe(timers.length);
            let pending = timers.length;
            timers.forEach((t, i) => {
              if (!t.abort) return;
              controllers[i]!.abort();
              pending--;
              expect(clock.pendingTimers()).toBe(pending);
            });
            await clock.runUntilIdle();
            expect(clock.pendingTimers()).toBe(0);
            expect(outcomes).toEqual(timers.map((t) => (t.abort ? "aborted" : "fired")));
          },
        ),
        { numRuns: 60 },
      );
    });
  });
});
