import type { BudgetObservation } from "./server-budget.js";

/** Compare observations at least this many token-times apart, so the refill outgrows the noise. */
const SPAN_TOKENS = 8;

/**
 * Tells a server that refills continuously (a token bucket) from one that gives budget back only
 * at a window's reset or as old sends age out, from how `Remaining` moves between responses.
 *
 * Between an anchor observation `a` and a later one `b`, the server certainly counted every send
 * granted after `a` arrived and answered before `b` was sent, and `b` itself. Without a refill,
 * `b.remaining <= a.remaining - thoseSends - 1`; a higher `Remaining`, while the window did not
 * reset, means the server gave budget back. Rolling windows give back too, as old sends age out —
 * the local log already follows those. Only a server whose `Reset` reads as "time until full"
 * (`(limit - remaining) / rate`) is taken for a token bucket.
 */
export class RefillDetector {
  private anchor: BudgetObservation | undefined;
  /** Counted sends as (granted, arrived), in order of arrival, since the anchor arrived. */
  private sends: { grantedAt: number; arrivedAt: number }[] = [];

  /** A counted send's response arrived. */
  record(grantedAt: number, arrivedAt: number): void {
    if (this.anchor) this.sends.push({ grantedAt, arrivedAt });
  }

  /** Whether `b`, compared with the anchor, shows a token bucket of `limit` per `windowMs`. */
  refills(b: BudgetObservation, limit: number, windowMs: number): boolean {
    const a = this.anchor;
    const msPerToken = windowMs / limit;
    if (!a || b.sentAt < a.observedAt || b.snapshot.remaining > a.snapshot.remaining + limit) {
      this.restartAt(b);
      return false;
    }
    if (b.observedAt - a.observedAt < SPAN_TOKENS * msPerToken) return false;
    const windowReset =
      b.observedAt + b.snapshot.resetMs - (a.observedAt + a.snapshot.resetMs) > windowMs / 2;
    let certainlyCounted = 1;
    for (const s of this.sends)
      if (s.grantedAt >= a.observedAt && s.arrivedAt <= b.sentAt) certainlyCounted++;
    const gaveBack = b.snapshot.remaining > a.snapshot.remaining - certainlyCounted;
    this.restartAt(b);
    if (!gaveBack || windowReset) return false;
    const timeToFull = (limit - b.snapshot.remaining) * msPerToken;
    // `Reset` comes in whole seconds, rounded either way, plus a token's worth of drift.
    return Math.abs(b.snapshot.resetMs - timeToFull) <= 1000 + 2 * msPerToken;
  }

  private restartAt(o: BudgetObservation): void {
    this.anchor = o;
    this.sends = [];
  }
}
