import type { BudgetLimit } from "./budget.js";
import { RollingWindow, type RollingWindowState } from "./rolling-window.js";
import type { WaitReason } from "./types.js";

/** What one response said of one bucket, with what the engine knew of the send it answered. */
export interface BucketObservation {
  /** The send's number among this bucket's sends. */
  seq: number;
  /** When the send was granted, and when its response arrived: the server counted it in between. */
  grantedAt: number;
  observedAt: number;
  /** Whether the send was this bucket's probe. */
  probe: boolean;
  /** Our sends alive in the bucket's log at the grant, this one included. */
  aliveAtGrant: number;
  remaining: number;
  resetMs: number;
  limit?: number | undefined;
  windowMs?: number | undefined;
  /** The server documents the quota as refilling continuously (`resetMs`: until full again). */
  refills?: boolean | undefined;
  /** The reset came as an epoch second, the same in every answer of a window. */
  resetInEpochSeconds?: boolean | undefined;
}

/** The bucket's state as plain data. */
export interface ServerBucketState {
  limit: number | undefined;
  windowMs: number | undefined;
  windowFromPolicy: boolean;
  trustedWindowMs: number | undefined;
  windowGuess: WindowGuess;
  resetCeilingMs: number;
  log: RollingWindowState | undefined;
  sent: number;
  inFlight: number;
  probeInFlight: boolean;
  lastGrantAt: number;
  epoch: Epoch | undefined;
  refillPerMs: number;
  refillRuledOut: boolean;
  rolling: boolean;
  peakInFlight: number;
  lowest: Lowest | undefined;
  anchor: Anchor | undefined;
}

/** The current window as the server's answers describe it: "at most `remaining` more before `endsBy`". */
interface Epoch {
  remaining: number;
  /** The latest moment the window can end: the earliest `observedAt + resetMs` of its answers. */
  endsBy: number;
  /** The earliest moment it can end: the latest `grantedAt + resetMs − 1 s` of its answers. */
  endsAfter: number;
  /** Sends of this window that ended without an answer of the bucket's: they may have been counted. */
  uncounted: number;
  /** Whether our own sends explain the server's count (see `observe`). */
  explainedByUs: boolean;
  /** When the answer that opened it arrived. */
  openedAt: number;
  /** When the answer that said `remaining` arrived: a send granted since was counted after it. */
  lowestAt: number;
  /** The number of that answer's send. */
  lowestSeq: number;
}

/**
 * The answer that leaves the fewest tokens now, refill included: where a refilling bucket starts
 * from. Not the latest answer: sends reach the server out of their order, and an answer that
 * arrives later may have been counted earlier.
 */
interface Lowest {
  observedAt: number;
  remaining: number;
  /** Sends that ended without an answer of the bucket's since: they may have been counted after it. */
  uncounted: number;
  /** When the last of those ended: an answer to a send granted later counted them. */
  uncountedAt: number;
}

/** The first answer of a bucket, that later ones are compared with to see it refill. */
interface Anchor {
  grantedAt: number;
  observedAt: number;
  remaining: number;
  resetMs: number;
}

/**
 * Where the window's length comes from when nothing says it: `none` guessed yet, `guessed` (whole
 * seconds from a window's first send, see `guessWindow`), or `refuted` for good.
 */
type WindowGuess = "none" | "guessed" | "refuted";

/** A bucket's answer to "may a send go now?". */
export type BucketVerdict = { ok: true; probe: boolean } | { ok: false; reason: WaitReason; at: number };

/** Whole-second resets are rounded up by every server known: the true reset is within a second before. */
const RESET_ROUNDING_MS = 1000;

/** Pace a little under a measured refill rate. */
const REFILL_MARGIN = 0.97;

const OK: BucketVerdict = Object.freeze({ ok: true, probe: false });
const OK_PROBE: BucketVerdict = Object.freeze({ ok: true, probe: true });

/**
 * One budget a server describes in its headers: the key's as a whole, or one of its resources
 * (GitHub's `search`, a draft -08 policy). What the server says overrides any configured limit.
 *
 * - **The window's budget.** "At most `remaining` more before the reset": within one window the
 *   server's count only grows, so the lowest `remaining` of the window's answers is the latest word,
 *   and every send still in flight may be counted after it. A send's answer that shows more left was
 *   counted earlier, and corrects nothing: in-flight sends are subtracted only while in flight.
 * - **The window's end, to the millisecond.** Resets come in whole seconds, rounded up: each answer
 *   bounds the end within a second, and the earliest `arrival + reset` of the window's answers is
 *   the tightest bound. Answers spread over a window bracket its end closely.
 * - **After the reset**, one probe asks what the next window holds, unless our own sends explain
 *   the server's count and the bucket's log of them has room (a rolling window freeing its oldest).
 * - **Our sends' log.** The sends to this bucket, each ageing from its arrival (`RollingWindow`),
 *   limit and window from the headers: where our sends explain the server's count, the log knows to
 *   the millisecond when a slot frees, which a reset rounded up to a second does not.
 * - **Refill.** A bucket that refills continuously (a token bucket: OpenAI's, Anthropic's, or one
 *   seen to: its reset moves later as its budget is spent, which no window's does) is paced at a
 *   little under its rate, measured as a lower bound from its answers.
 */
export class ServerBucket {
  private limit: number | undefined;
  private windowMs: number | undefined;
  private windowFromPolicy: boolean;
  /**
   * The window's length where known exactly: the policy's (`w=`), or the configured one while no
   * reset has said longer. A window that held a send ends at most this long after it was counted,
   * which a reset rounded up to a whole second (an epoch second, most of all) does not tell.
   */
  private trustedWindowMs: number | undefined;
  private windowGuess: WindowGuess;
  /** The longest reset seen: a window's length is at most this. */
  private resetCeilingMs: number;
  private log: RollingWindow | undefined;
  /** Sends to this bucket so far. */
  private sent: number;
  private inFlight: number;
  private probeInFlight: boolean;
  private lastGrantAt: number;
  private epoch: Epoch | undefined;
  private refillPerMs: number;
  /** An answer did not fit a refilling bucket (see `learnRefill`): the bucket counts in windows. */
  private refillRuledOut: boolean;
  /** The server's count went down by less than a new window would show: it counts in a rolling window. */
  private rolling: boolean;
  /** The most sends in flight at once: what may reach the server in any order. */
  private peakInFlight: number;
  private lowest: Lowest | undefined;
  private anchor: Anchor | undefined;

  constructor(
    /** The window to assume until the server says one (a configured limit's), if any. */
    assumedWindowMs: number | undefined,
    state?: ServerBucketState,
  ) {
    this.limit = state?.limit;
    this.windowMs = state ? state.windowMs : assumedWindowMs;
    this.windowFromPolicy = state?.windowFromPolicy ?? false;
    this.trustedWindowMs = state ? state.trustedWindowMs : assumedWindowMs;
    this.windowGuess = state?.windowGuess ?? "none";
    this.resetCeilingMs = state?.resetCeilingMs ?? 0;
    this.log = state?.log ? RollingWindow.from(state.log) : undefined;
    this.sent = state?.sent ?? 0;
    this.inFlight = state?.inFlight ?? 0;
    this.probeInFlight = state?.probeInFlight ?? false;
    this.lastGrantAt = state?.lastGrantAt ?? Number.NEGATIVE_INFINITY;
    this.epoch = state?.epoch ? { ...state.epoch } : undefined;
    this.refillPerMs = state?.refillPerMs ?? 0;
    this.refillRuledOut = state?.refillRuledOut ?? false;
    this.rolling = state?.rolling ?? false;
    this.peakInFlight = state?.peakInFlight ?? 0;
    this.lowest = state?.lowest ? { ...state.lowest } : undefined;
    this.anchor = state?.anchor ? { ...state.anchor } : undefined;
  }

  toState(): ServerBucketState {
    return {
      limit: this.limit,
      windowMs: this.windowMs,
      windowFromPolicy: this.windowFromPolicy,
      trustedWindowMs: this.trustedWindowMs,
      windowGuess: this.windowGuess,
      resetCeilingMs: this.resetCeilingMs,
      log: this.log?.toState(),
      sent: this.sent,
      inFlight: this.inFlight,
      probeInFlight: this.probeInFlight,
      lastGrantAt: this.lastGrantAt,
      epoch: this.epoch ? { ...this.epoch } : undefined,
      refillPerMs: this.refillPerMs,
      refillRuledOut: this.refillRuledOut,
      rolling: this.rolling,
      peakInFlight: this.peakInFlight,
      lowest: this.lowest ? { ...this.lowest } : undefined,
      anchor: this.anchor ? { ...this.anchor } : undefined,
    };
  }

  /** The window the bucket is known (or assumed) to count over, in ms. */
  get window(): number | undefined {
    return this.windowMs;
  }

  /** Whether the bucket holds anything to wait for: nothing in flight, no window still running. */
  isIdle(now: number): boolean {
    return this.inFlight === 0 && (this.epoch === undefined || now >= this.epoch.endsBy);
  }

  /** Whether a send may go at `now`; if not, why and until when (`Infinity`: until an answer comes). */
  verdict(now: number): BucketVerdict {
    if (this.refillPerMs > 0 && this.lowest) return this.refillVerdict(now);
    const epoch = this.epoch;
    if (epoch === undefined) return this.logVerdict(now);
    const log = this.logSpeakingFor(epoch);
    const logAllows = log !== undefined && log.nextFreeAt(now) <= now;
    if (now < epoch.endsBy) {
      if (epoch.remaining - this.inFlight - epoch.uncounted >= 1 || logAllows) return OK;
      const freeAt = log ? Math.min(epoch.endsBy, log.nextFreeAt(now)) : epoch.endsBy;
      return { ok: false, reason: "budget", at: freeAt };
    }
    // The window has ended: the log knows when our own sends free room; otherwise one probe looks.
    if (logAllows) return OK;
    // A rolling window that our sends fill frees a slot when the oldest of them ages out, which the
    // log knows; its reset told when an older one did, and a probe now would be refused.
    if (this.rolling && log) return { ok: false, reason: "budget", at: log.nextFreeAt(now) };
    // A send granted since the window ended (the probe, or one the log allowed) is out: its answer
    // tells what the next window holds.
    if (this.probeInFlight || (this.inFlight > 0 && this.lastGrantAt >= epoch.endsBy)) {
      return { ok: false, reason: "probe", at: Number.POSITIVE_INFINITY };
    }
    return OK_PROBE;
  }

  /**
   * The log of our sends where it speaks for the window: where our sends explain the server's count,
   * it frees a slot to the millisecond, which a rounded reset does not. Not in a guessed window, whose
   * end one send probes: the log counts in the guess, and could free slots too early.
   */
  private logSpeakingFor(epoch: Epoch): RollingWindow | undefined {
    return epoch.explainedByUs && this.windowGuess !== "guessed" ? this.log : undefined;
  }

  private logVerdict(now: number): BucketVerdict {
    const freeAt = this.log ? this.log.nextFreeAt(now) : now;
    return freeAt <= now ? OK : { ok: false, reason: "budget", at: freeAt };
  }

  /** The earliest moment a send could go, as far as the bucket knows at `now`. */
  nextFreeAt(now: number): number {
    const verdict = this.verdict(now);
    return verdict.ok ? now : verdict.at;
  }

  /**
   * What is left of the bucket at `now`, as its verdict counts it: the server's figure less the sends
   * it cannot have counted yet, while its window runs; once it has ended, the log of our own sends.
   * Undefined when the bucket knows neither.
   */
  budget(now: number): BudgetLimit | undefined {
    const { limit } = this;
    const shape = this.windowMs === undefined ? {} : { windowMs: this.windowMs };
    if (this.refillPerMs > 0 && this.lowest) {
      const lowest = this.lowest;
      const tokens = Math.floor(this.tokensAt(lowest, now));
      const full = limit !== undefined && tokens >= limit;
      const nextTokenAt = lowest.observedAt + Math.ceil((tokens + 1 - lowest.remaining) / this.refillPerMs);
      return {
        limit,
        remaining: Math.max(0, tokens - this.inFlight - lowest.uncounted),
        resetAt: full ? undefined : Math.max(now, nextTokenAt),
        ...shape,
        source: "server",
      };
    }
    const local = this.log?.budget(now);
    const epoch = this.epoch;
    if (epoch !== undefined && now < epoch.endsBy) {
      let remaining = Math.max(0, epoch.remaining - this.inFlight - epoch.uncounted);
      let resetAt = epoch.endsBy;
      // The exact log frees slots before a rounded reset.
      if (local !== undefined && this.logSpeakingFor(epoch)) {
        remaining = Math.max(remaining, local.remaining);
        if (local.resetAt !== undefined) resetAt = Math.min(resetAt, local.resetAt);
      }
      return { limit, remaining, resetAt, ...shape, source: "server" };
    }
    // The server's window has ended since it last spoke: its figure is stale, our sends' log counts.
    if (local !== undefined) return { ...local, limit, ...shape };
    if (epoch === undefined) return undefined;
    // Neither a log (no limit was said) nor a running window: the last figure is a floor.
    const floor = Math.max(0, epoch.remaining - this.inFlight);
    return { limit, remaining: floor, resetAt: undefined, ...shape, source: "server" };
  }

  /** A send to this bucket is granted: returns its number and our sends alive in the log at the grant. */
  grant(now: number, probe: boolean): { seq: number; alive: number } {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    this.lastGrantAt = now;
    if (probe) this.probeInFlight = true;
    this.log?.reserve();
    return { seq: this.sent++, alive: this.log ? this.log.used(now) : this.inFlight };
  }

  /** A send ended without an answer of this bucket's (it failed, or the answer had no headers). */
  endedUnanswered(now: number, counted: boolean, probe: boolean, sentAnyway: boolean): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (probe) this.probeInFlight = false;
    if (!sentAnyway) {
      this.log?.cancel();
      return;
    }
    this.log?.complete(now, counted);
    if (!counted) return;
    if (this.epoch) this.epoch.uncounted++;
    if (this.lowest) {
      this.lowest.uncounted++;
      this.lowest.uncountedAt = now;
    }
  }

  /**
   * A send's answer said nothing of this bucket. Once its window has ended, the bucket has no word
   * of the current one (a server that sends headers on some answers only, or stopped): its log of
   * our sends paces it, rather than a probe per send.
   */
  answeredSilently(now: number, counted: boolean, probe: boolean): void {
    this.endedUnanswered(now, counted, probe, true);
    if (this.epoch !== undefined && now >= this.epoch.endsBy) this.epoch = undefined;
  }

  /** A send's answer described this bucket. */
  observe(o: BucketObservation, counted: boolean): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (o.probe) this.probeInFlight = false;
    this.learnShape(o);
    this.log?.complete(o.observedAt, counted);
    this.learnRefill(o);
    this.guessWindow(o);
    this.takeLowest(o);
    // The server counted this send between its grant and its answer, holding at most our sends alive
    // at the grant and those granted since. (Not the log now: a burst can age out of it during one
    // round trip while the server, which counted earlier, still held it.)
    const ours = o.aliveAtGrant + (this.sent - 1 - o.seq);
    const explainedByUs = this.limit !== undefined && this.limit - o.remaining <= ours;
    const endsBy = o.observedAt + Math.min(o.resetMs, this.trustedWindowMs ?? Number.POSITIVE_INFINITY);
    const endsAfter = o.grantedAt + o.resetMs - RESET_ROUNDING_MS;
    const epoch = this.epoch;
    // A probe's answer is the next window's first word; an answer whose window cannot end before the
    // current one's latest end belongs to a later window.
    // An answer whose window ended before the current one can have begun is an old window's, if it
    // was sent before the current window was known; sent since, it is the server's newer word, and
    // the window's answers were wrong (a hostile reset of years).
    const stale = endsBy < (epoch?.endsAfter ?? Number.NEGATIVE_INFINITY);
    if (stale && o.grantedAt < epoch!.openedAt) return;
    // More left in the answer to a send granted after the lowest answer arrived, counted after it, in
    // a window that ends later: the server's count went down (a fixed window turned over, a rolling
    // one freed slots) before the current window's estimated end.
    const countedAfterLowest = epoch !== undefined && o.grantedAt >= epoch.lowestAt;
    const countWentDown = countedAfterLowest && o.remaining > epoch!.remaining && endsBy > epoch!.endsBy;
    // A new window holds only sends counted since the lowest answer: those granted since its send, and
    // those in flight around it. A count above that went down by old sends ageing out of a rolling window.
    if (
      countedAfterLowest &&
      o.remaining > epoch!.remaining &&
      this.limit !== undefined &&
      this.limit - o.remaining > o.seq - epoch!.lowestSeq + 2 * this.peakInFlight
    ) {
      this.rolling = true;
      // A guessed window starts at its first send, which a rolling one does not.
      if (this.windowGuess === "guessed") this.refuteGuess();
    }
    if (
      epoch === undefined ||
      stale ||
      countWentDown ||
      (o.probe && o.observedAt >= epoch.endsBy) ||
      endsAfter > epoch.endsBy
    ) {
      // Sends answered while this one was in flight may have been counted after it: its `remaining`
      // does not hold them (a rolling window's answers open windows all the time).
      const answeredMeanwhile = this.log
        ? Math.max(0, this.log.arrivedBetween(o.grantedAt, o.observedAt) - 1)
        : 0;
      this.epoch = {
        remaining: o.remaining,
        endsBy,
        endsAfter,
        uncounted: answeredMeanwhile,
        explainedByUs,
        openedAt: o.observedAt,
        lowestAt: o.observedAt,
        lowestSeq: o.seq,
      };
      return;
    }
    epoch.endsBy = Math.min(epoch.endsBy, endsBy);
    epoch.endsAfter = Math.max(epoch.endsAfter, endsAfter);
    if (o.remaining < epoch.remaining) {
      epoch.remaining = o.remaining;
      epoch.lowestAt = o.observedAt;
      epoch.lowestSeq = o.seq;
      epoch.explainedByUs = explainedByUs;
    } else if (o.remaining === epoch.remaining) {
      epoch.explainedByUs = epoch.explainedByUs || explainedByUs;
    }
  }

  /**
   * Limit and window: `RateLimit-Limit` (and the like) is the limit; the window is the policy's
   * (`w=`) where announced, else the configured one while no reset says longer, else the longest
   * reset seen (a window is at least as long as any reset within it).
   */
  private learnShape(o: BucketObservation): void {
    if (o.limit !== undefined && o.limit >= 1) this.limit = Math.floor(o.limit);
    this.resetCeilingMs = Math.max(this.resetCeilingMs, o.resetMs);
    if (o.windowMs !== undefined && o.windowMs > 0) {
      this.windowMs = o.windowMs;
      this.windowFromPolicy = true;
      this.trustedWindowMs = o.windowMs;
    } else if (this.trustedWindowMs !== undefined && o.resetMs > this.trustedWindowMs + RESET_ROUNDING_MS) {
      // A reset longer than the configured (or guessed) window: the server's window is longer, its
      // word wins.
      this.trustedWindowMs = undefined;
      if (this.windowGuess === "guessed") this.refuteGuess();
    }
    if (!this.windowFromPolicy) {
      this.windowMs = this.trustedWindowMs ?? Math.max(this.windowMs ?? 0, this.resetCeilingMs);
    }
    const { limit, windowMs } = this;
    if (limit === undefined || windowMs === undefined) return;
    if (this.log === undefined) {
      this.log = new RollingWindow(limit, windowMs);
      // Sends already in flight are the log's too.
      for (let i = 0; i < this.inFlight + 1; i++) this.log.reserve();
      return;
    }
    if (this.log.limit !== limit) this.log.setLimit(limit);
    if (this.log.windowMs !== windowMs) this.log = this.log.withWindow(windowMs);
  }

  /**
   * A window that starts at its first send and lasts whole seconds, guessed where nothing says the
   * window (no policy, none configured) and resets come as epoch seconds: every answer of a window
   * repeats the same second, so that no spread of answers brackets the end, and each turnover would
   * cost up to a second. The limiters that send them (express-rate-limit's legacy headers,
   * rate-limiter-flexible) count from a key's first request, in windows configured in whole seconds.
   * The answer that opened a window (one spent, a refill ruled out) was counted between its grant and
   * its arrival; the window ends `n` s later, where `n` is the whole number of seconds its reset
   * allows (the largest, if the round trip allows two). Each later window's first answer must allow
   * the same `n`. The end is probed by one send, not trusted to the log, and a refusal, a rolling
   * count or a longer reset ends the guess for good: a server whose windows are on a grid of its own
   * costs at most one 429 before the rounded resets decide alone.
   */
  private guessWindow(o: BucketObservation): void {
    const limit = this.limit;
    if (this.windowGuess === "refuted" || this.windowFromPolicy || !this.refillRuledOut || this.rolling)
      return;
    if (limit === undefined || o.remaining !== limit - 1) return;
    const latest = o.resetMs + (o.observedAt - o.grantedAt);
    const fits = (ms: number) => ms >= 1000 && ms <= latest && ms > o.resetMs - RESET_ROUNDING_MS;
    if (this.windowGuess === "guessed") {
      if (!fits(this.trustedWindowMs!)) this.refuteGuess();
      return;
    }
    // A configured window is not replaced by a guess, and a reset in delta seconds or milliseconds
    // tells the end as closely as a guess would.
    if (this.trustedWindowMs !== undefined || !o.resetInEpochSeconds) return;
    const guessMs = Math.floor(latest / 1000) * 1000;
    if (!fits(guessMs)) return;
    this.windowGuess = "guessed";
    this.trustedWindowMs = guessMs;
    this.setWindow(guessMs);
  }

  /** The guessed window was wrong: the resets decide alone, and no guess is made again. */
  private refuteGuess(): void {
    this.windowGuess = "refuted";
    this.trustedWindowMs = undefined;
    this.setWindow(this.resetCeilingMs);
  }

  private setWindow(windowMs: number): void {
    this.windowMs = windowMs;
    if (this.log !== undefined && this.log.windowMs !== windowMs) this.log = this.log.withWindow(windowMs);
  }

  /**
   * Whether the bucket refills continuously, and how fast at least. Declared by the header family
   * (`refills`), announced by a policy (`q` per `w`), or seen. A bucket that refills tells the time
   * until it is full again, which grows with the tokens spent: at most the spent share of the window,
   * plus the rounding. A window's first answer does not fit that (one spent, the whole window to go),
   * nor, in a rolling window, does the first answer after a quiet spell: once an answer does not fit,
   * the bucket counts in windows, for good. An answer fits and shows a refill when its "full again"
   * moved later than the first answer's, beyond the rounding, with fewer left: a window's end does
   * not move within the window, and a reset of 2 s or more is needed to tell (a 1 s window's resets
   * all say 1).
   */
  private learnRefill(o: BucketObservation): void {
    const limit = this.limit;
    if (limit === undefined) return;
    let refills = o.refills === true;
    if (!refills && this.refillPerMs === 0 && !this.refillRuledOut) {
      const window = Math.max(this.windowMs ?? 0, this.resetCeilingMs);
      const spent = limit - o.remaining;
      if (o.resetMs > (spent * window) / limit + RESET_ROUNDING_MS) this.refillRuledOut = true;
    }
    const a = this.anchor;
    if (!refills && !this.refillRuledOut && a !== undefined && o.grantedAt >= a.observedAt) {
      refills =
        o.resetMs >= 2 * RESET_ROUNDING_MS &&
        o.remaining < a.remaining &&
        o.grantedAt + o.resetMs - RESET_ROUNDING_MS > a.observedAt + a.resetMs;
    }
    this.anchor ??= {
      grantedAt: o.grantedAt,
      observedAt: o.observedAt,
      remaining: o.remaining,
      resetMs: o.resetMs,
    };
    if (!refills && this.refillPerMs === 0) return;
    // A lower bound of the rate: `remaining` is whole tokens rounded down and the reset a time to full.
    let rate = o.resetMs > 0 ? (limit - o.remaining - 1) / o.resetMs : 0;
    if (this.windowFromPolicy && this.windowMs) rate = Math.max(rate, limit / this.windowMs);
    if (rate > 0) this.refillPerMs = Math.max(this.refillPerMs, REFILL_MARGIN * rate);
  }

  /** Tokens the bucket holds at `now` by what `from` said, refill included. */
  private tokensAt(from: { observedAt: number; remaining: number }, now: number): number {
    const refilled = from.remaining + Math.max(0, now - from.observedAt) * this.refillPerMs;
    return Math.min(this.limit ?? Number.POSITIVE_INFINITY, refilled);
  }

  private takeLowest(o: BucketObservation): void {
    const lowest = this.lowest;
    if (lowest !== undefined && this.tokensAt(lowest, o.observedAt) < o.remaining) return;
    // Sends that ended unanswered before this one was granted were counted before it, if at all.
    if (lowest === undefined) {
      this.lowest = { observedAt: o.observedAt, remaining: o.remaining, uncounted: 0, uncountedAt: 0 };
      return;
    }
    if (lowest.uncountedAt <= o.grantedAt) lowest.uncounted = 0;
    lowest.observedAt = o.observedAt;
    lowest.remaining = o.remaining;
  }

  private refillVerdict(now: number): BucketVerdict {
    const lowest = this.lowest!;
    const need = 1 + this.inFlight + lowest.uncounted;
    if (Math.floor(this.tokensAt(lowest, now)) >= need) return OK;
    // More than the bucket can ever hold: only answers still in flight can free room.
    if (need > (this.limit ?? Number.POSITIVE_INFINITY))
      return { ok: false, reason: "budget", at: Number.POSITIVE_INFINITY };
    const at = lowest.observedAt + Math.ceil((need - lowest.remaining) / this.refillPerMs);
    return { ok: false, reason: "budget", at: Math.max(now, at) };
  }

  /** A 429 from this bucket: whatever it had seen refill, it refills no faster than the server allows now. */
  refused(): void {
    this.refillPerMs = 0;
    if (this.windowGuess === "guessed") this.refuteGuess();
  }
}
