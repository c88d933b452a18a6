import type { BudgetLimit } from "./budget.js";

/**
 * Room the ring starts with. It grows (doubling) up to `limit` as sends are counted, so a limit that
 * a server announced, however large (`RateLimit-Limit: 999999999999999`), costs memory
 * only for the sends actually made; allocating `limit` slots up front threw `Invalid array length`.
 */
const INITIAL_CAPACITY = 64;

/**
 * Sends logged one by one, at most: more than any limit an API documents (CampOne's 1,000 an hour,
 * BoothZen's 600 a minute), 128 KB per window. Under a larger limit (a million a minute, or a
 * hostile `RateLimit-Limit`) the log would otherwise keep every send of the window: megabytes per
 * key at a few thousand requests a second, gigabytes over an hour's window.
 */
export const MAX_LOGGED = 16_384;

/** A window's state as plain data: its sends' arrivals, oldest first. */
export interface RollingWindowState {
  limit: number;
  windowMs: number;
  times: number[];
  inFlight: number;
  unlogged: number;
  unloggedUntil: number;
}

/**
 * One `limit per windowMs` rule kept as an exact rolling log of the key's last `limit` sends.
 *
 * Exact up to `maxLogged` sends in the window. Beyond it, the oldest are no longer logged one by
 * one but counted, and the count ages as its newest member does: they leave the window together,
 * no sooner than the last of them really does. So a window holding more than `maxLogged` sends may
 * free its slots later than the exact log would, never sooner.
 *
 * A send is "in flight" from the moment it is granted until its response arrives; from then on
 * it ages from the arrival time, the latest moment the server can have counted it. Ageing from
 * the send time instead would let a slow first request and a fast second one fall into a single
 * server window. "At most `limit` sends in any `windowMs`" measured this way is safe whatever
 * the server counts with: fixed windows, rolling windows or token buckets (docs/pacing.md).
 */
export class RollingWindow {
  /** Arrival times of counted sends, oldest first; a ring of capacity `times.length` ≤ min(`limit`, `maxLogged`). */
  private times: number[];
  private head = 0;
  private size = 0;
  private inFlight = 0;
  /** Counted sends older than every logged one, no longer logged for room (`maxLogged`). */
  private unlogged = 0;
  /** The arrival of the newest of them: when they all leave the window. */
  private unloggedUntil = Number.NEGATIVE_INFINITY;

  constructor(
    private limitValue: number,
    readonly windowMs: number,
    private readonly maxLogged = MAX_LOGGED,
  ) {
    this.times = new Array<number>(Math.min(limitValue, maxLogged, INITIAL_CAPACITY));
  }

  static from(state: RollingWindowState, maxLogged = MAX_LOGGED): RollingWindow {
    const window = new RollingWindow(state.limit, state.windowMs, maxLogged);
    for (const t of state.times) window.push(t);
    window.inFlight = state.inFlight;
    window.setUnlogged(state.unlogged, state.unloggedUntil);
    return window;
  }

  toState(): RollingWindowState {
    const times: number[] = [];
    for (let i = 0; i < this.size; i++) times.push(this.at(i));
    return {
      limit: this.limitValue,
      windowMs: this.windowMs,
      times,
      inFlight: this.inFlight,
      unlogged: this.unlogged,
      unloggedUntil: this.unloggedUntil,
    };
  }

  get limit(): number {
    return this.limitValue;
  }

  /** Sends counted against this window at `now`: those in flight and those younger than the window. */
  used(now: number): number {
    this.expire(now);
    return this.inFlight + this.unlogged + this.size;
  }

  /**
   * The earliest moment a send would fit, `now` if it fits already, `Infinity` when only
   * responses still in flight can free a slot (their age starts when they arrive).
   */
  nextFreeAt(now: number): number {
    const over = this.used(now) - this.limitValue + 1;
    if (over <= 0) return now;
    if (over > this.unlogged + this.size) return Number.POSITIVE_INFINITY;
    if (over <= this.unlogged) return this.unloggedUntil + this.windowMs;
    return this.at(over - 1 - this.unlogged) + this.windowMs;
  }

  /** What is left of the window at `now`, and when its oldest counted send leaves it. */
  budget(now: number): BudgetLimit {
    const used = this.used(now);
    return {
      limit: this.limitValue,
      remaining: Math.max(0, this.limitValue - used),
      resetAt: this.oldestLeavesAt(),
      windowMs: this.windowMs,
      source: "local",
    };
  }

  reserve(): void {
    this.inFlight++;
  }

  /** The send's response arrived (or it failed in flight); `counted: false` gives its slot back. */
  complete(arrivedAt: number, counted: boolean): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (counted) this.push(arrivedAt);
  }

  /** A reserved send never left: its slot is free again. */
  cancel(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /** Counted sends still inside the window (in flight excluded). */
  countedSince(now: number): number {
    this.expire(now);
    return this.unlogged + this.size;
  }

  /** Logged sends that arrived after `from` and no later than `to` (arrivals are logged in order). */
  arrivedBetween(from: number, to: number): number {
    let count = 0;
    for (let i = this.size - 1; i >= 0; i--) {
      const t = this.at(i);
      if (t <= from) break;
      if (t <= to) count++;
    }
    return count;
  }

  /** The same log over another window length: the sends it holds age out over `windowMs` from now on. */
  withWindow(windowMs: number): RollingWindow {
    return RollingWindow.from({ ...this.toState(), windowMs }, this.maxLogged);
  }

  /** Replaces the limit (a server's `RateLimit-Limit`, or one learned from a 429), keeping the newest entries. */
  setLimit(limit: number): void {
    if (limit === this.limitValue) return;
    const kept: number[] = [];
    for (let i = Math.max(0, this.size - limit); i < this.size; i++) kept.push(this.at(i));
    const capacity = Math.min(limit, this.maxLogged);
    this.times = new Array<number>(Math.min(capacity, Math.max(kept.length, INITIAL_CAPACITY)));
    for (let i = 0; i < kept.length; i++) this.times[i] = kept[i]!;
    this.head = 0;
    this.size = kept.length;
    this.setUnlogged(Math.min(this.unlogged, limit - kept.length));
    this.limitValue = limit;
  }

  /** When the oldest counted send leaves the window; undefined when none is counted (in flight only). */
  oldestLeavesAt(): number | undefined {
    if (this.unlogged > 0) return this.unloggedUntil + this.windowMs;
    return this.size > 0 ? this.at(0) + this.windowMs : undefined;
  }

  private at(i: number): number {
    return this.times[(this.head + i) % this.times.length]!;
  }

  private push(t: number): void {
    if (this.unlogged + this.size === this.limitValue) {
      // Full: the oldest send is dropped; with `limit` younger sends it can never decide anything.
      if (this.unlogged > 0) this.setUnlogged(this.unlogged - 1);
      else this.dropOldestLogged();
    }
    if (this.size === this.times.length) {
      if (this.times.length < Math.min(this.limitValue, this.maxLogged)) {
        this.grow();
      } else {
        // The log is at its most: its oldest entry is counted instead, newer than those already.
        this.setUnlogged(this.unlogged + 1, this.times[this.head]!);
        this.dropOldestLogged();
      }
    }
    this.times[(this.head + this.size) % this.times.length] = t;
    this.size++;
  }

  private dropOldestLogged(): void {
    this.head = (this.head + 1) % this.times.length;
    this.size--;
  }

  private setUnlogged(count: number, newest = this.unloggedUntil): void {
    this.unlogged = count;
    this.unloggedUntil = count === 0 ? Number.NEGATIVE_INFINITY : newest;
  }

  /** Doubles the ring's room, at most to `limit` and `maxLogged`, oldest entry first. */
  private grow(): void {
    const room = Math.min(this.limitValue, this.maxLogged, Math.max(1, this.times.length * 2));
    const grown = new Array<number>(room);
    for (let i = 0; i < this.size; i++) grown[i] = this.at(i);
    this.times = grown;
    this.head = 0;
  }

  private expire(now: number): void {
    const horizon = now - this.windowMs;
    // The unlogged sends are older than every logged one: they leave first, all together.
    if (this.unlogged > 0 && this.unloggedUntil <= horizon) this.setUnlogged(0);
    while (this.size > 0 && this.times[this.head]! <= horizon) this.dropOldestLogged();
  }
}
