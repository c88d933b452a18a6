import type { Clock } from "../clock/clock.js";
import type { KeyBudget } from "./budget.js";
import { type Grant, KeyEngine, type Verdict } from "./key-engine.js";
import type { AcquireOptions, KeyPacer, KeyPacerConfig, Permit, ReleaseResult, WaitInfo } from "./types.js";
import { deadlineError, Waiters } from "./waiters.js";

/** What a second release of one permit concludes: nothing. */
const NOTHING: ReleaseResult = Object.freeze({});

/**
 * The pacer of one key in this process: its rules (`KeyEngine`) on the injected clock, a queue of
 * the requests that wait (FIFO within a route), and one timer that wakes the queue at the earliest
 * moment the answer can change (a send ageing out, the reset, the gate opening, a token refilling).
 * A response that frees room wakes the queue at once.
 */
export class LocalKeyPacer implements KeyPacer {
  private readonly engine: KeyEngine;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly waiters: Waiters;

  constructor(config: KeyPacerConfig) {
    this.clock = config.clock;
    this.random = config.random ?? Math.random;
    this.engine = new KeyEngine(config, this.clock.now());
    this.waiters = new Waiters(this.clock, () => this.pump());
  }

  /** Resolves with a permit as soon as the key may send; rejects on abort or a deadline it cannot meet. */
  acquire(options: AcquireOptions = {}): Promise<Permit> {
    const { signal, deadline = Number.POSITIVE_INFINITY, route = "" } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const granted = this.tryAcquire(route);
    if (granted) return Promise.resolve(granted);
    const now = this.clock.now();
    this.engine.touch(now);
    const verdict = this.engine.verdict(now, route);
    // Alone in the queue, this request is the next to go: fail now if even that is too late.
    if (!verdict.ok && this.waiters.length === 0 && Number.isFinite(verdict.at) && verdict.at >= deadline) {
      return Promise.reject(deadlineError(verdict.at, now, verdict.reason));
    }
    const permit = this.waiters.add(options);
    // The key could send, but others wait before this request: its wait is theirs.
    this.waiters.tell(route, verdict.ok ? { reason: "window", ms: undefined } : waitInfo(verdict, now));
    this.pump();
    return permit;
  }

  tryAcquire(route = ""): Permit | undefined {
    if (this.waiters.length > 0) return undefined;
    const now = this.clock.now();
    const verdict = this.engine.verdict(now, route);
    return verdict.ok ? this.permit(this.engine.grant(now, verdict.probe, route)) : undefined;
  }

  /** Requests waiting for a permit. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** The earliest moment the next request (of `route`) could be sent, as far as the pacer knows now. */
  nextSendAt(route = ""): number {
    return this.engine.nextSendAt(this.clock.now(), route);
  }

  /** The key's budget now: each limit in force, what is left of it and when more comes back. */
  budget(route = ""): KeyBudget {
    const { limits, inFlight, nextSendAt } = this.engine.budget(this.clock.now(), route);
    return { limits, waiting: this.waiters.length, inFlight, nextSendAt };
  }

  /** Nothing waiting, nothing in flight, and no activity for longer than the longest window. */
  isIdle(now: number): boolean {
    return this.waiters.length === 0 && this.engine.isIdle(now);
  }

  /** Rejects every waiter with `reason` and stops the timer; permits already granted may still be released. */
  close(reason: unknown): void {
    this.waiters.rejectAll(reason);
  }

  private permit(grant: Grant): Permit {
    let released = false;
    return {
      seq: grant.seq,
      grantedAt: grant.grantedAt,
      probe: grant.probe,
      release: (outcome) => {
        if (released) return NOTHING;
        released = true;
        const result = this.engine.release(grant, outcome, this.clock.now(), this.random());
        this.pump();
        return result;
      },
    };
  }

  /**
   * Grants the heads of the queue while the key may send, the earliest arrival first among the
   * routes that can; then sleeps until something can change.
   */
  private pump(): void {
    // Most releases find no one waiting: then the clock is not even read.
    if (this.waiters.length === 0) {
      this.waiters.arm(Number.POSITIVE_INFINITY);
      return;
    }
    const now = this.clock.now();
    for (;;) {
      let granted = false;
      let wakeAt = Number.POSITIVE_INFINITY;
      for (const route of this.waiters.heads()) {
        const verdict = this.engine.verdict(now, route);
        if (verdict.ok) {
          this.waiters.grantHead(route, this.permit(this.engine.grant(now, verdict.probe, route)));
          granted = true;
          break;
        }
        this.waiters.failPast(route, verdict.at, verdict.reason);
        this.waiters.tell(route, waitInfo(verdict, now));
        wakeAt = Math.min(wakeAt, verdict.at);
      }
      if (!granted || this.waiters.length === 0) {
        this.waiters.arm(this.waiters.length === 0 ? Number.POSITIVE_INFINITY : wakeAt);
        return;
      }
    }
  }
}

function waitInfo(verdict: Verdict & { ok: false }, now: number): WaitInfo {
  return {
    reason: verdict.reason,
    ms: Number.isFinite(verdict.at) ? Math.max(0, verdict.at - now) : undefined,
  };
}
