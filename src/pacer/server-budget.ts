import type { RateLimitSnapshot } from "../headers/types.js";

/** What one response said: `remaining` more sends allowed before `resetAt`, as of send number `seq`. */
export interface BudgetObservation {
  /** Sequence number of the send whose response carried the headers. */
  seq: number;
  /** When the send was granted. */
  sentAt: number;
  /** When its response arrived. */
  observedAt: number;
  snapshot: RateLimitSnapshot;
}

/** Safety margin under a measured refill rate: pace "a little under" what the server gives back. */
const REFILL_MARGIN = 0.97;

/**
 * The server's own account of a key's budget: "at most `remaining` more sends before `resetAt`",
 * corrected for the sends made after the observed one (they may already be counted), and, where
 * the server is seen to refill continuously (a token bucket), the refill since the observation.
 *
 * While fresh it overrides the local rolling window it describes (docs/pacing.md); once its reset
 * passes it is stale, and the key sends one probe to learn the next window.
 */
export class ServerBudget {
  private latest: BudgetObservation | undefined;
  /** Tokens per millisecond once the server is seen to refill like a token bucket. */
  private refillPerMs = 0;

  /**
   * @param windowMs the configured window the headers describe, used to turn a limit into a
   *   refill rate when the server does not announce its window.
   */
  constructor(private readonly windowMs: number) {}

  get limit(): number | undefined {
    return this.latest?.snapshot.limit;
  }

  get refills(): boolean {
    return this.refillPerMs > 0;
  }

  /** Takes a response's headers in; an observation older than the one held only teaches refill. */
  observe(o: BudgetObservation): void {
    const prev = this.latest;
    if (prev && o.seq < prev.seq) return;
    if (prev) this.learnRefill(prev, o);
    this.latest = o;
  }

  /** Forgets the budget (the server stopped sending headers). */
  clear(): void {
    this.latest = undefined;
  }

  /** Whether the budget still describes the window in force at `now`. */
  isFresh(now: number): boolean {
    if (!this.latest) return false;
    return this.refillPerMs > 0 || now < this.resetAt(this.latest);
  }

  /** Whether headers were ever seen and have since gone stale: time for a probe. */
  isStale(now: number): boolean {
    return this.latest !== undefined && !this.isFresh(now);
  }

  /**
   * Sends still allowed at `now`, given `sentSeq` sends granted so far in all.
   * Sends granted after the observed one count as spent: the server may have counted them already.
   */
  available(now: number, sentSeq: number): number {
    const o = this.latest;
    if (!o) return Number.POSITIVE_INFINITY;
    const spentSince = sentSeq - o.seq - 1;
    return Math.floor(this.tokensAt(o, now)) - spentSince;
  }

  /** When the next send fits: at the reset, or when the refill has brought one more token. */
  nextFreeAt(now: number, sentSeq: number): number {
    const o = this.latest;
    if (!o) return now;
    const short = 1 - this.available(now, sentSeq);
    if (short <= 0) return now;
    if (this.refillPerMs > 0) {
      // Tokens needed: one for every send since the observation, plus this one.
      const need = sentSeq - o.seq;
      if (need > (o.snapshot.limit ?? Number.POSITIVE_INFINITY)) return Number.POSITIVE_INFINITY;
      return Math.max(now, o.observedAt + Math.ceil((need - o.snapshot.remaining) / this.refillPerMs));
    }
    return this.resetAt(o);
  }

  private tokensAt(o: BudgetObservation, now: number): number {
    if (this.refillPerMs === 0) return o.snapshot.remaining;
    const refilled = o.snapshot.remaining + (now - o.observedAt) * this.refillPerMs;
    return Math.min(o.snapshot.limit ?? Number.POSITIVE_INFINITY, refilled);
  }

  private resetAt(o: BudgetObservation): number {
    return o.observedAt + o.snapshot.resetMs;
  }

  /**
   * Tells a token bucket from fixed and rolling windows by how `Remaining` moves.
   *
   * `b` was sent after `a`'s response arrived, so the server counted `b` after `a`: without a
   * refill `b.remaining <= a.remaining - 1`. More than that, while the window did not reset,
   * means the server gave budget back. A rolling window gives back as old sends age out, which
   * the local log already follows; a token bucket gives back continuously, and its `Reset`
   * (time until full) then tracks `(limit - remaining) / rate`. Only that signature switches the
   * budget to continuous refill, paced a little under the nominal rate `limit / window`.
   */
  private learnRefill(a: BudgetObservation, b: BudgetObservation): void {
    if (this.refillPerMs > 0 || b.sentAt < a.observedAt) return;
    const limit = b.snapshot.limit ?? a.snapshot.limit;
    if (limit === undefined) return;
    const windowMs = b.snapshot.windowMs ?? this.windowMs;
    const gaveBack = b.snapshot.remaining > a.snapshot.remaining - 1;
    const windowReset = this.resetAt(b) - this.resetAt(a) > windowMs / 2;
    if (!gaveBack || windowReset) return;
    const msPerToken = windowMs / limit;
    const timeToFull = (limit - b.snapshot.remaining) * msPerToken;
    // Reset is whole seconds rounded either way, plus a token's worth of drift.
    if (Math.abs(b.snapshot.resetMs - timeToFull) <= 1000 + 2 * msPerToken) {
      this.refillPerMs = (REFILL_MARGIN * limit) / windowMs;
    }
  }
}
