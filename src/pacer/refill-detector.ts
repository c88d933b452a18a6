import type { BudgetObservation } from "./server-budget.js";

/** Compare observations at least this many token-times apart, so the refill outgrows the noise. */
const SPAN_TOKENS = 8;

interface CountedSend {
  grantedAt: number;
  arrivedAt: number;
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
  /** Counted sends of the last two windows, in order of arrival, from `first` on. */
  private sends: CountedSend[] = [];
  private first = 0;

  /** A counted send's response arrived. O(1) amortized: old entries are skipped, then compacted. */
  record(grantedAt: number, arrivedAt: number, windowMs: number): void {
    this.sends.push({ grantedAt, arrivedAt });
    const horizon = arrivedAt - 2 * windowMs;
    while (this.first < this.sends.length && this.sends[this.first]!.arrivedAt < horizon) this.first++;
    if (this.first > 1024 && this.first * 2 > this.sends.length) {
      this.sends = this.sends.slice(this.first);
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
    let certainlyCounted = 1;
    for (let i = this.first; i < this.sends.length; i++) {
      const s = this.sends[i]!;
      if (s.grantedAt >= a.observedAt && s.arrivedAt <= b.sentAt) certainlyCounted++;
    }
    return b.snapshot.remaining > a.snapshot.remaining - certainlyCounted;
  }

  /**
   * Whether a send of ours may have left the server's window between `a` and `b`: one the server
   * may have counted (between its grant and its arrival) more than a window before `b` was
   * counted, but not more than a window before `a` was.
   */
  private couldHaveAged(a: BudgetObservation, b: BudgetObservation, windowMs: number): boolean {
    for (let i = this.first; i < this.sends.length; i++) {
      const s = this.sends[i]!;
      if (s.grantedAt <= b.observedAt - windowMs && s.arrivedAt > a.sentAt - windowMs) return true;
    }
    return false;
  }
}
