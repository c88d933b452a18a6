/**
 * Rolling window: an exact log. A request counted at `t` is in the window while `now < t + windowMs`;
 * at most `limit` may be in it. Only the newest `limit` times are kept (whether a request is allowed
 * depends on no older one), in an array trimmed on every call, so memory per key is bounded by `limit`.
 *
 * Reset point: when the oldest counted request in the window ages out (a whole window when none is).
 */
import type { Counter } from "./counter.js";

export class RollingWindow implements Counter {
  /** Counted times, oldest first, from index `#head` on. */
  #times: number[] = [];
  #head = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  waitMs(now: number): number {
    this.#trim(now);
    return this.#size < this.limit ? 0 : this.#oldest + this.windowMs - now;
  }

  record(now: number): void {
    this.#trim(now);
    this.#times.push(now);
    if (this.#size > this.limit) this.#head += 1;
    this.#compact();
  }

  remaining(now: number): number {
    this.#trim(now);
    return Math.max(0, this.limit - this.#size);
  }

  resetMs(now: number): number {
    this.#trim(now);
    return this.#size === 0 ? this.windowMs : this.#oldest + this.windowMs - now;
  }

  get #size(): number {
    return this.#times.length - this.#head;
  }

  get #oldest(): number {
    return this.#times[this.#head] ?? Number.NEGATIVE_INFINITY;
  }

  /** Drops the times that have aged out. */
  #trim(now: number): void {
    while (this.#size > 0 && this.#oldest + this.windowMs <= now) this.#head += 1;
    this.#compact();
  }

  /** Reclaims the dropped prefix once it is at least half the array. */
  #compact(): void {
    if (this.#head > 64 && this.#head * 2 >= this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
  }
}
