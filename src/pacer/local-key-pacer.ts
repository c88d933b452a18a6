import type { Clock } from "../clock/clock.js";
import { PacerDeadlineError } from "./deadline-error.js";
import { Gate } from "./gate.js";
import { RollingWindow } from "./rolling-window.js";
import { ServerBudget } from "./server-budget.js";
import type {
  AcquireOptions,
  KeyPacer,
  KeyPacerConfig,
  Limit,
  Permit,
  ReleaseResult,
  SendOutcome,
  WaitReason,
} from "./types.js";

interface Waiter {
  resolve(permit: Permit): void;
  reject(reason: unknown): void;
  deadline: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

type Verdict = { ok: true; probe: boolean } | { ok: false; reason: WaitReason; at: number };

/** The verdicts that let a send go: shared, as one is reached for nearly every request. */
const SEND: Verdict = Object.freeze({ ok: true, probe: false });
const SEND_PROBE: Verdict = Object.freeze({ ok: true, probe: true });

/** What most releases conclude: nothing for the hooks (no 429). */
const NOTHING: ReleaseResult = Object.freeze({});

/**
 * The pacer of one key: decides when each of the key's requests may be sent.
 *
 * Requests wait in one FIFO queue; only its head is ever considered, and one timer per key
 * wakes it at the earliest moment something can change. Everything a send needs to respect —
 * the gate, the server's budget, the local rolling windows, the probe — is asked in `verdict`.
 */
export class LocalKeyPacer implements KeyPacer {
  private readonly windows: RollingWindow[];
  /** Index of the window the server's headers describe: the longest. */
  private readonly described: number;
  private readonly budget: ServerBudget;
  private readonly gate: Gate;
  private readonly clock: Clock;
  private readonly queue: Waiter[] = [];
  private sentSeq = 0;
  /** Sequence numbers of the sends in flight, ascending. */
  private readonly inFlightSeqs: number[] = [];
  private probeFirst: boolean;
  private probeInFlight = false;
  private headersSeen = false;
  private timerAt = Number.POSITIVE_INFINITY;
  private timer: AbortController | undefined;
  private lastActivity: number;

  constructor(config: KeyPacerConfig) {
    this.clock = config.clock;
    this.windows = config.limits.map((l) => new RollingWindow(l.limit, l.windowMs));
    this.described = longestWindow(config.limits);
    this.budget = new ServerBudget(config.limits[this.described]!.windowMs);
    this.gate = new Gate(config.backoff, config.random);
    this.probeFirst = config.probeFirst;
    this.lastActivity = this.clock.now();
  }

  /** Resolves with a permit as soon as the key may send; rejects on abort or a deadline it cannot meet. */
  acquire(options: AcquireOptions = {}): Promise<Permit> {
    const { signal, deadline = Number.POSITIVE_INFINITY, onWait } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const granted = this.tryAcquire();
    if (granted) return Promise.resolve(granted);
    this.lastActivity = this.clock.now();
    const verdict = this.verdict(this.clock.now());
    if (verdict.ok) {
      // The key could send, but others wait before this request.
      onWait?.({ reason: "window", ms: undefined });
    } else {
      // Alone in the queue, this request is the next to go: fail now if even that is too late.
      if (this.queue.length === 0 && Number.isFinite(verdict.at) && verdict.at >= deadline)
        return Promise.reject(this.deadlineError(verdict));
      onWait?.({ reason: verdict.reason, ms: finiteOrUndefined(verdict.at - this.clock.now()) });
    }
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, deadline, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i === -1) return;
          this.queue.splice(i, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  tryAcquire(): Permit | undefined {
    if (this.queue.length > 0) return undefined;
    const now = this.clock.now();
    const verdict = this.verdict(now);
    if (!verdict.ok) return undefined;
    this.lastActivity = now;
    return this.grant(now, verdict.probe);
  }

  /** Requests waiting for a permit. */
  get waiting(): number {
    return this.queue.length;
  }

  /** The earliest moment the next request could be sent, as far as the pacer knows now. */
  nextSendAt(): number {
    const now = this.clock.now();
    const verdict = this.verdict(now);
    return verdict.ok ? now : verdict.at;
  }

  /** Nothing waiting, nothing in flight, and no activity for longer than the longest window. */
  isIdle(now: number): boolean {
    const longest = this.windows[this.described]!.windowMs;
    return (
      this.queue.length === 0 &&
      this.inFlightSeqs.length === 0 &&
      this.gate.isOpen(now) &&
      now - this.lastActivity > longest
    );
  }

  /** Rejects every waiter with `reason` and stops the timer; permits already granted may still be released. */
  close(reason: unknown): void {
    for (const waiter of this.queue.splice(0)) {
      this.detach(waiter);
      waiter.reject(reason);
    }
    this.arm(Number.POSITIVE_INFINITY);
  }

  private verdict(now: number): Verdict {
    if (!this.gate.isOpen(now)) return { ok: false, reason: "gate", at: this.gate.openAt };
    const learning = this.probeFirst && !this.headersSeen;
    if (learning && this.inFlightSeqs.length > 0)
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
        if (this.probeInFlight) return { ok: false, reason: "probe", at: Number.POSITIVE_INFINITY };
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

  private grant(grantedAt: number, probe: boolean): Permit {
    const seq = this.sentSeq++;
    this.inFlightSeqs.push(seq);
    if (probe) this.probeInFlight = true;
    for (const w of this.windows) w.reserve();
    // Our sends that the server can hold when it counts this one (see `learn`), this one included.
    const aliveAtGrant = this.windows[this.described]!.used(grantedAt);
    let released = false;
    return {
      seq,
      grantedAt,
      probe,
      release: (outcome) => {
        if (released) return NOTHING;
        released = true;
        return this.release(seq, grantedAt, aliveAtGrant, probe, outcome);
      },
    };
  }

  private release(
    seq: number,
    sentAt: number,
    aliveAtGrant: number,
    probe: boolean,
    outcome: SendOutcome,
  ): ReleaseResult {
    const now = this.clock.now();
    this.lastActivity = now;
    // The list is in grant order: the send's place in it is the number of earlier sends unanswered.
    const unansweredEarlier = this.inFlightSeqs.indexOf(seq);
    removeAt(this.inFlightSeqs, unansweredEarlier);
    if (probe) this.probeInFlight = false;
    let result = NOTHING;
    if (outcome.kind === "unsent") {
      for (const w of this.windows) w.cancel();
    } else if (outcome.kind === "failed") {
      // It may have reached the server: count it.
      for (const w of this.windows) w.complete(now, true);
    } else {
      for (const w of this.windows) w.complete(now, outcome.counted);
      if (outcome.counted) this.budget.recordSend(sentAt, now);
      this.learn(seq, sentAt, aliveAtGrant, unansweredEarlier, now, outcome);
      if (outcome.status === 429) {
        const { waitMs, reason, newEpisode } = this.gate.close(now, seq, this.sentSeq - 1, {
          retryAfterMs: outcome.retryAfterMs,
          resetMs: outcome.rateLimit?.resetMs,
        });
        if (newEpisode) this.lowerLimitAfter429();
        result = { gate: { waitMs, reason } };
      } else {
        this.gate.succeeded(seq);
      }
    }
    this.pump();
    return result;
  }

  /** Takes in what a response's headers say about the budget. */
  private learn(
    seq: number,
    sentAt: number,
    aliveAtGrant: number,
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
    const ours = observed === this.described ? aliveAtGrant + (this.sentSeq - 1 - seq) : window.used(now);
    const explainedByUs = window.limit - snapshot.remaining <= ours;
    this.budget.observe(
      { seq, sentAt, observedAt: now, snapshot, explainedByUs, unansweredEarlier },
      this.sentSeq,
    );
  }

  /**
   * A server without budget headers refused us: our configured limit is above the key's real one
   * (CampOne operators set limits per key). Lower the local limit to what the window really held,
   * so the next window is not refused again. Only ever lowers, and only on the first 429 of an
   * episode: the others answer sends that were already refused.
   */
  private lowerLimitAfter429(): void {
    if (this.headersSeen) return;
    const window = this.windows[this.described]!;
    // The refused send is in the log when the server counts 429s (CampOne); it held one fewer.
    const held = window.countedSince(this.clock.now()) - 1;
    if (held >= 1 && held < window.limit) window.setLimit(held);
  }

  private windowFor(windowMs: number | undefined): number {
    if (windowMs !== undefined) {
      const i = this.windows.findIndex((w) => w.windowMs === windowMs);
      if (i !== -1) return i;
    }
    return this.described;
  }

  /** Grants the head of the queue while the key may send; then sleeps until something can change. */
  private pump(): void {
    // Most releases find no one waiting: then the clock is not even read.
    if (this.queue.length === 0) {
      this.arm(Number.POSITIVE_INFINITY);
      return;
    }
    const now = this.clock.now();
    while (this.queue.length > 0) {
      const verdict = this.verdict(now);
      if (!verdict.ok) {
        this.failWaitersPast(verdict);
        this.arm(verdict.at);
        return;
      }
      const waiter = this.queue.shift()!;
      this.detach(waiter);
      waiter.resolve(this.grant(now, verdict.probe));
    }
    this.arm(Number.POSITIVE_INFINITY);
  }

  /** No waiter can send before the head does: those whose deadline comes first fail now. */
  private failWaitersPast(verdict: Verdict & { ok: false }): void {
    if (!Number.isFinite(verdict.at)) return;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const waiter = this.queue[i]!;
      if (waiter.deadline > verdict.at) continue;
      this.queue.splice(i, 1);
      this.detach(waiter);
      waiter.reject(this.deadlineError(verdict));
    }
  }

  private deadlineError(verdict: Verdict & { ok: false }): PacerDeadlineError {
    const reason = verdict.reason === "probe" ? "window" : verdict.reason;
    return new PacerDeadlineError(verdict.at, Math.max(0, verdict.at - this.clock.now()), reason);
  }

  private detach(waiter: Waiter): void {
    if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
  }

  /** Keeps exactly one timer per key, set for the earliest moment the head could be granted. */
  private arm(at: number): void {
    if (at === this.timerAt) return;
    this.timer?.abort();
    this.timer = undefined;
    this.timerAt = at;
    if (!Number.isFinite(at)) return;
    const timer = new AbortController();
    this.timer = timer;
    this.clock.sleep(Math.max(0, at - this.clock.now()), timer.signal).then(
      () => {
        if (this.timer !== timer) return;
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      () => {},
    );
  }
}

function longestWindow(limits: readonly Limit[]): number {
  let best = 0;
  for (let i = 1; i < limits.length; i++) if (limits[i]!.windowMs > limits[best]!.windowMs) best = i;
  return best;
}

/**
 * Removes `list[i]`. Not `splice`, which allocates an array of what it removed, once per response;
 * responses mostly come in grant order, so `i` is mostly 0 and `shift` trims the array in place.
 */
function removeAt(list: number[], i: number): void {
  if (i === 0) {
    list.shift();
    return;
  }
  for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j]!;
  list.pop();
}

function finiteOrUndefined(ms: number): number | undefined {
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}
