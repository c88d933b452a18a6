/**
 * A `Clock` whose time only moves when told to, so that an hour of pacing runs in milliseconds and
 * the same test always sees the same schedule. Tests of the library use it;
 * users can use it to test their own integrations.
 *
 * Timers live in one binary heap ordered by (due time, registration order); an abort marks its
 * timer dead and the heap drops it lazily, so thousands of waiters cost O(log n) each.
 */
import type { Clock } from "./clock.js";

/** A `Clock` driven by hand (`advance`, `advanceTo`, `runUntilIdle`) or by itself (`autoAdvance`). */
export interface VirtualClock extends Clock {
  /**
   * The current virtual time, in milliseconds. Never goes backwards.
   * @example
   * ```ts
   * clock.now(); // where advance() left it
   * ```
   */
  now(): number;
  /**
   * Registers a virtual timer due at `now() + ms` and resolves when virtual time reaches it.
   * `ms` of 0, less, or NaN is due at the current time: it still waits for the next `advance`
   * (or the auto-advance driver), as a real `setTimeout(fn, 0)` waits for the next turn.
   * `Infinity` never fires (but counts as pending and can be aborted), as with the real clock.
   * Rejects with `signal.reason` when `signal` aborts, and frees the timer; rejects at once,
   * registering nothing, when `signal` is already aborted.
   * @example
   * ```ts
   * const woke = clock.sleep(1_000);
   * await clock.advance(1_000);
   * await woke;
   * ```
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Moves virtual time forward by `ms`, firing every timer due on the way in time order (FIFO for
   * equal times). Between two firings it lets the event loop run a few turns (microtasks and
   * `setImmediate` callbacks), so code that wakes from one sleep and sleeps again within the
   * interval is fired too. Each timer fires with `now()` equal to its due time. Calls are
   * serialized: a second `advance` starts where the first one ended.
   * @param ms milliseconds; a finite number ≥ 0, else `RangeError`.
   * @example
   * ```ts
   * await clock.advance(3_600_000); // an hour passes: every timer due in it fires, in order
   * ```
   */
  advance(ms: number): Promise<void>;
  /**
   * Like `advance`, up to the absolute virtual time `timeMs`. A time in the past leaves the clock
   * where it is (time never goes backwards) but still lets pending work run.
   * @param timeMs absolute virtual time in milliseconds; finite, else `RangeError`.
   * @example
   * ```ts
   * await clock.advanceTo(Date.UTC(2026, 0, 1, 12)); // noon, virtually
   * ```
   */
  advanceTo(timeMs: number): Promise<void>;
  /**
   * Fires timers, in order, until none is left that could fire (timers of `Infinity` never can),
   * or until the next one is due more than `limitMs` after the current time; in that case the
   * clock stops at exactly `now() + limitMs`. Otherwise it stops at the due time of the last timer
   * fired. Throws a `RangeError` after a million firings without becoming idle, which is almost
   * always a loop that re-arms a timer forever: pass `limitMs` for those.
   * @param limitMs how far virtual time may move, in milliseconds. @default Infinity
   * @returns the number of timers fired.
   * @example
   * ```ts
   * const fired = await clock.runUntilIdle(60_000); // at most a minute of virtual time
   * ```
   */
  runUntilIdle(limitMs?: number): Promise<number>;
  /**
   * Timers registered and neither fired nor aborted yet (including `Infinity` ones).
   * @example
   * ```ts
   * if (clock.pendingTimers() > 0) throw new Error("something still waits");
   * ```
   */
  pendingTimers(): number;
  /**
   * Due time of the earliest timer that can fire, or `undefined` when there is none.
   * @example
   * ```ts
   * const at = clock.nextTimerAt();
   * if (at !== undefined) await clock.advanceTo(at); // fire the next timer, and only it
   * ```
   */
  nextTimerAt(): number | undefined;
  /**
   * Switches auto-advance mode. When on, whenever the process has nothing else to do — checked by
   * letting a few `setImmediate` turns pass; a timer registered meanwhile postpones the jump —
   * virtual time jumps to the earliest pending timer and fires it. One driver loop serves all
   * timers and runs only while timers exist, so an idle clock keeps no event-loop work alive.
   *
   * Real I/O in flight (a socket, a real `setTimeout`) is not seen by the idle check: auto-advance is
   * for code that waits only on this clock. A timer re-armed forever keeps the driver going; switch
   * the mode off at the end of such a test.
   * @param enabled `true` to drive time automatically, `false` to stop (timers then wait for `advance`).
   * @example
   * ```ts
   * clock.autoAdvance(true); // waits end as soon as nothing else runs
   * await client.get("/bookings");
   * clock.autoAdvance(false);
   * ```
   */
  autoAdvance(enabled: boolean): void;
}

/** Options of `createVirtualClock`. */
export interface VirtualClockOptions {
  /**
   * How many `setImmediate` turns are let pass between two firings, and in auto-advance mode
   * before deciding the process is idle. More turns see deeper chains of macrotasks; fewer run faster.
   * @default 5
   */
  idleTurns?: number;
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  /** Settled: fired or aborted. */
  done: boolean;
  fire: () => void;
}

/** Guard of `runUntilIdle` against timers re-armed forever. */
const MAX_IDLE_FIRINGS = 1_000_000;

/**
 * Creates a virtual clock starting at `startMs` milliseconds.
 * @param startMs the initial `now()`, in milliseconds. @default 0
 * @example
 * ```ts
 * import { createVirtualClock } from "pacekeeper/testing";
 *
 * const clock = createVirtualClock(Date.UTC(2026, 0, 1));
 * const client = createClient({ baseUrl, apiKey, dialect: campone(), clock }); // its waits are virtual
 * const call = client.get("/bookings");
 * await clock.runUntilIdle(); // an hour of pacing passes at once
 * ```
 */
export function createVirtualClock(startMs = 0, options: VirtualClockOptions = {}): VirtualClock {
  if (!Number.isFinite(startMs)) {
    throw new RangeError(`Expected \`startMs\` to be a finite number, got \`${startMs}\``);
  }
  const idleTurns = options.idleTurns ?? 5;
  if (!Number.isInteger(idleTurns) || idleTurns < 1) {
    throw new RangeError(`Expected \`idleTurns\` to be an integer from 1 and up, got \`${idleTurns}\``);
  }

  let now = startMs;
  let seq = 0;
  const heap = new TimerHeap();
  /** Timers of `Infinity`: never due, kept apart so that the heap only holds fireable ones. */
  const forever = new Set<Timer>();
  let live = 0;
  /** Bumped on every registration; the auto driver compares it across an idle check. */
  let registrations = 0;

  let auto = false;
  let driving = false;
  /** Manual operations (advance, advanceTo, runUntilIdle) run one after another. */
  let manualChain: Promise<unknown> = Promise.resolve();
  let manualPending = 0;

  const flush = async (): Promise<void> => {
    for (let i = 0; i < idleTurns; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  /** Fires the earliest timer if it is due at or before `limit`. */
  const fireNext = (limit: number): boolean => {
    const timer = heap.peek();
    if (timer === undefined || timer.at > limit) return false;
    heap.pop();
    live--;
    timer.done = true;
    if (timer.at > now) now = timer.at;
    timer.fire();
    return true;
  };

  const runTo = async (target: number): Promise<void> => {
    await flush();
    while (fireNext(target)) await flush();
    if (target > now) now = target;
  };

  const exclusive = <T>(operation: () => Promise<T>): Promise<T> => {
    manualPending++;
    const run = manualChain.then(operation);
    const settle = (): void => {
      manualPending--;
      wake();
    };
    manualChain = run.then(settle, settle);
    return run;
  };

  const drive = async (): Promise<void> => {
    try {
      while (auto) {
        if (manualPending > 0) {
          await manualChain;
          continue;
        }
        if (heap.peek() === undefined) break;
        const mark = registrations;
        await flush();
        // Something registered a timer while we waited: the process was not idle yet.
        if (!auto || manualPending > 0 || registrations !== mark) continue;
        fireNext(Number.POSITIVE_INFINITY);
      }
    } finally {
      driving = false;
    }
  };

  /** Starts the auto driver when it should run and does not; a no-op otherwise. */
  const wake = (): void => {
    if (!auto || driving || heap.peek() === undefined) return;
    driving = true;
    void drive();
  };

  const cancel = (timer: Timer): void => {
    timer.done = true;
    live--;
    if (!forever.delete(timer)) heap.remove(timer);
  };

  const checkFinite = (name: string, value: number, min = Number.NEGATIVE_INFINITY): void => {
    if (!Number.isFinite(value) || value < min) {
      const bound = min === Number.NEGATIVE_INFINITY ? "" : ` ≥ ${min}`;
      throw new RangeError(`Expected \`${name}\` to be a finite number${bound}, got \`${value}\``);
    }
  };

  return {
    now: () => now,

    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const delay = Number.isNaN(ms) || ms < 0 ? 0 : ms;
        const onAbort = (): void => {
          if (timer.done) return;
          cancel(timer);
          reject(signal?.reason);
        };
        const timer: Timer = {
          at: now + delay,
          seq: seq++,
          done: false,
          fire: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        if (timer.at === Number.POSITIVE_INFINITY) forever.add(timer);
        else heap.push(timer);
        live++;
        registrations++;
        signal?.addEventListener("abort", onAbort, { once: true });
        wake();
      });
    },

    advance(ms) {
      checkFinite("ms", ms, 0);
      return exclusive(() => runTo(now + ms));
    },

    advanceTo(timeMs) {
      checkFinite("timeMs", timeMs);
      return exclusive(() => runTo(timeMs));
    },

    runUntilIdle(limitMs = Number.POSITIVE_INFINITY) {
      if (Number.isNaN(limitMs) || limitMs < 0) {
        throw new RangeError(`Expected \`limitMs\` to be a number ≥ 0, got \`${limitMs}\``);
      }
      return exclusive(async () => {
        const limit = now + limitMs;
        let fired = 0;
        await flush();
        while (fireNext(limit)) {
          fired++;
          if (fired >= MAX_IDLE_FIRINGS) {
            throw new RangeError(
              `runUntilIdle fired ${fired} timers without becoming idle; a timer is probably re-armed forever: pass \`limitMs\``,
            );
          }
          await flush();
        }
        if (heap.peek() !== undefined && Number.isFinite(limit) && limit > now) now = limit;
        return fired;
      });
    },

    pendingTimers: () => live,

    nextTimerAt: () => heap.peek()?.at,

    autoAdvance(enabled) {
      auto = enabled;
      wake();
    },
  };
}

/** A binary min-heap of timers by (at, seq), with lazy removal of aborted timers. */
class TimerHeap {
  private items: Timer[] = [];
  private dead = 0;

  /** The earliest live timer, dropping dead ones from the top. */
  peek(): Timer | undefined {
    let top = this.items[0];
    while (top?.done) {
      this.pop();
      this.dead--;
      top = this.items[0];
    }
    return top;
  }

  push(timer: Timer): void {
    const items = this.items;
    items.push(timer);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!before(timer, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = timer;
  }

  /** Removes the top item, live or dead. */
  pop(): void {
    const items = this.items;
    const last = items.pop();
    if (last === undefined || items.length === 0) return;
    let i = 0;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(items[right]!, items[left]!)) child = right;
      const c = items[child]!;
      if (!before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
  }

  /** Marks `timer` (already flagged `done`) as dead; rebuilds the heap when dead ones dominate. */
  remove(_timer: Timer): void {
    this.dead++;
    if (this.dead > 64 && this.dead * 2 > this.items.length) {
      const liveItems = this.items.filter((t) => !t.done);
      this.items = [];
      this.dead = 0;
      for (const t of liveItems) this.push(t);
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
