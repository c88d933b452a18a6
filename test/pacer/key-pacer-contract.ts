import { describe, expect, it } from "vitest";
import { createVirtualClock, type VirtualClock } from "../../src/clock/virtual-clock.js";
import { PacerDeadlineError } from "../../src/pacer/deadline-error.js";
import type { KeyPacer, KeyPacerConfig, Limit, Permit, WaitInfo } from "../../src/pacer/types.js";
import { ok, tooMany } from "../helpers/pacer.js";

/** Where every test's virtual time starts. */
export const T0 = 1_000_000;

/**
 * How a test makes the pacers of one fresh key, and waits for what they do on their own. A pacer
 * knows what its own steps saw: `nextSendAt` is asked of the pacer that made the last change.
 */
export interface PacerHarness {
  /**
   * `count` pacers of one key, all on `config.clock`. A store shared between processes gives each
   * its own (one per process); the in-process store gives the same one (the clients of one process
   * share a key's pacer).
   */
  make(config: KeyPacerConfig, count: number): KeyPacer[] | Promise<KeyPacer[]>;
  /** Resolves once the pacers have finished what they started (a round trip to a store). */
  settle(pacers: KeyPacer[]): Promise<void>;
}

/** The pacers of one key on a fresh virtual clock, jitter off so that waits are exact. */
export interface Fixture {
  pacers: KeyPacer[];
  /** The first pacer. */
  pacer: KeyPacer;
  clock: VirtualClock;
  /** Moves virtual time by `ms`, letting the pacers act on every timer on the way. */
  advance(ms: number): Promise<void>;
  /** Moves virtual time until no timer is left. */
  runUntilIdle(): Promise<void>;
  /** Lets the pacers finish what they started. */
  settle(): Promise<void>;
}

/**
 * The contract every `KeyPacer` keeps, whatever store holds its state: one suite, run against each
 * implementation (the in-process pacer, the Redis store), as undici runs one suite against every
 * cache store. Everything here goes through the `KeyPacer` interface on virtual time.
 */
export function describeKeyPacerContract(name: string, harness: PacerHarness): void {
  async function fixture(
    limits: Limit[],
    options: { probeFirst?: boolean; capMs?: number; jitterMs?: number; count?: number } = {},
  ): Promise<Fixture> {
    const clock = createVirtualClock(T0);
    const pacers = await harness.make(
      {
        limits,
        probeFirst: options.probeFirst ?? false,
        backoff: {
          baseMs: 1000,
          capMs: options.capMs ?? 60_000,
          factor: 2,
          retryAfterJitterMs: options.jitterMs ?? 0,
        },
        clock,
        random: () => 0.5,
      },
      options.count ?? 2,
    );
    const settle = () => harness.settle(pacers);
    const runTo = async (target: number) => {
      for (;;) {
        await settle();
        const next = clock.nextTimerAt();
        if (next === undefined || !Number.isFinite(next) || next > target) break;
        await clock.advanceTo(Math.max(next, clock.now()));
      }
      if (Number.isFinite(target)) await clock.advanceTo(target);
      await settle();
    };
    return {
      pacers,
      pacer: pacers[0]!,
      clock,
      settle,
      advance: (ms) => runTo(clock.now() + ms),
      runUntilIdle: () => runTo(Number.POSITIVE_INFINITY),
    };
  }

  /** Records when each permit came, on the virtual clock, and what `onWait` said. */
  function recorder(clock: VirtualClock) {
    const grants: { id: number; at: number; permit: Permit }[] = [];
    return {
      grants,
      track(id: number, promise: Promise<Permit>) {
        return promise.then((permit) => {
          grants.push({ id, at: clock.now(), permit });
          return permit;
        });
      },
    };
  }

  describe(`${name}: the KeyPacer contract`, () => {
    describe("local rolling windows", () => {
      it("grants `limit` at once, then one more as each response ages out of the window", async () => {
        const f = await fixture([{ limit: 3, windowMs: 1000 }]);
        const rec = recorder(f.clock);
        const all = [0, 1, 2, 3, 4].map((id) =>
          rec.track(id, f.pacers[id % f.pacers.length]!.acquire()).then((p) => p.release(ok())),
        );
        await f.runUntilIdle();
        await Promise.all(all);
        expect(rec.grants.map((g) => g.at - T0)).toEqual([0, 0, 0, 1000, 1000]);
      });

      it("ages a send from its response's arrival, not from its grant", async () => {
        const f = await fixture([{ limit: 1, windowMs: 1000 }]);
        const first = await f.pacer.acquire();
        await f.advance(400);
        first.release(ok());
        const rec = recorder(f.clock);
        const second = rec.track(1, f.pacers.at(-1)!.acquire());
        await f.runUntilIdle();
        await second;
        expect(rec.grants[0]!.at - T0).toBe(1400);
      });

      it("waits for an in-flight response when the window is full of sends still in flight", async () => {
        const f = await fixture([{ limit: 1, windowMs: 1000 }]);
        const first = await f.pacer.acquire();
        let granted = false;
        const second = f.pacers
          .at(-1)!
          .acquire()
          .then((p) => {
            granted = true;
            return p;
          });
        await f.advance(5000);
        expect(granted).toBe(false);
        first.release(ok());
        await f.advance(999);
        expect(granted).toBe(false);
        await f.advance(1);
        await second;
        expect(granted).toBe(true);
      });

      it("gives back the slot of a response the server did not count, and of a request never sent", async () => {
        const f = await fixture([{ limit: 1, windowMs: 60_000 }]);
        (await f.pacer.acquire()).release({ ...ok(), status: 401, counted: false });
        await f.settle();
        (await f.pacers.at(-1)!.acquire()).release({ kind: "unsent" });
        await f.settle();
        const third = await f.pacer.acquire();
        expect(f.clock.now()).toBe(T0);
        third.release(ok());
        await f.settle();
        expect(f.pacer.nextSendAt()).toBe(T0 + 60_000);
      });

      it("counts a send that failed in flight: the server may have processed it", async () => {
        const f = await fixture([{ limit: 1, windowMs: 60_000 }]);
        (await f.pacer.acquire()).release({ kind: "failed" });
        await f.settle();
        const next = f.pacers.at(-1)!.acquire({ deadline: T0 + 120_000 });
        await f.runUntilIdle();
        expect((await next).grantedAt).toBe(T0 + 60_000);
      });

      it("honours every window at once (burst and main)", async () => {
        const f = await fixture([
          { limit: 5, windowMs: 10_000 },
          { limit: 2, windowMs: 1000 },
        ]);
        const rec = recorder(f.clock);
        const all = Array.from({ length: 7 }, (_, id) =>
          rec.track(id, f.pacers[id % f.pacers.length]!.acquire()).then((p) => p.release(ok())),
        );
        await f.runUntilIdle();
        await Promise.all(all);
        expect(rec.grants.map((g) => g.at - T0)).toEqual([0, 0, 1000, 1000, 2000, 10_000, 10_000]);
      });

      it("serves one pacer's waiters in FIFO order", async () => {
        const f = await fixture([{ limit: 1, windowMs: 100 }]);
        const rec = recorder(f.clock);
        const all = Array.from({ length: 20 }, (_, id) =>
          rec.track(id, f.pacer.acquire()).then((p) => p.release(ok())),
        );
        await f.runUntilIdle();
        await Promise.all(all);
        expect(rec.grants.map((g) => g.id)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      });
    });

    describe("the gate", () => {
      it("after a 429 with Retry-After, sends nothing of the key before it has passed — queued requests included", async () => {
        const f = await fixture([{ limit: 100, windowMs: 1000 }]);
        const first = await f.pacer.acquire();
        const queued = recorder(f.clock);
        const waiting = [1, 2, 3].map((id) => queued.track(id, f.pacers.at(-1)!.acquire()));
        await f.settle();
        const result = first.release(tooMany(5000));
        expect(result.gate).toEqual({ waitMs: 5000, reason: "retry-after" });
        await f.settle();
        const later = recorder(f.clock);
        const afterGate = [4, 5].map((id) => later.track(id, f.pacers[id % f.pacers.length]!.acquire()));
        await f.advance(4999);
        expect(later.grants).toHaveLength(0);
        await f.advance(1);
        // One send tries the server first; the others follow as soon as it gets through.
        expect(later.grants.map((g) => g.at - T0)).toEqual([5000]);
        later.grants[0]!.permit.release(ok());
        await Promise.all([...waiting, ...afterGate]);
        expect(later.grants.map((g) => g.at - T0)).toEqual([5000, 5000]);
      });

      it("after the gate reopens, a success counted against a named bucket lets every waiting request go", async () => {
        const f = await fixture([{ limit: 100, windowMs: 60_000 }]);
        // Refused with no bucket named: the key's gate closes.
        (await f.pacer.acquire()).release(tooMany(1000));
        const rec = recorder(f.clock);
        const waiting = [0, 1, 2, 3].map((id) => rec.track(id, f.pacers[id % f.pacers.length]!.acquire()));
        await f.advance(1000);
        expect(rec.grants).toHaveLength(1);
        // The answer names its bucket (GitHub's `core`): the key's gate learns it got through too.
        rec.grants[0]!.permit.release(ok({ name: "core", limit: 100, remaining: 90, resetMs: 60_000 }));
        await Promise.all(waiting);
        expect(rec.grants.map((g) => g.at - T0)).toEqual([1000, 1000, 1000, 1000]);
      });

      it("after the gate reopens, a server still refusing refuses one send, not every one that waited", async () => {
        const f = await fixture([{ limit: 100, windowMs: 1000 }]);
        (await f.pacer.acquire()).release(tooMany(1000));
        const rec = recorder(f.clock);
        const waiting = [0, 1, 2, 3, 4].map((id) => rec.track(id, f.pacers[id % f.pacers.length]!.acquire()));
        await f.advance(1000);
        expect(rec.grants.map((g) => g.at - T0)).toEqual([1000]);
        // Refused again: the gate closes again (its wait doubled), and still only one goes after it.
        expect(rec.grants[0]!.permit.release(tooMany(1000)).gate?.waitMs).toBe(2000);
        await f.advance(2000);
        expect(rec.grants.map((g) => g.at - T0)).toEqual([1000, 3000]);
        rec.grants[1]!.permit.release(ok());
        await Promise.all(waiting);
        expect(rec.grants.map((g) => g.at - T0)).toEqual([1000, 3000, 3000, 3000, 3000]);
      });

      it("treats 429s answering sends granted before the gate closed as one episode, and doubles on the next", async () => {
        const f = await fixture([{ limit: 100, windowMs: 1000 }], { capMs: 3_600_000 });
        const headers = { limit: 100, remaining: 0, resetMs: 1000 };
        const a = await f.pacer.acquire();
        const b = await f.pacers.at(-1)!.acquire();
        expect(a.release(tooMany(1000, headers)).gate?.waitMs).toBe(1000);
        await f.settle();
        expect(b.release(tooMany(1000, headers)).gate?.waitMs).toBe(1000);
        await f.advance(1000);
        const c = await f.pacer.acquire();
        expect(c.release(tooMany(1000, headers)).gate?.waitMs).toBe(2000);
        await f.advance(2000);
        const d = await f.pacers.at(-1)!.acquire();
        d.release(ok());
        await f.settle();
        const e = await f.pacer.acquire();
        expect(e.release(tooMany(1000, headers)).gate?.waitMs).toBe(1000);
      });

      it("never shortens a Retry-After: jitter is only ever added", async () => {
        const f = await fixture([{ limit: 100, windowMs: 1000 }], { jitterMs: 250 });
        const permit = await f.pacer.acquire();
        const wait = permit.release(tooMany(3_600_000)).gate!.waitMs;
        expect(wait).toBeGreaterThanOrEqual(3_600_000);
        expect(wait).toBeLessThanOrEqual(3_600_250);
      });

      it("without Retry-After, waits for RateLimit-Reset", async () => {
        const f = await fixture([{ limit: 100, windowMs: 1000 }]);
        const permit = await f.pacer.acquire();
        expect(permit.release(tooMany(undefined, { remaining: 0, resetMs: 7000 })).gate).toEqual({
          waitMs: 7000,
          reason: "reset",
        });
      });

      it("fails at once with the time to come back when the gate opens after the caller's deadline", async () => {
        const f = await fixture([{ limit: 100, windowMs: 1000 }]);
        (await f.pacer.acquire()).release(tooMany(3_600_000));
        await f.settle();
        const refusal = await f.pacers
          .at(-1)!
          .acquire({ deadline: T0 + 60_000 })
          .catch((e: unknown) => e);
        expect(refusal).toBeInstanceOf(PacerDeadlineError);
        expect(refusal).toMatchObject({ reason: "gate", retryAfterMs: 3_600_000, retryAt: T0 + 3_600_000 });
        expect(f.clock.now()).toBe(T0);
      });

      it("counts a gate that opens exactly at the deadline as too late: a send then could not be answered in time", async () => {
        const f = await fixture([{ limit: 1, windowMs: 1000 }]);
        (await f.pacer.acquire()).release(tooMany(60_000));
        await f.settle();
        const alone = await f.pacer.acquire({ deadline: T0 + 60_000 }).catch((e: unknown) => e);
        expect(alone).toMatchObject({ reason: "gate", retryAfterMs: 60_000, retryAt: T0 + 60_000 });
        expect(alone).toBeInstanceOf(PacerDeadlineError);
        // A millisecond more is in time.
        const waiting = f.pacer.acquire({ deadline: T0 + 60_001 });
        await f.advance(60_000);
        const head = await waiting;
        // Queued behind the head, which holds the one slot: refused when its time comes to equal the deadline.
        const queued = f.pacer.acquire({ deadline: T0 + 61_000 }).catch((e: unknown) => e);
        const later = f.pacer.acquire({ deadline: T0 + 61_001 });
        head.release(ok());
        await f.settle();
        expect(await queued).toMatchObject({ reason: "window", retryAt: T0 + 61_000 });
        await f.advance(1_000);
        expect((await later).grantedAt).toBe(T0 + 61_000);
      });

      it("fails queued waiters whose deadline a new 429 puts out of reach, and keeps the others", async () => {
        const f = await fixture([{ limit: 1, windowMs: 1000 }]);
        const first = await f.pacer.acquire();
        const short = f.pacer.acquire({ deadline: T0 + 2000 }).catch((e: unknown) => e);
        const long = f.pacer.acquire({ deadline: T0 + 100_000 });
        await f.settle();
        first.release(tooMany(30_000));
        await f.settle();
        expect(await short).toBeInstanceOf(PacerDeadlineError);
        await f.advance(30_000);
        expect((await long).grantedAt).toBe(T0 + 30_000);
      });
    });

    describe("the server's budget", () => {
      it("sends one probe first and holds the rest, in every process, until a response brings headers", async () => {
        const f = await fixture([{ limit: 100, windowMs: 60_000 }], { probeFirst: true });
        const probe = await f.pacer.acquire();
        expect(probe.probe).toBe(true);
        let second = false;
        const next = f.pacers
          .at(-1)!
          .acquire()
          .then((p) => {
            second = true;
            return p;
          });
        await f.advance(10_000);
        expect(second).toBe(false);
        probe.release(ok({ limit: 100, remaining: 99, resetMs: 60_000 }));
        await f.advance(0);
        expect((await next).probe).toBe(false);
      });

      it("spends exactly the remaining budget, then probes the next window once", async () => {
        const f = await fixture([{ limit: 100, windowMs: 60_000 }], { probeFirst: true });
        (await f.pacer.acquire()).release(ok({ limit: 100, remaining: 3, resetMs: 20_000 }));
        await f.settle();
        const rec = recorder(f.clock);
        const permits = [1, 2, 3, 4, 5].map((id) => rec.track(id, f.pacers[id % f.pacers.length]!.acquire()));
        await f.advance(0);
        expect(rec.grants.map((g) => g.at - T0)).toEqual([0, 0, 0]);
        await f.advance(19_999);
        expect(rec.grants).toHaveLength(3);
        await f.advance(1);
        // Our four sends do not explain the 97 the server had counted: the next window may hold
        // another client's sends, so one probe asks before the rest go.
        expect(rec.grants.map((g) => g.at - T0)).toEqual([0, 0, 0, 20_000]);
        const probe = rec.grants[3]!.permit;
        expect(probe.probe).toBe(true);
        await f.advance(5);
        probe.release(ok({ limit: 100, remaining: 99, resetMs: 60_000 }));
        await Promise.all(permits);
        expect(rec.grants.map((g) => g.at - T0)).toEqual([0, 0, 0, 20_000, 20_005]);
      });

      it("counts sends made after the observed request as already spent", async () => {
        const f = await fixture([{ limit: 100, windowMs: 60_000 }]);
        const first = await f.pacer.acquire();
        const inFlight = [await f.pacers.at(-1)!.acquire(), await f.pacer.acquire()];
        first.release(ok({ limit: 100, remaining: 2, resetMs: 30_000 }));
        await f.settle();
        expect(f.pacer.nextSendAt()).toBe(T0 + 30_000);
        inFlight[0]!.release(ok({ limit: 100, remaining: 1, resetMs: 30_000 }));
        await f.settle();
        expect(f.pacers.at(-1)!.nextSendAt()).toBe(T0 + 30_000);
      });

      it("lets a fresh server budget override the local window it describes (a fixed window that reset)", async () => {
        const f = await fixture([{ limit: 2, windowMs: 60_000 }]);
        (await f.pacer.acquire()).release(ok({ limit: 2, remaining: 1, resetMs: 1000 }));
        await f.settle();
        (await f.pacers.at(-1)!.acquire()).release(ok({ limit: 2, remaining: 0, resetMs: 1000 }));
        await f.advance(1000);
        // The local log holds two sends of the last minute; the server says its window reset: probe.
        const probe = await f.pacer.acquire();
        expect(probe.probe).toBe(true);
        probe.release(ok({ limit: 2, remaining: 1, resetMs: 60_000 }));
        await f.settle();
        const after = await f.pacers.at(-1)!.acquire();
        expect(after.grantedAt).toBe(T0 + 1000);
      });

      it("does not wait a rounded reset when a burst aged out during the round trip (a rolling server turning over)", async () => {
        // A rolling server of 4 per second: sends at 0, 1, 2, 3 ms, each answered at once.
        const f = await fixture([{ limit: 4, windowMs: 1000 }]);
        for (const [i, remaining] of [3, 2, 1, 0].entries()) {
          (await f.pacers[i % f.pacers.length]!.acquire()).release(
            ok({ limit: 4, remaining, resetMs: 1000 }),
          );
          await f.advance(1);
        }
        await f.advance(996);
        // At 1000 ms the first send has aged out: one more goes, and the server, which counts it at
        // once, still holds the sends of 1, 2 and 3 ms ("0 left, reset in 1 s": 1 ms, rounded up).
        const next = await f.pacer.acquire();
        expect(next.grantedAt).toBe(T0 + 1000);
        await f.advance(20);
        next.release(ok({ limit: 4, remaining: 0, resetMs: 1000 }));
        await f.settle();
        // Its answer, 20 ms later, comes after those three aged out: our sends explain the server's
        // count, so the exact log decides: three free now, not a wait until 2020 ms.
        expect(f.pacer.nextSendAt()).toBe(T0 + 1020);
      });

      it("takes RateLimit-Limit over the configured limit", async () => {
        const f = await fixture([{ limit: 1000, windowMs: 60_000 }]);
        (await f.pacer.acquire()).release(ok({ limit: 2, remaining: 1, resetMs: 1 }));
        await f.advance(1);
        // The budget is stale and the headers said 2 per window: the local log allows one more, and
        // with 1000 per window it would allow hundreds.
        (await f.pacers.at(-1)!.acquire()).release(ok());
        await f.settle();
        expect(f.pacers.at(-1)!.nextSendAt()).toBe(T0 + 60_000);
      });
    });

    describe("learning a lower limit without headers", () => {
      /**
       * 4 sends 100 ms apart under 10 per 10 s, the fifth refused with `retryAfterMs` (and counted, as
       * CampOne counts 429s); once the wait has passed, 5 more: when each was granted.
       */
      async function sendsAfterRefusal(retryAfterMs: number): Promise<number[]> {
        const f = await fixture([{ limit: 10, windowMs: 10_000 }]);
        for (let i = 0; i < 4; i++) {
          (await f.pacers[i % f.pacers.length]!.acquire()).release(ok());
          await f.advance(100);
        }
        (await f.pacer.acquire()).release(tooMany(retryAfterMs));
        await f.advance(retryAfterMs);
        const rec = recorder(f.clock);
        const next = [0, 1, 2, 3, 4].map((id) =>
          rec.track(id, f.pacers[id % f.pacers.length]!.acquire()).then((p) => p.release(ok())),
        );
        await f.runUntilIdle();
        await Promise.all(next);
        return rec.grants.map((g) => g.at);
      }

      it("lowers the local limit to what the window held when a 429 comes from a server without headers", async () => {
        // The operator's real limit was 4: the server frees a slot when our first send leaves its window.
        const sends = await sendsAfterRefusal(9600);
        // Never more than 4 in any 10 s from now on.
        for (const at of sends)
          expect(sends.filter((t) => t > at - 10_000 && t <= at).length).toBeLessThanOrEqual(4);
      });

      it("keeps the limit when the 429's Retry-After is far shorter than a window full of our sends would say", async () => {
        // A moment's refusal (a gateway's, another client's): our sends free nothing for 9.6 s, the
        // server says 1 s. The window held 4 of ours, which is no limit to learn: the five fit the
        // configured 10 (4 + the refused one + 5) as soon as the gate opens.
        expect(await sendsAfterRefusal(1000)).toEqual(Array(5).fill(T0 + 1400));
      });
    });

    describe("the budget", () => {
      it("counts a configured window's sends: remaining is the limit less them, resetAt the first's arrival plus the window", async () => {
        const f = await fixture([{ limit: 10, windowMs: 60_000 }]);
        for (let i = 0; i < 3; i++) {
          (await f.pacers[i % f.pacers.length]!.acquire()).release(ok());
          await f.advance(1000);
        }
        const last = f.pacers[2 % f.pacers.length]!;
        expect(last.budget()).toEqual({
          limits: [{ limit: 10, remaining: 7, resetAt: T0 + 60_000, windowMs: 60_000, source: "local" }],
          waiting: 0,
          inFlight: 0,
          nextSendAt: T0 + 3000,
        });
        // A send in flight is spent already; the first send's slot comes back a window after it arrived.
        const held = await last.acquire();
        await f.settle();
        expect(last.budget()).toMatchObject({ limits: [{ remaining: 6 }], inFlight: 1 });
        await f.advance(57_000);
        expect(last.budget().limits).toEqual([
          { limit: 10, remaining: 7, resetAt: T0 + 61_000, windowMs: 60_000, source: "local" },
        ]);
        held.release(ok());
      });

      it("lists every configured window, and says nothing comes back while the only sends are in flight", async () => {
        const f = await fixture([
          { limit: 5, windowMs: 10_000 },
          { limit: 1, windowMs: 1000 },
        ]);
        const held = await f.pacer.acquire();
        const queued = f.pacer.acquire();
        await f.settle();
        expect(f.pacer.budget()).toEqual({
          limits: [
            { limit: 5, remaining: 4, resetAt: undefined, windowMs: 10_000, source: "local" },
            { limit: 1, remaining: 0, resetAt: undefined, windowMs: 1000, source: "local" },
          ],
          waiting: 1,
          inFlight: 1,
          nextSendAt: Number.POSITIVE_INFINITY,
        });
        held.release(ok());
        await f.advance(1000);
        (await queued).release(ok());
      });

      it("takes the server's remaining, less the sends it cannot have counted yet, in place of the window it describes", async () => {
        const f = await fixture([{ limit: 100, windowMs: 60_000 }]);
        const first = await f.pacer.acquire();
        const later = [await f.pacers.at(-1)!.acquire(), await f.pacer.acquire()];
        first.release(ok({ limit: 100, remaining: 40, resetMs: 30_000 }));
        await f.settle();
        const server = { limit: 100, resetAt: T0 + 30_000, windowMs: 60_000, source: "server" };
        expect(f.pacer.budget()).toMatchObject({ limits: [{ ...server, remaining: 38 }], inFlight: 2 });
        // The lowest figure of the window is the server's latest word: one counted before it says more.
        later[0]!.release(ok({ limit: 100, remaining: 39, resetMs: 30_000 }));
        await f.settle();
        later[1]!.release(ok({ limit: 100, remaining: 41, resetMs: 30_000 }));
        await f.settle();
        expect(f.pacer.budget()).toMatchObject({ limits: [{ ...server, remaining: 39 }], inFlight: 0 });
        // The server's window has ended: its figure is stale, and our three sends are what is known.
        await f.advance(30_000);
        expect(f.pacer.budget().limits).toEqual([
          { limit: 100, remaining: 97, resetAt: T0 + 60_000, windowMs: 60_000, source: "local" },
        ]);
      });

      it("names each quota the server names", async () => {
        const f = await fixture([]);
        const core = { name: "core", unit: "requests", limit: 5000, remaining: 4990, resetMs: 3_600_000 };
        (await f.pacer.acquire()).release(
          ok({ name: "core", limit: 5000, remaining: 4990, resetMs: 3_600_000, quotas: [core] }),
        );
        await f.settle();
        expect(f.pacer.budget().limits).toEqual([
          {
            name: "core",
            limit: 5000,
            remaining: 4990,
            resetAt: T0 + 3_600_000,
            windowMs: 3_600_000,
            source: "server",
          },
        ]);
      });

      it("tells when a spent refilling bucket's next token comes: the moment the key may send", async () => {
        const f = await fixture([]);
        const quota = { unit: "requests", limit: 60, remaining: 0, resetMs: 60_000, refills: true };
        (await f.pacer.acquire()).release(ok({ limit: 60, remaining: 0, resetMs: 60_000, quotas: [quota] }));
        await f.settle();
        const budget = f.pacer.budget();
        expect(budget.limits).toMatchObject([{ limit: 60, remaining: 0, source: "server" }]);
        expect(budget.limits[0]!.resetAt).toBeGreaterThan(T0);
        expect(budget.limits[0]!.resetAt).toBe(budget.nextSendAt);
      });
    });

    describe("waiting and aborting", () => {
      it("tells a request that waits why, and for how long when it is known", async () => {
        const f = await fixture([{ limit: 1, windowMs: 1000 }]);
        const held = await f.pacer.acquire();
        held.release(ok());
        await f.settle();
        const waits: WaitInfo[] = [];
        const next = f.pacers.at(-1)!.acquire({ onWait: (info) => waits.push(info) });
        await f.settle();
        expect(waits).toEqual([{ reason: "window", ms: 1000 }]);
        await f.advance(1000);
        await next;
      });

      it("removes an aborted waiter, rejects with the signal's reason, and keeps the others' order", async () => {
        const f = await fixture([{ limit: 1, windowMs: 1000 }]);
        const rec = recorder(f.clock);
        const controllers = [0, 1, 2, 3].map(() => new AbortController());
        const calls = controllers.map((c, id) =>
          rec.track(id, f.pacer.acquire({ signal: c.signal })).then((p) => p.release(ok())),
        );
        const reason = new Error("stop");
        controllers[1]!.abort(reason);
        await expect(calls[1]).rejects.toBe(reason);
        await f.runUntilIdle();
        await Promise.all([calls[0], calls[2], calls[3]]);
        expect(rec.grants.map((g) => [g.id, g.at - T0])).toEqual([
          [0, 0],
          [2, 1000],
          [3, 2000],
        ]);
        expect(f.pacer.waiting).toBe(0);
      });

      it("rejects at once on an already aborted signal", async () => {
        const f = await fixture([{ limit: 1, windowMs: 1000 }]);
        const reason = new Error("gone");
        await expect(f.pacer.acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      });

      it("ignores a second release of the same permit", async () => {
        const f = await fixture([{ limit: 1, windowMs: 1000 }]);
        const permit = await f.pacer.acquire();
        permit.release({ kind: "unsent" });
        permit.release(ok());
        await f.settle();
        expect(f.pacer.nextSendAt()).toBe(T0);
      });
    });
  });
}
