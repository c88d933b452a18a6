/**
 * Who is calling, and that caller's counters. Limits are per key: CampOne "Each key carries its own
 * counter — keys are not pooled, and there is no tenant-wide cap"; BoothZen "enforces rate limits
 * per API key — not per IP, not per tenant".
 */
import { type AuthFailure, parseBearer } from "./bearer.js";
import type { Counter } from "./counter.js";
import { createCounter } from "./create-counter.js";
import { DEFAULT_TENANT, type ResolvedKey, type ResolvedOptions } from "./options.js";

/** An authenticated caller. */
export interface Caller {
  key: string;
  config: ResolvedKey;
}

/** The counters of one key: the main limit first, then BoothZen's burst limit. */
export interface KeyCounters {
  main: Counter;
  burst: Counter | undefined;
}

/** Keys with counters kept before idle ones are looked for and forgotten. */
const SWEEP_AT = 1_024;

export class KeyTable {
  readonly #options: ResolvedOptions;
  readonly #counters = new Map<string, KeyCounters>();
  /** How many keys' counters are kept when the next sweep for idle ones runs. */
  #sweepAt = SWEEP_AT;

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  /** The caller of an `Authorization` header, or why it cannot be attributed to a key. */
  authenticate(header: string | null): Caller | { failure: AuthFailure } {
    const parsed = parseBearer(header);
    if ("failure" in parsed) return parsed;
    const { keys } = this.#options;
    if (keys === undefined) return { key: parsed.token, config: this.defaultKey() };
    const config = keys.get(parsed.token);
    return config === undefined ? { failure: "unknown" } : { key: parsed.token, config };
  }

  /** A key with the mock's own limits, as any key is when the mock runs without `keys`. */
  defaultKey(): ResolvedKey {
    const { limit, burst } = this.#options;
    return { tenant: DEFAULT_TENANT, limit, burst, readOnly: false };
  }

  /**
   * The counters of `caller`, created on its first request. A key whose counters are all back to
   * where they started (nothing left in a rolling log, a fixed window untouched, a bucket full) is
   * forgotten once enough keys are kept: it is then the same as a key never seen, so memory grows
   * with the keys active in a window, not with every key ever seen. (A fixed window's phase starts
   * again from the key's next request, unless the windows follow `windowOrigin`.)
   */
  countersOf(caller: Caller, now: number): KeyCounters {
    let counters = this.#counters.get(caller.key);
    if (counters === undefined) {
      if (this.#counters.size >= this.#sweepAt) this.#sweep(now);
      counters = this.fresh(caller.config);
      this.#counters.set(caller.key, counters);
    }
    return counters;
  }

  #sweep(now: number): void {
    for (const [key, counters] of this.#counters) {
      if (isFresh(counters.main, now) && (counters.burst === undefined || isFresh(counters.burst, now))) {
        this.#counters.delete(key);
      }
    }
    // Sweep again when the keys still kept have doubled: amortized O(1) per new key.
    this.#sweepAt = Math.max(SWEEP_AT, this.#counters.size * 2);
  }

  /** Counters of a key that has sent nothing yet. */
  fresh(config: ResolvedKey): KeyCounters {
    const { counting, windowMs, burstWindowMs, windowOrigin } = this.#options;
    return {
      main: createCounter(counting, config.limit, windowMs, windowOrigin),
      burst:
        config.burst > 0 ? createCounter(counting, config.burst, burstWindowMs, windowOrigin) : undefined,
    };
  }

  reset(): void {
    this.#counters.clear();
  }
}

function isFresh(counter: Counter, now: number): boolean {
  return counter.remaining(now) === counter.limit && counter.waitMs(now) === 0;
}
