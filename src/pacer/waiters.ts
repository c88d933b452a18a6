import type { Clock } from "../clock/clock.js";
import { PacerDeadlineError } from "./deadline-error.js";
import type { AcquireOptions, Permit, WaitInfo, WaitReason } from "./types.js";

/** A request of one key waiting for its permit. */
interface Waiter {
  /** Arrival order among all the key's waiters. */
  seq: number;
  route: string;
  resolve(permit: Permit): void;
  reject(reason: unknown): void;
  /** Epoch ms; a permit at or after it is too late. */
  deadline: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  onWait: ((info: WaitInfo) => void) | undefined;
  /** What `onWait` was told last: undefined before the first time. */
  told: WaitInfo | undefined;
}

/**
 * The requests of one key waiting for their permits, and the one timer that wakes the key: what
 * every pacer needs around its rules, wherever their state lives.
 *
 * Requests wait in the order they asked (FIFO) within a route; routes do not wait for each other
 * (a spent `search` bucket holds no `core` request), and among the routes that can send, the
 * earliest arrival goes first. An abort removes its waiter; a deadline that the wait already passes
 * fails its waiter at once, with the time to come back.
 */
export class Waiters {
  private readonly routes = new Map<string, Waiter[]>();
  private count = 0;
  private arrivals = 0;
  private timerAt = Number.POSITIVE_INFINITY;
  private timer: AbortController | undefined;

  constructor(
    private readonly clock: Clock,
    /** Looks at the queue again: after the timer fired, or a waiter left by its abort. */
    private readonly pump: () => void,
  ) {}

  get length(): number {
    return this.count;
  }

  /** Queues a request; it settles when the pacer grants it (`grantHead`), or on abort or deadline. */
  add(options: AcquireOptions): Promise<Permit> {
    const { signal, deadline = Number.POSITIVE_INFINITY, onWait, route = "" } = options;
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        seq: this.arrivals++,
        route,
        resolve,
        reject,
        deadline,
        signal,
        onAbort: undefined,
        onWait,
        told: undefined,
      };
      if (signal) {
        waiter.onAbort = () => {
          if (!this.remove(waiter)) return;
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      let queue = this.routes.get(route);
      if (queue === undefined) {
        queue = [];
        this.routes.set(route, queue);
      }
      queue.push(waiter);
      this.count++;
    });
  }

  /** Requests of `route` waiting. */
  countOf(route: string): number {
    return this.routes.get(route)?.length ?? 0;
  }

  /** The routes that have waiters, their heads' arrival order first. */
  heads(): string[] {
    if (this.routes.size === 1) return [...this.routes.keys()];
    return [...this.routes].sort((a, b) => a[1][0]!.seq - b[1][0]!.seq).map(([route]) => route);
  }

  /** Resolves the head of `route` with `permit`. */
  grantHead(route: string, permit: Permit): void {
    const queue = this.routes.get(route);
    const waiter = queue?.shift();
    if (!waiter) throw new Error("No request of this route waits for a permit");
    this.count--;
    if (queue!.length === 0) this.routes.delete(route);
    this.detach(waiter);
    waiter.resolve(permit);
  }

  /**
   * Tells the waiters of `route` why they wait and for how long at least (`ms` undefined while it
   * depends on answers in flight): each when it starts waiting, and again when its reason changes or
   * its wait, unknown so far, becomes known. A hook that throws fails its own request, no other.
   */
  tell(route: string, info: WaitInfo): void {
    for (const waiter of [...(this.routes.get(route) ?? [])]) {
      const told = waiter.told;
      if (
        told !== undefined &&
        told.reason === info.reason &&
        (told.ms !== undefined || info.ms === undefined)
      ) {
        continue;
      }
      waiter.told = info;
      if (!waiter.onWait) continue;
      try {
        waiter.onWait(info);
      } catch (error) {
        if (this.remove(waiter)) waiter.reject(error);
      }
    }
  }

  /** No waiter of `route` can be granted before `at`: those whose deadline comes first fail now. */
  failPast(route: string, at: number, reason: WaitReason): void {
    if (!Number.isFinite(at)) return;
    for (const waiter of [...(this.routes.get(route) ?? [])]) {
      if (waiter.deadline > at) continue;
      if (this.remove(waiter)) waiter.reject(deadlineError(at, this.clock.now(), reason));
    }
  }

  /**
   * Moves every waiter, in order, to another pacer's `acquire` (with its signal, deadline, route, and
   * its `onWait` if it was not told yet), and stops the timer.
   */
  handOver(acquire: (options: AcquireOptions) => Promise<Permit>): void {
    const all = [...this.routes.values()].flat().sort((a, b) => a.seq - b.seq);
    this.routes.clear();
    this.count = 0;
    for (const waiter of all) {
      this.detach(waiter);
      const options: AcquireOptions = {
        signal: waiter.signal,
        deadline: waiter.deadline,
        route: waiter.route,
      };
      if (waiter.told === undefined) options.onWait = waiter.onWait;
      acquire(options).then(waiter.resolve, waiter.reject);
    }
    this.arm(Number.POSITIVE_INFINITY);
  }

  /** Rejects every waiter with `reason` and stops the timer. */
  rejectAll(reason: unknown): void {
    const all = [...this.routes.values()].flat();
    this.routes.clear();
    this.count = 0;
    for (const waiter of all) {
      this.detach(waiter);
      waiter.reject(reason);
    }
    this.arm(Number.POSITIVE_INFINITY);
  }

  /**
   * Keeps exactly one timer for the key, set for `at` (epoch ms on the clock; `Infinity` stops it),
   * plus `lateMs`; when it fires, the pacer looks at the queue again.
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

  private remove(waiter: Waiter): boolean {
    const queue = this.routes.get(waiter.route);
    const i = queue?.indexOf(waiter) ?? -1;
    if (i === -1) return false;
    queue!.splice(i, 1);
    if (queue!.length === 0) this.routes.delete(waiter.route);
    this.count--;
    this.detach(waiter);
    return true;
  }

  private detach(waiter: Waiter): void {
    if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
  }
}

/** The key cannot send before `at`, which is at or past the caller's deadline. */
export function deadlineError(at: number, now: number, reason: WaitReason): PacerDeadlineError {
  return new PacerDeadlineError(at, Math.max(0, at - now), reason === "probe" ? "window" : reason);
}
