import type { Clock } from "../clock/clock.js";
import { type Grant, KeyEngine } from "./key-engine.js";
import type { AcquireOptions, KeyPacer, KeyPacerConfig, Permit, ReleaseResult, WaitInfo } from "./types.js";
import { deadlineError, Waiters } from "./waiters.js";

/** What a second release of one permit concludes: nothing. */
const NOTHING: ReleaseResult = Object.freeze({});

/**
 * The pacer of one key in this process: its rules (`KeyEngine`) on the injected clock, a FIFO queue
 * of the requests that wait, and one timer that wakes the head at the earliest moment the answer can
 * change (a send ageing out, the reset, the gate opening, a token refilling). A response that frees
 * room wakes the queue at once.
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
    const { signal, deadline = Number.POSITIVE_INFINITY } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const granted = this.tryAcquire();
    if (granted) return Promise.resolve(granted);
    const now = this.clock.now();
    this.engine.touch(now);
    const verdict = this.engine.verdict(now);
    let info: WaitInfo;
    if (verdict.ok) {
      // The key could send, but others wait before this request.
      info = { reason: "window", ms: undefined };
    } else {
      // Alone in the queue, this request is the next to go: fail now if even that is too late.
      if (this.waiters.length === 0 && Number.isFinite(verdict.at) && verdict.at >= deadline) {
        return Promise.reject(deadlineError(verdict.at, now, verdict.reason));
      }
      info = { reason: verdict.reason, ms: Number.isFinite(verdict.at) ? verdict.at - now : undefined };
    }
    const permit = this.waiters.add(options);
    this.waiters.tell(info);
    this.pump();
    return permit;
  }

  tryAcquire(): Permit | undefined {
    if (this.waiters.length > 0) return undefined;
    const now = this.clock.now();
    const verdict = this.engine.verdict(now);
    return verdict.ok ? this.permit(this.engine.grant(now, verdict.probe)) : undefined;
  }

  /** Requests waiting for a permit. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** The earliest moment the next request could be sent, as far as the pacer knows now. */
  nextSendAt(): number {
    return this.engine.nextSendAt(this.clock.now());
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

  /** Grants the head of the queue while the key may send; then sleeps until something can change. */
  private pump(): void {
    // Most releases find no one waiting: then the clock is not even read.
    if (this.waiters.length === 0) {
      this.waiters.arm(Number.POSITIVE_INFINITY);
      return;
    }
    const now = this.clock.now();
    while (this.waiters.length > 0) {
      const verdict = this.engine.verdict(now);
      if (!verdict.ok) {
        this.waiters.failPast(verdict.at, verdict.reason);
        this.waiters.arm(verdict.at);
        return;
      }
      this.waiters.grantHead(this.permit(this.engine.grant(now, verdict.probe)));
    }
    this.waiters.arm(Number.POSITIVE_INFINITY);
  }
}
