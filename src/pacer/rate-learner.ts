/** The learner's state as plain data. */
export interface RateLearnerState {
  mode: "slow-start" | "steady";
  ratePerMs: number;
  ceilingPerMs: number;
  nextAt: number;
  changedAt: number;
  sentSinceChange: number;
  startedAt: number;
  plateauPerMs: number | undefined;
  refusedAt: number | undefined;
  acceptedSinceRefusal: number;
  successes: number[];
}

/** In slow start the rate doubles every this long in which it was used. */
const SLOW_START_STEP_MS = 250;
/**
 * Past slow start the rate climbs back to the plateau (what the server was measured to take) by
 * `CLIMB` a step, then probes above it by `PROBE` a long step: near the server's rate, every probe
 * risks a refusal.
 */
const CLIMB_STEP_MS = 1_000;
const CLIMB = 1.1;
const PROBE_STEP_MS = 5_000;
const PROBE = 1.05;
/** After a refusal, the rate is a little under what the server was measured to take. */
const MARGIN = 0.95;
/** A measure between two refusals needs this many successes between them; else the rate is cut by `CUT`. */
const MIN_MEASURED = 4;
const CUT = 0.7;
/** At the first refusal, successes are counted over the last this long to measure what the server takes. */
const MEASURE_MS = 1_000;
/** The rate never falls below one send a minute. */
const MIN_RATE_PER_MS = 1 / 60_000;
/** Successes kept at most, however high the rate. */
const MAX_KEPT = 4_096;

/**
 * The rate of a server that says nothing of its limits (no rate-limit headers; nginx's `limit_req`
 * answers a bare 429 or 503), learned the way TCP learns a link's: sends are spaced at a rate that
 * starts low and doubles while nothing is refused (slow start), is set a little under the rate the
 * server was measured to take at each refusal, and grows slowly again in between. Spaced rather
 * than in bursts: a leaky bucket refuses a burst its rate would have taken spread out.
 *
 * The measure: a leaky or token bucket is full at each refusal, so what it accepted between two
 * refusals is what it drained in between, its rate times the time (less, if it ever ran empty: a
 * lower bound). At the first refusal, the successes of the last second stand in for it. The
 * measure is the plateau: the rate climbs back to it quickly and probes above it slowly, so that a
 * key paced near its server's rate meets a refusal rarely (TCP CUBIC's shape).
 *
 * `ceilingPerMs` is the configured limit's rate, when there is one: the rate never grows past it.
 */
export class RateLearner {
  private mode: "slow-start" | "steady";
  private ratePerMs: number;
  private readonly ceilingPerMs: number;
  /** When the next send may go, at the latest, with one send's worth of tolerance before it. */
  private nextAt: number;
  private changedAt: number;
  private sentSinceChange: number;
  private readonly startedAt: number;
  /** The rate the server was last measured to take. */
  private plateauPerMs: number | undefined;
  private refusedAt: number | undefined;
  private acceptedSinceRefusal: number;
  private successes: number[];

  constructor(
    now: number,
    options: { mode: "slow-start" | "steady"; ratePerMs: number; ceilingPerMs: number },
    state?: RateLearnerState,
  ) {
    this.mode = state?.mode ?? options.mode;
    this.ceilingPerMs = state?.ceilingPerMs ?? options.ceilingPerMs;
    this.ratePerMs = state?.ratePerMs ?? Math.min(options.ratePerMs, this.ceilingPerMs);
    this.nextAt = state?.nextAt ?? now;
    this.changedAt = state?.changedAt ?? now;
    this.sentSinceChange = state?.sentSinceChange ?? 0;
    this.startedAt = state?.startedAt ?? now;
    this.plateauPerMs = state?.plateauPerMs;
    this.refusedAt = state?.refusedAt;
    this.acceptedSinceRefusal = state?.acceptedSinceRefusal ?? 0;
    this.successes = state ? [...state.successes] : [];
  }

  toState(): RateLearnerState {
    return {
      mode: this.mode,
      ratePerMs: this.ratePerMs,
      ceilingPerMs: this.ceilingPerMs,
      nextAt: this.nextAt,
      changedAt: this.changedAt,
      sentSinceChange: this.sentSinceChange,
      startedAt: this.startedAt,
      plateauPerMs: this.plateauPerMs,
      refusedAt: this.refusedAt,
      acceptedSinceRefusal: this.acceptedSinceRefusal,
      successes: [...this.successes],
    };
  }

  /** Sends per second the learner allows now. */
  get perSecond(): number {
    return this.ratePerMs * 1000;
  }

  /** The pause after a refusal: the server's bucket is full, room comes back at its rate. */
  get pauseMs(): number {
    return 2 * this.interval;
  }

  /** The earliest moment a send may go. */
  nextFreeAt(now: number): number {
    this.grow(now);
    return Math.max(now, this.nextAt - this.interval);
  }

  granted(now: number): void {
    this.grow(now);
    this.nextAt = Math.max(this.nextAt, now) + this.interval;
    this.sentSinceChange++;
  }

  /** A send was accepted (its answer was no refusal). */
  accepted(now: number): void {
    this.acceptedSinceRefusal++;
    this.successes.push(now);
    const horizon = now - MEASURE_MS;
    let drop = 0;
    while (drop < this.successes.length && this.successes[drop]! < horizon) drop++;
    if (this.successes.length - drop > MAX_KEPT) drop = this.successes.length - MAX_KEPT;
    if (drop > 0) this.successes.splice(0, drop);
  }

  /** The server refused a send (the first refusal of an episode): the rate comes down. */
  refused(now: number): void {
    let next: number;
    // Whether the server took nothing at all since the last word on its rate: then it refuses
    // everything for a while (down, or a limit spent elsewhere) and no rate was measured.
    let nothingTaken: boolean;
    if (this.refusedAt === undefined) {
      // The first refusal: what the server took over the last second, a rough measure (the rate was
      // still climbing, or a burst went through), sets the rate but not the plateau.
      const span = Math.min(MEASURE_MS, Math.max(1, now - this.startedAt));
      const measured = this.successes.filter((t) => t >= now - span).length / span;
      next = measured > 0 ? MARGIN * Math.min(measured, this.ratePerMs) : this.ratePerMs * CUT;
      nothingTaken = measured === 0;
    } else if (this.acceptedSinceRefusal >= MIN_MEASURED) {
      this.plateauPerMs = Math.min(this.acceptedSinceRefusal / (now - this.refusedAt), this.ratePerMs);
      next = MARGIN * this.plateauPerMs;
      nothingTaken = false;
    } else {
      // Too little between the two refusals to measure: a cut.
      next = this.ratePerMs * CUT;
      nothingTaken = this.acceptedSinceRefusal === 0 && this.plateauPerMs === undefined;
    }
    this.ratePerMs = Math.min(this.ceilingPerMs, Math.max(MIN_RATE_PER_MS, next));
    // With nothing measured, the cut rate is no measure of the server either: once it takes
    // requests again, the rate doubles back as at the start (TCP's slow start after a timeout),
    // rather than climbing a tenth a second from wherever the cuts left it.
    this.mode = nothingTaken ? "slow-start" : "steady";
    this.changedAt = now;
    this.sentSinceChange = 0;
    this.refusedAt = now;
    this.acceptedSinceRefusal = 0;
    // The server's bucket is full now: the next send waits for room (`pauseMs`).
    this.nextAt = Math.max(this.nextAt, now + this.pauseMs + this.interval);
  }

  private get interval(): number {
    return 1 / this.ratePerMs;
  }

  /** Grows the rate where it was used for a whole step without a refusal. */
  private grow(now: number): void {
    const climbing = this.plateauPerMs === undefined || this.ratePerMs < this.plateauPerMs;
    const step = this.mode === "slow-start" ? SLOW_START_STEP_MS : climbing ? CLIMB_STEP_MS : PROBE_STEP_MS;
    if (now - this.changedAt < step || this.ratePerMs >= this.ceilingPerMs) return;
    // Only a rate the sends used at least half of says anything about what the server takes (one
    // send more, for the one a step's boundary may have cut off).
    const used = (this.sentSinceChange + 1) / ((now - this.changedAt) * this.ratePerMs);
    if (used >= 0.5) {
      let next = this.ratePerMs * (this.mode === "slow-start" ? 2 : climbing ? CLIMB : PROBE);
      if (climbing && this.plateauPerMs !== undefined) next = Math.min(next, this.plateauPerMs);
      next = Math.min(this.ceilingPerMs, next);
      // The next send's slot, spaced at the old rate, comes sooner at the new one.
      if (this.nextAt > now) this.nextAt = now + ((this.nextAt - now) * this.ratePerMs) / next;
      this.ratePerMs = next;
    }
    this.changedAt = now;
    this.sentSinceChange = 0;
  }
}
