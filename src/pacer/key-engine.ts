import type { BackoffPolicy } from "../retry/backoff.js";
import { Gate, type GateState } from "./gate.js";
import { RollingWindow, type RollingWindowState } from "./rolling-window.js";
import { ServerBudget, type ServerBudgetState } from "./server-budget.js";
import type { Limit, ReleaseResult, SendOutcome, WaitReason } from "./types.js";

/** Whether the key may send at a moment, and if not, why and until when. */
export type Verdict = { ok: true; probe: boolean } | { ok: false; reason: WaitReason; at: number };

/** One send the engine granted: what its release must hand back. */
export interface Grant {
  /** Position of the send in the key's order of sends. */
  readonly seq: number;
  readonly grantedAt: number;
  /** Whether this send is the probe the key's other requests wait on. */
  readonly probe: boolean;
  /**
   * The described window's sends alive at the grant, this one included: what the server can hold
   * of the key's sends when it counts this one.
   */
  readonly aliveAtGrant: number;
}

/** What the engine is made from: a key's rules, without the clock that drives them. */
export interface EngineConfig {
  limits: readonly Limit[];
  probeFirst: boolean;
  backoff: BackoffPolicy;
}

/** The engine's whole state as plain data (JSON-safe but for ±Infinity): what a shared store keeps. */
export interface EngineState {
  windows: RollingWindowState[];
  budget: ServerBudgetState;
  gate: GateState;
  sentSeq: number;
  inFlight: InFlightSend[];
  probeFirst: boolean;
  headersSeen: boolean;
  lastActivity: number;
}

/** A send granted and not yet released, in grant order. */
interface InFlightSend {
  seq: number;
  grantedAt: number;
  probe: boolean;
}

/** The verdicts that let a send go: shared, as one is reached for nearly every request. */
const SEND: Verdict = Object.freeze({ ok: true, probe: false });
const SEND_PROBE: Verdict = Object.freeze({ ok: true, probe: true });

/** What most releases conclude: nothing for the hooks (no 429). */
const NOTHING: ReleaseResult = Object.freeze({});

/**
 * The rules of one key's pacing, as a state machine over the time it is given: whether the key may
 * send now (`verdict`), a send granted (`grant`), how a send ended (`release`). It reads no clock and
 * arms no timer, so the same rules run in this process (`LocalKeyPacer`) and over a state shared
 * through a store (`pacekeeper/redis`).
 *
 * Everything a send must respect is asked in `verdict`: the gate a 429 closed, the probe that the
 * key's first requests wait on, the local rolling windows, the server's budget.
 */
export class KeyEngine {
  private readonly windows: RollingWindow[];
  /** Index of the window the server's headers describe: the longest. */
  private readonly described: number;
  private readonly budget: ServerBudget;
  private readonly gate: Gate;
  private sentSeq: number;
  /** The sends in flight, in grant order. */
  private readonly inFlight: InFlightSend[];
  private probeFirst: boolean;
  private headersSeen: boolean;
  private activity: number;

  constructor(config: EngineConfig, now: number, state?: EngineState) {
    this.described = longestWindow(config.limits);
    this.windows = config.limits.map((l, i) => {
      const saved = state?.windows[i];
      return saved ? RollingWindow.from(saved) : new RollingWindow(l.limit, l.windowMs);
    });
    const describedMs = config.limits[this.described]!.windowMs;
    this.budget = state ? ServerBudget.from(describedMs, state.budget) : new ServerBudget(describedMs);
    this.gate = new Gate(config.backoff, state?.gate);
    this.sentSeq = state?.sentSeq ?? 0;
    this.inFlight = state ? state.inFlight.map((s) => ({ ...s })) : [];
    this.probeFirst = state?.probeFirst ?? config.probeFirst;
    this.headersSeen = state?.headersSeen ?? false;
    this.activity = state?.lastActivity ?? now;
  }

  toState(): EngineState {
    return {
      windows: this.windows.map((w) => w.toState()),
      budget: this.budget.toState(),
      gate: this.gate.toState(),
      sentSeq: this.sentSeq,
      inFlight: this.inFlight.map((s) => ({ ...s })),
      probeFirst: this.probeFirst,
      headersSeen: this.headersSeen,
      lastActivity: this.activity,
    };
  }

  /** Sends granted and not yet released. */
  get sendsInFlight(): number {
    return this.inFlight.length;
  }

  /** The last grant or release, or the last request that had to wait. */
  get lastActivity(): number {
    return this.activity;
  }

  /** Something asked for the key (a request waiting counts as activity). */
  touch(now: number): void {
    this.activity = now;
  }

  /** Nothing in flight, the gate open, and no activity for longer than the longest window. */
  isIdle(now: number): boolean {
    const longest = this.windows[this.described]!.windowMs;
    return this.inFlight.length === 0 && this.gate.isOpen(now) && now - this.activity > longest;
  }

  /** Whether the key may send at `now`; if not, why and until when (`Infinity`: until a response comes). */
  verdict(now: number): Verdict {
    if (!this.gate.isOpen(now)) return { ok: false, reason: "gate", at: this.gate.openAt };
    const probeInFlight = this.inFlight.some((s) => s.probe);
    const learning = this.probeFirst && !this.headersSeen;
    if (learning && this.inFlight.length > 0)
      return { ok: false, reason: "probe", at: Number.POSITIVE_INFINITY };
    const budgetFresh = this.budget.isFresh(now);
    let at = now;
    let reason: WaitReason = "window";
    let probe = learning;
    for (let i = 0; i < this.windows.length; i++) {
      if (i === this.described && budgetFresh) continue;
      const freeAt = this.windows[i]!.nextFreeAt(now);
      if (freeAt <= now) continue;
      // The server said its window has reset since: one probe may look, overriding the local log —
      // unless we sent more since than the server had left, which its reset need not cover (a
      // rolling window's reset frees only the oldest send).
      if (i === this.described && this.budget.isStale(now) && this.budget.available(now, this.sentSeq) >= 0) {
        if (probeInFlight) return { ok: false, reason: "probe", at: Number.POSITIVE_INFINITY };
        probe = true;
        continue;
      }
      if (freeAt > at) at = freeAt;
    }
    if (budgetFresh) {
      let freeAt = this.budget.nextFreeAt(now, this.sentSeq);
      // `Reset` comes in whole seconds: when our own sends explain the server's count, the local
      // log (exact, and safe for any counting model) may free a slot sooner than the rounded reset.
      if (freeAt > now && this.budget.explainedByUs) {
        freeAt = Math.min(freeAt, this.windows[this.described]!.nextFreeAt(now));
      }
      if (freeAt > at) {
        at = freeAt;
        reason = "budget";
      }
    }
    if (at > now) return { ok: false, reason, at };
    return probe ? SEND_PROBE : SEND;
  }

  /** The earliest moment the next request could be sent, as far as the engine knows at `now`. */
  nextSendAt(now: number): number {
    const verdict = this.verdict(now);
    return verdict.ok ? now : verdict.at;
  }

  /** Grants one send at `now`: call it only when `verdict(now)` said yes, with its `probe`. */
  grant(now: number, probe: boolean): Grant {
    const seq = this.sentSeq++;
    this.inFlight.push({ seq, grantedAt: now, probe });
    this.activity = now;
    for (const w of this.windows) w.reserve();
    // Our sends that the server can hold when it counts this one (see `learn`), this one included.
    const aliveAtGrant = this.windows[this.described]!.used(now);
    return { seq, grantedAt: now, probe, aliveAtGrant };
  }

  /**
   * How a granted send ended, at `now`. `draw` is a uniform number in [0, 1) for the jitter of a
   * 429's wait. A send released already, or never granted, is ignored.
   */
  release(grant: Grant, outcome: SendOutcome, now: number, draw: number): ReleaseResult {
    // The list is in grant order: the send's place in it is the number of earlier sends unanswered.
    const unansweredEarlier = this.inFlight.findIndex((s) => s.seq === grant.seq);
    if (unansweredEarlier === -1) return NOTHING;
    this.inFlight.splice(unansweredEarlier, 1);
    this.activity = now;
    if (outcome.kind === "unsent") {
      for (const w of this.windows) w.cancel();
      return NOTHING;
    }
    if (outcome.kind === "failed") {
      // It may have reached the server: count it.
      for (const w of this.windows) w.complete(now, true);
      return NOTHING;
    }
    for (const w of this.windows) w.complete(now, outcome.counted);
    if (outcome.counted) this.budget.recordSend(grant.grantedAt, now);
    this.learn(grant, unansweredEarlier, now, outcome);
    if (outcome.status !== 429) {
      this.gate.succeeded(grant.seq);
      return NOTHING;
    }
    const { waitMs, reason, newEpisode } = this.gate.close(
      now,
      grant.seq,
      this.sentSeq - 1,
      { retryAfterMs: outcome.retryAfterMs, resetMs: outcome.rateLimit?.resetMs },
      draw,
    );
    if (newEpisode) this.lowerLimitAfter429(now);
    return { gate: { waitMs, reason } };
  }

  /**
   * Sends granted more than `maxAgeMs` ago whose release never came (their process died): released
   * as never sent, so that they stop holding the key.
   */
  expire(now: number, maxAgeMs: number): void {
    for (const send of this.inFlight.filter((s) => s.grantedAt < now - maxAgeMs)) {
      this.release({ ...send, aliveAtGrant: 0 }, { kind: "unsent" }, now, 0);
    }
  }

  /** Takes in what a response's headers say about the budget. */
  private learn(
    grant: Grant,
    unansweredEarlier: number,
    now: number,
    outcome: SendOutcome & { kind: "response" },
  ): void {
    const snapshot = outcome.rateLimit;
    if (!snapshot) {
      // A counted response without headers: this server does not send them (or stopped).
      if (outcome.counted) {
        this.probeFirst = false;
        if (this.budget.isStale(now)) this.budget.clear();
      }
      return;
    }
    this.headersSeen = true;
    const observed = this.windowFor(snapshot.windowMs);
    const window = this.windows[observed]!;
    if (snapshot.limit !== undefined && snapshot.limit >= 1) window.setLimit(Math.floor(snapshot.limit));
    // The server counted this send between its grant and its response, holding at most our sends
    // alive at the grant and those granted since. Not our log now: it ages each send from its
    // response, and when a burst ages out during this one's round trip (a rolling window turning
    // over), the log has let go of sends the server still counted — and the server's word alone
    // would then hold the key until its reset, rounded up to a whole second.
    const ours =
      observed === this.described ? grant.aliveAtGrant + (this.sentSeq - 1 - grant.seq) : window.used(now);
    const explainedByUs = window.limit - snapshot.remaining <= ours;
    this.budget.observe(
      {
        seq: grant.seq,
        sentAt: grant.grantedAt,
        observedAt: now,
        snapshot,
        explainedByUs,
        unansweredEarlier,
      },
      this.sentSeq,
    );
  }

  /**
   * A server without budget headers refused us: our configured limit is above the key's real one
   * (CampOne operators set limits per key). Lower the local limit to what the window really held,
   * so the next window is not refused again. Only ever lowers, and only on the first 429 of an
   * episode: the others answer sends that were already refused.
   */
  private lowerLimitAfter429(now: number): void {
    if (this.headersSeen) return;
    const window = this.windows[this.described]!;
    // The refused send is in the log when the server counts 429s (CampOne); it held one fewer.
    const held = window.countedSince(now) - 1;
    if (held >= 1 && held < window.limit) window.setLimit(held);
  }

  private windowFor(windowMs: number | undefined): number {
    if (windowMs !== undefined) {
      const i = this.windows.findIndex((w) => w.windowMs === windowMs);
      if (i !== -1) return i;
    }
    return this.described;
  }
}

function longestWindow(limits: readonly Limit[]): number {
  let best = 0;
  for (let i = 1; i < limits.length; i++) if (limits[i]!.windowMs > limits[best]!.windowMs) best = i;
  return best;
}
