import type { Clock } from "../clock/clock.js";
import { PacerDeadlineError } from "./deadline-error.js";
import type { AcquireOptions, Permit, WaitInfo, WaitReason } from "./types.js";

/** A request of one key waiting for its permit. */
interface Waiter {
  resolve(permit: Permit): void;
  reject(reason: unknown): void;
  /** Epoch ms; a permit at or after it is too late. */
  deadline: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  onWait: ((info: WaitInfo) => void) | undefined;
  /** Whether `onWait` was called for this wait already. */
  told: boolean;
}

/**
 * The requests of one key waiting for their permits, in the order they asked (FIFO), and the one
 * timer that wakes the key: what every pacer needs around its rules, wherever their state lives.
 * Only the head is ever granted; an abort removes its waiter; a deadline that the head's wait
 * already passes fails its waiter at once, with the time to come back.
 */
export class Waiters {
  private readonly queue: Waiter[] = [];
  private timerAt = Number.POSITIVE_INFINITY;
  private timer: AbortController | undefined;

  constructor(
    private readonly clock: Clock,
    /** Looks at the head again: after the timer fired, or a waiter left by its abort. */
    private readonly pump: () => void,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  /** Queues a request; it settles when the pacer grants it (`grantHead`), or on abort or deadline. */
  add(options: AcquireOptions): Promise<Permit> {
    const { signal, deadline = Number.POSITIVE_INFINITY, onWait } = options;
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, deadline, signal, onAbort: undefined, onWait, told: false };
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
    });
  }

  /** Resolves the head with `permit`. */
  grantHead(permit: Permit): void {
    const waiter = this.queue.shift();
    if (!waiter) throw new Error("No request waits for a permit");
    this.detach(waiter);
    waiter.resolve(permit);
  }

  /**
   * Tells the waiters not told yet why they wait and for how long (`ms` undefined while it depends
   * on responses in flight). A hook that throws fails its own request, no other.
   */
  tell(info: WaitInfo): void {
    for (const waiter of [...this.queue]) {
      if (waiter.told || !waiter.onWait) continue;
      waiter.told = true;
      try {
        waiter.onWait(info);
      } catch (error) {
        this.remove(waiter, error);
      }
    }
  }

  /** No waiter can be granted before `at`: those whose deadline comes first fail now. */
  failPast(at: number, reason: WaitReason): void {
    if (!Number.isFinite(at)) return;
    for (const waiter of [...this.queue]) {
      if (waiter.deadline > at) continue;
      this.remove(waiter, deadlineError(at, this.clock.now(), reason));
    }
  }

  /**
   * Moves every waiter, in order, to another pacer's `acquire` (with its signal, deadline, and its
   * `onWait` if it was not told yet), and stops the timer.
   */
  handOver(acquire: (options: AcquireOptions) => Promise<Permit>): void {
    for (const waiter of this.queue.splice(0)) {
      this.detach(waiter);
      const options: AcquireOptions = { signal: waiter.signal, deadline: waiter.deadline };
      if (!waiter.told) options.onWait = waiter.onWait;
      acquire(options).then(waiter.resolve, waiter.reject);
    }
    this.arm(Number.POSITIVE_INFINITY);
  }

  /** Rejects every waiter with `reason` and stops the timer. */
  rejectAll(reason: unknown): void {
    for (const waiter of this.queue.splice(0)) {
      this.detach(waiter);
      waiter.reject(reason);
    }
    this.arm(Number.POSITIVE_INFINITY);
  }

  /**
   * Keeps exactly one timer for the key, set for `at` (epoch ms on the clock; `Infinity` stops it),
   * plus `lateMs`; when it fires, the pacer looks at the head again.
   */
  arm(at: number, lateMs = 0): void {
    if (at === this.timerAt) return;
    this.timer?.abort();
    this.timer = undefined;
    this.timerAt = at;
    if (!Number.isFinite(at)) return;
    const timer = new AbortController();
    this.timer = timer;
    this.clock.sleep(Math.max(0, at - this.clock.now()) + lateMs, timer.signal).then(
      () => {
        if (this.timer !== timer) return;
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      () => {},
    );
  }

  /** When the timer is set for (`Infinity`: none). */
  get wakeAt(): number {
    return this.timerAt;
  }

  private remove(waiter: Waiter, reason: unknown): void {
    const i = this.queue.indexOf(waiter);
    if (i === -1) return;
    this.queue.splice(i, 1);
    this.detach(waiter);
    waiter.reject(reason);
  }

  private detach(waiter: Waiter): void {
    if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
  }
}

/** The key cannot send before `at`, which is at or past the caller's deadline. */
export function deadlineError(at: number, now: number, reason: WaitReason): PacerDeadlineError {
  return new PacerDeadlineError(at, Math.max(0, at - now), reason === "probe" ? "window" : reason);
}
