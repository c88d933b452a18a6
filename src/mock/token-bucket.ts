/**
 * Token bucket: capacity `limit` tokens, full at first, refilled continuously at `limit / windowMs`
 * tokens per millisecond; a request needs a whole token and takes one. Where refused requests count
 * (CampOne), they take a token they do not have and the bucket goes into debt.
 *
 * The level is kept in units of 1/windowMs token, so with integer times every step is exact integer
 * arithmetic: a token is `windowMs` units, and `limit` units flow in per millisecond.
 *
 * Reset point: when the bucket is full again.
 */
import type { Counter } from "./counter.js";
import { floorDiv } from "./floor-div.js";

export class TokenBucket implements Counter {
  #level: number;
  #last: number | undefined;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    this.#level = this.#capacity;
  }

  waitMs(now: number): number {
    this.#refill(now);
    return this.#level >= this.windowMs ? 0 : (this.windowMs - this.#level) / this.limit;
  }

  record(now: number): void {
    this.#refill(now);
    this.#level -= this.windowMs;
  }

  remaining(now: number): number {
    this.#refill(now);
    return Math.max(0, floorDiv(this.#level, this.windowMs));
  }

  resetMs(now: number): number {
    this.#refill(now);
    return (this.#capacity - this.#level) / this.limit;
  }

  get #capacity(): number {
    return this.limit * this.windowMs;
  }

  #refill(now: number): void {
    if (this.#last !== undefined) {
      this.#level = Math.min(this.#capacity, this.#level + (now - this.#last) * this.limit);
    }
    this.#last = now;
  }
}
