/**
 * The small interface every counting model implements (`rolling-window.ts`, `fixed-window.ts`,
 * `token-bucket.ts`). Pure: every method takes the time, nothing reads a clock or arms a timer,
 * so the rules run on virtual time. Calls must come with non-decreasing `now`.
 */

/** One limit (`limit` requests per `windowMs`) of one key. */
export interface Counter {
  readonly limit: number;
  readonly windowMs: number;
  /** Milliseconds from `now` until one more request would be allowed; 0 when it is allowed at `now`. */
  waitMs(now: number): number;
  /** Counts one request at `now`, allowed or not (whether a refused request counts is the dialect's rule). */
  record(now: number): void;
  /** Requests left at `now` (for the token bucket: whole tokens). Never negative. */
  remaining(now: number): number;
  /** Milliseconds until the model's reset point (see each model). Never negative. */
  resetMs(now: number): number;
}

/** The outcome of one request against every limit of a key. */
export type Attempt = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * One request at `now` against all of `counters`. Allowed when every counter allows it, and then
 * counted by each. Refused: counted as well only when `refusedCounts` (CampOne lists 429 among the
 * counted statuses; BoothZen's bucket "only refills with time"), and `retryAfterMs` is computed
 * after that, so it is the wait until a request would succeed counting this refused one.
 */
export function attempt(counters: readonly Counter[], now: number, refusedCounts: boolean): Attempt {
  const allowed = counters.every((counter) => counter.waitMs(now) === 0);
  if (allowed || refusedCounts) {
    for (const counter of counters) counter.record(now);
  }
  if (allowed) return { allowed: true };
  return { allowed: false, retryAfterMs: Math.max(...counters.map((counter) => counter.waitMs(now))) };
}
