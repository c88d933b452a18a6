/**
 * Fixed window: back-to-back windows of `windowMs`, at most `limit` counted requests in each,
 * aligned to the key's first counted request (so each key has its own, arbitrary phase) or, given
 * an `origin`, to one grid through that time (a server whose windows follow its own clock).
 *
 * Reset point: the end of the current window (a whole window before the first counted request).
 */
import type { Counter } from "./counter.js";
import { floorDiv } from "./floor-div.js";

export class FixedWindow implements Counter {
  /** Start of the key's first window; undefined until a request is counted. */
  #origin: number | undefined;
  #index = 0;
  #count = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    origin?: number,
  ) {
    this.#origin = origin;
  }

  waitMs(now: number): number {
    this.#roll(now);
    return this.#count < this.limit ? 0 : this.#end() - now;
  }

  record(now: number): void {
    if (this.#origin === undefined) this.#origin = now;
    this.#roll(now);
    this.#count += 1;
  }

  remaining(now: number): number {
    this.#roll(now);
    return Math.max(0, this.limit - this.#count);
  }

  resetMs(now: number): number {
    this.#roll(now);
    return this.#origin === undefined ? this.windowMs : this.#end() - now;
  }

  /** Moves to the window that holds `now`, empty if it is a new one. */
  #roll(now: number): void {
    if (this.#origin === undefined) return;
    const index = floorDiv(now - this.#origin, this.windowMs);
    if (index !== this.#index) {
      this.#index = index;
      this.#count = 0;
    }
  }

  #end(): number {
    return (this.#origin ?? 0) + (this.#index + 1) * this.windowMs;
  }
}
