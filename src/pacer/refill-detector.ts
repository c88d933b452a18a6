import type { BudgetObservation } from "./budget-observation.js";

/** Compare observations at least this many token-times apart, so the refill outgrows the noise. */
const SPAN_TOKENS = 8;

/**
 * Sends kept at most. Two windows of sends is what a verdict may need, but under a huge limit (a
 * million a minute, or a hostile `RateLimit-Limit`) that is millions of them, kept for as long as no
 * refill is seen — on a fixed or rolling window, forever. Beyond this many the oldest are dropped,
 * and a verdict that would have read one of them is "no refill".
 */
const MAX_KEPT = 4096;

/** The detector's state as plain data. */
export interface RefillDetectorState {
  anchor: BudgetObservation | undefined;
  granted: number[];
  arrived: number[];
  longestMs: number;
  droppedFrom: number;
  droppedUntil: number;
}

/**
 * Tells a server that refills continuously (a token bucket) from one that gives budget back only
 * at a window's reset or as old sends age out, from how `Remaining` moves between responses.
 *
 * Between an anchor observation `a` and a later one `b`, the server certainly counted every send
 * granted after `a` arrived and answered before `b` was sent, and `b` itself. Without a refill,
 * `b.remaining <= a.remaining - thoseSends - 1`. A higher `Remaining` means the server gave budget
 * back: a fixed window reset (its `Reset` jumps by about a window: excluded), a rolling window
 * ageing out old sends, or a token bucket refilling. The comparison is made only while none of
 * our sends can have aged out of the server's window in between — then nothing but a refill can
 * give back. That holds during a key's first window, when a bucket spends its initial burst,
 * which is exactly when the refill must be learned (before the budget is spent).
 */
export class RefillDetector {
  private anchor: BudgetObservation | undefined;
  /**
   * Counted sends of the last two windows, at most `maxKept`, in order of arrival (so `arrived` is
   * sorted), from `first` on: two arrays of numbers rather than one of objects, which the garbage
   * collector would have to walk.
   */
  private granted: number[] = [];
  private arrived: number[] = [];
  private first = 0;
  /** The longest a recorded send took from grant to arrival: bounds where a grant can be found. */
  private longestMs = 0;
  /**
   * The arrival times between which sends were dropped for room (`MAX_KEPT`), not for age: a
   * verdict that reads this span cannot be made. Empty (from > until) while none was.
   */
  private droppedFrom = Number.POSITIVE_INFINITY;
  private droppedUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxKept = MAX_KEPT) {}

  static from(state: RefillDetectorState, maxKept = MAX_KEPT): RefillDetector {
    const detector = new RefillDetector(maxKept);
    detector.anchor = state.anchor;
    detector.granted = [...state.granted];
    detector.arrived = [...state.arrived];
    detector.longestMs = state.longestMs;
    detector.droppedFrom = state.droppedFrom;
    detector.droppedUntil = state.droppedUntil;
    return detector;
  }

  toState(): RefillDetectorState {
    return {
      anchor: this.anchor,
      granted: this.granted.slice(this.first),
      arrived: this.arrived.slice(this.first),
      longestMs: this.longestMs,
      droppedFrom: this.droppedFrom,
      droppedUntil: this.droppedUntil,
    };
  }

  /** A counted send's response arrived. O(1) amortized: old entries are skipped, then compacted. */
  record(grantedAt: number, arrivedAt: number, windowMs: number): void {
    this.granted.push(grantedAt);
    this.arrived.push(arrivedAt);
    this.longestMs = Math.max(this.longestMs, arrivedAt - grantedAt);
    const horizon = arrivedAt - 2 * windowMs;
    while (this.first < this.arrived.length && this.arrived[this.first]! < horizon) this.first++;
    if (this.arrived.length - this.first > this.maxKept) {
      this.droppedFrom = Math.min(this.droppedFrom, this.arrived[this.first]!);
      this.droppedUntil = this.arrived[this.first]!;
      this.first++;
    }
    // Sends older than the horizon are forgotten anyway: so are those dropped among them.
    if (this.droppedUntil < horizon) {
      this.droppedFrom = Number.POSITIVE_INFINITY;
      this.droppedUntil = Number.NEGATIVE_INFINITY;
    } else if (this.droppedFrom < horizon) this.droppedFrom = horizon;
    if (this.first > 1024 && this.first * 2 > this.arrived.length) {
      this.granted = this.granted.slice(this.first);
      this.arrived = this.arrived.slice(this.first);
      this.first = 0;
    }
  }

  /** Whether `b`, compared with the anchor, shows a server that refills continuously. */
  refills(b: BudgetObservation, limit: number, windowMs: number): boolean {
    const a = this.anchor;
    if (!a || b.sentAt < a.observedAt) {
      this.anchor = b;
      return false;
    }
    if (b.observedAt - a.observedAt < (SPAN_TOKENS * windowMs) / limit) return false;
    this.anchor = b;
    const windowReset =
      b.observedAt + b.snapshot.resetMs - (a.observedAt + a.snapshot.resetMs) > windowMs / 2;
    if (windowReset || this.couldHaveAged(a, b, windowMs)) return false;
    // Granted after `a` arrived, hence arrived after it too; answered before `b` was sent. One of
    // them dropped for room would be missing from the count, which could then show a refill.
    if (this.dropped(a.observedAt, b.sentAt)) return false;
    let certainlyCounted = 1;
    for (let i = this.firstArrivedFrom(a.observedAt); i < this.arrived.length; i++) {
      if (this.arrived[i]! > b.sentAt) break;
      if (this.granted[i]! >= a.observedAt) certainlyCounted++;
    }
    return b.snapshot.remaining > a.snapshot.remaining - certainlyCounted;
  }

  /**
   * Whether a send of ours may have left the server's window between `a` and `b`: one the server
   * may have counted (between its grant and its arrival) more than a window before `b` was
   * counted, but not more than a window before `a` was. Only sends that arrived in between can
   * be such a send, so only those are read: the check costs the sends between two observations,
   * not the two windows kept.
   */
  private couldHaveAged(a: BudgetObservation, b: BudgetObservation, windowMs: number): boolean {
    const grantedBy = b.observedAt - windowMs;
    const arrivedAfter = a.sentAt - windowMs;
    const lastArrival = grantedBy + this.longestMs;
    if (this.dropped(arrivedAfter, lastArrival)) return true;
    for (let i = this.firstArrivedFrom(arrivedAfter); i < this.arrived.length; i++) {
      if (this.arrived[i]! > lastArrival) break;
      if (this.granted[i]! <= grantedBy && this.arrived[i]! > arrivedAfter) return true;
    }
    return false;
  }

  /** Whether sends that arrived between `from` and `until` may have been dropped for room. */
  private dropped(from: number, until: number): boolean {
    return this.droppedUntil >= from && this.droppedFrom <= until;
  }

  /** The index of the first kept send that arrived at `t` or later (binary search: `arrived` is sorted). */
  private firstArrivedFrom(t: number): number {
    let lo = this.first;
    let hi = this.arrived.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.arrived[mid]! >= t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
