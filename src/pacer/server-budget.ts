import type { BudgetObservation } from "./budget-observation.js";
import { RefillDetector, type RefillDetectorState } from "./refill-detector.js";

/** The budget's state as plain data. */
export interface ServerBudgetState {
  latest: BudgetObservation | undefined;
  grantedBeforeLatest: number;
  refillPerMs: number;
  detector: RefillDetectorState;
}

/** `RateLimit-Reset` is whole seconds: resets this close are the same reset. */
const RESET_ROUNDING_MS = 1000;

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
  /** Sends granted when `latest` arrived: a send numbered from here on was answered after it. */
  private grantedBeforeLatest = 0;
  /** Tokens per millisecond once the server is seen to refill like a token bucket. */
  private refillPerMs = 0;
  private detector = new RefillDetector();

  /**
   * @param windowMs the configured window the headers describe, used to turn a limit into a
   *   refill rate when the server does not announce its window.
   */
  constructor(private readonly windowMs: number) {}

  static from(windowMs: number, state: ServerBudgetState): ServerBudget {
    const budget = new ServerBudget(windowMs);
    budget.latest = state.latest;
    budget.grantedBeforeLatest = state.grantedBeforeLatest;
    budget.refillPerMs = state.refillPerMs;
    budget.detector = RefillDetector.from(state.detector);
    return budget;
  }

  toState(): ServerBudgetState {
    return {
      latest: this.latest,
      grantedBeforeLatest: this.grantedBeforeLatest,
      refillPerMs: this.refillPerMs,
      detector: this.detector.toState(),
    };
  }

  /** See `BudgetObservation.explainedByUs`. */
  get explainedByUs(): boolean {
    return this.latest?.explainedByUs ?? false;
  }

  /**
   * Takes a response's headers in. Responses do not come back in the order the server counted
   * them, so the newest send's word is not always the latest state: among the observations of the
   * current window (the latest reset, give or take the header's one-second rounding), the most
   * restrictive wins; an observation of an earlier window is stale and ignored. Except when the
   * held one's reset lies more than a whole window beyond what a send counted after it says: no
   * window in force ends that far away, so it was a bogus `Reset` (a hostile header:
   * 999999999 s), and it must not outlive the server's next answer.
   */
  observe(o: BudgetObservation, sentSeq: number): void {
    const prev = this.latest;
    const limit = o.snapshot.limit ?? prev?.snapshot.limit;
    const windowMs = o.snapshot.windowMs ?? this.windowMs;
    if (this.refillPerMs === 0 && limit !== undefined && this.detector.refills(o, limit, windowMs)) {
      this.refillPerMs = (REFILL_MARGIN * limit) / windowMs;
    }
    const bogus =
      prev !== undefined &&
      o.seq >= this.grantedBeforeLatest &&
      this.resetAt(prev) - this.resetAt(o) > windowMs + RESET_ROUNDING_MS;
    if (!prev || bogus || this.resetAt(o) > this.resetAt(prev) + RESET_ROUNDING_MS) {
      this.take(o, sentSeq);
      return;
    }
    if (this.resetAt(o) < this.resetAt(prev) - RESET_ROUNDING_MS) return;
    const now = o.observedAt;
    const mine = this.availableFrom(o, now, sentSeq);
    const theirs = this.availableFrom(prev, now, sentSeq);
    if (mine < theirs || (mine === theirs && o.seq > prev.seq)) this.take(o, sentSeq);
  }

  private take(o: BudgetObservation, sentSeq: number): void {
    this.latest = o;
    this.grantedBeforeLatest = sentSeq;
  }

  /** A counted send's response arrived: the refill detector needs to know which sends were certainly counted. */
  recordSend(grantedAt: number, arrivedAt: number): void {
    // Only while there is something to learn: headers seen, no refill known yet.
    if (this.latest && this.refillPerMs === 0) this.detector.record(grantedAt, arrivedAt, this.windowMs);
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
   * Sends still allowed at `now`, given `sentSeq` sends granted so far in all. Sends granted
   * after the observed one, and earlier ones still unanswered, count as spent: the server may
   * have counted them already.
   */
  available(now: number, sentSeq: number): number {
    return this.latest ? this.availableFrom(this.latest, now, sentSeq) : Number.POSITIVE_INFINITY;
  }

  private availableFrom(o: BudgetObservation, now: number, sentSeq: number): number {
    return Math.floor(this.tokensAt(o, now)) - this.spentSince(o, sentSeq);
  }

  /** When the next send fits: at the reset, or when the refill has brought one more token. */
  nextFreeAt(now: number, sentSeq: number): number {
    const o = this.latest;
    if (!o) return now;
    const short = 1 - this.available(now, sentSeq);
    if (short <= 0) return now;
    if (this.refillPerMs > 0) {
      // Tokens needed: one for every send since the observation, plus this one.
      const need = this.spentSince(o, sentSeq) + 1;
      if (need > (o.snapshot.limit ?? Number.POSITIVE_INFINITY)) return Number.POSITIVE_INFINITY;
      return Math.max(now, o.observedAt + Math.ceil((need - o.snapshot.remaining) / this.refillPerMs));
    }
    return this.resetAt(o);
  }

  /**
   * Sends the observation may not have counted: every later one, and the earlier ones still
   * unanswered when it arrived — the server may have counted those after it, even once they are
   * answered (their own observations then compete as the more restrictive).
   */
  private spentSince(o: BudgetObservation, sentSeq: number): number {
    return sentSeq - o.seq - 1 + o.unansweredEarlier;
  }

  private tokensAt(o: BudgetObservation, now: number): number {
    if (this.refillPerMs === 0) return o.snapshot.remaining;
    const refilled = o.snapshot.remaining + (now - o.observedAt) * this.refillPerMs;
    return Math.min(o.snapshot.limit ?? Number.POSITIVE_INFINITY, refilled);
  }

  private resetAt(o: BudgetObservation): number {
    return o.observedAt + o.snapshot.resetMs;
  }
}
