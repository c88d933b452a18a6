import { knownKeys, plainObject } from "../internal/validate.js";

/**
 * The backoff math: pure functions of the attempt number, the server's word and a random source.
 *
 * Our own waits use **full jitter** — a uniform draw in [0, min(cap, base·factor^attempt)] — as
 * recommended by the AWS Architecture Blog, "Exponential Backoff And Jitter" (Marc Brooker, 2015):
 * of the variants compared there it spreads competing clients best and finishes the contended work
 * with the fewest calls; plain exponential backoff keeps clients that failed together in lockstep.
 *
 * A wait the **server** gave (`Retry-After`, `RateLimit-Reset`) is different: it is a floor. Jitter
 * is only ever *added* to it, never subtracted, because sending before the moment the server named
 * earns another 429 (BoothZen: "Never retry tighter than Retry-After"; CampOne: "Wait at least that
 * long before retrying"). The jitter still spreads the clients that were all told the same moment.
 */

/**
 * How waits grow and are capped for one dialect. All durations are milliseconds.
 * Check a policy built from user input with `validateBackoffPolicy`; the functions here keep
 * their results finite and non-negative whatever the policy.
 */
export interface BackoffPolicy {
  /** First backoff ceiling (attempt 0), in milliseconds. */
  baseMs: number;
  /**
   * Largest wait *we* choose, in milliseconds. A server-given wait longer than this is still
   * honoured in full: the server's word wins over our cap.
   */
  capMs: number;
  /** Growth per attempt (2 doubles), ≥ 1. */
  factor: number;
  /** Largest random delay added on top of a server-given wait, in milliseconds. */
  retryAfterJitterMs: number;
}

/**
 * CampOne: "Respect Retry-After, then on the next failure double the wait, and so on. Capping at a
 * reasonable maximum (e.g. an hour) keeps your integration polite."
 */
export const CAMPONE_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 1000,
  capMs: 3_600_000,
  factor: 2,
  retryAfterJitterMs: 250,
});

/**
 * BoothZen: "exponential backoff with jitter — starting at 1s and capping at 60s"; its sample adds
 * `Math.random() * 500` ms to `Retry-After`.
 */
export const BOOTHZEN_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 1000,
  capMs: 60_000,
  factor: 2,
  retryAfterJitterMs: 500,
});

/**
 * GitHub: "If the retry-after response header is present, you should not retry your request until
 * after that many seconds has elapsed. … Otherwise, wait for at least one minute before retrying.
 * If your request continues to fail due to a secondary rate limit, wait for an exponentially
 * increasing amount of time between retries".
 */
export const GITHUB_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 60_000,
  capMs: 3_600_000,
  factor: 2,
  retryAfterJitterMs: 1000,
});

/** For APIs that document nothing: BoothZen's numbers, the common 1 s → 60 s practice. */
export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = BOOTHZEN_BACKOFF;

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

const MAX_MS = Number.MAX_SAFE_INTEGER;

/**
 * Throws a `RangeError` naming the first field of `policy` that is not usable: every duration
 * must be a finite number ≥ 0 and `factor` a finite number ≥ 1. Call it where a policy is built.
 */
export function validateBackoffPolicy(policy: BackoffPolicy): void {
  for (const name of ["baseMs", "capMs", "retryAfterJitterMs"] as const) {
    const value = policy[name];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`Expected \`${name}\` to be a finite number ≥ 0, got \`${String(value)}\``);
    }
  }
  const factor = policy.factor;
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
    throw new RangeError(`Expected \`factor\` to be a finite number ≥ 1, got \`${String(factor)}\``);
  }
}

/**
 * A full-jitter backoff: a uniform draw in [0, min(capMs, baseMs·factor^attempt)].
 * Finite for any attempt (10 000 gives a draw under `capMs`); a negative or NaN attempt counts as 0.
 * @param attempt 0 for the first retry.
 * @returns milliseconds.
 */
export function fullJitter(
  attempt: number,
  policy: BackoffPolicy,
  random: RandomSource = Math.random,
): number {
  return exponential(policy.baseMs, attempt, policy) * unit(random);
}

/**
 * The wait before retrying a transient failure (5xx, reset connection) of one request: full
 * jitter, so that requests that failed together do not retry together.
 * @param attempt 0 for the first retry.
 * @returns milliseconds in [0, capMs].
 */
export function transientBackoff(
  attempt: number,
  policy: BackoffPolicy,
  random: RandomSource = Math.random,
): number {
  return fullJitter(attempt, policy, random);
}

/** Input of `rateLimitWait`. */
export interface RateLimitWaitInput {
  /** `Retry-After` in milliseconds, where the 429 carried one. Takes precedence over `resetMs`. */
  retryAfterMs?: number | undefined;
  /** `RateLimit-Reset` in milliseconds, where the 429 carried one. */
  resetMs?: number | undefined;
  /**
   * The pause a pace learned from the server's refusals asks for, where the key has one: it stands
   * in for the backoff when the server names no wait (the learned pace slows down on its own).
   */
  paceMs?: number | undefined;
  /** How many 429s this key got in a row, this one included: 1 for the first. */
  consecutive429: number;
  policy: BackoffPolicy;
  random?: RandomSource;
}

/** What `rateLimitWait` decided and from what. */
export interface RateLimitWait {
  /** Milliseconds to keep the key's gate closed. */
  waitMs: number;
  /** `"retry-after"` / `"reset"`: a server-given wait (plus jitter); `"backoff"`: our own. */
  reason: "retry-after" | "reset" | "backoff";
}

/**
 * How long a 429 closes the key's gate.
 *
 * - With `Retry-After` R (n = `consecutive429`): `max(R, min(capMs, S·factor^(n−1)))` plus a
 *   jitter in [0, retryAfterJitterMs], where S = R on the first 429 and `max(R, baseMs)` after:
 *   a second refusal right after `Retry-After: 0` must still slow down. Never less than R, even
 *   when R exceeds `capMs` — the server's word wins over our cap.
 * - Without it, with a reset (`RateLimit-Reset`) the same, from the reset. `Retry-After` wins
 *   when both came (draft -10 §7: "the Retry-After field MUST take precedence").
 * - With neither: `paceMs` where given, else full jitter over attempt n−1; at least 1 ms so that
 *   a 429 always waits.
 *
 * A `retryAfterMs` / `resetMs` that is negative or not finite counts as absent.
 * The result is finite, ≥ 0 and ≤ `Number.MAX_SAFE_INTEGER`.
 */
export function rateLimitWait(input: RateLimitWaitInput): RateLimitWait {
  const { policy, random = Math.random } = input;
  const n = Number.isFinite(input.consecutive429) ? Math.max(1, Math.floor(input.consecutive429)) : 1;
  const retryAfter = usable(input.retryAfterMs);
  const reset = usable(input.resetMs);
  const given = retryAfter ?? reset;
  if (given === undefined) {
    const own = usable(input.paceMs) ?? fullJitter(n - 1, policy, random);
    return { waitMs: Math.max(1, own), reason: "backoff" };
  }
  const seed = n === 1 ? given : Math.max(given, nonNegative(policy.baseMs));
  const grown = Math.max(given, exponential(seed, n - 1, policy));
  const jitter = nonNegative(policy.retryAfterJitterMs) * unit(random);
  return {
    waitMs: Math.min(MAX_MS, grown + jitter),
    reason: retryAfter !== undefined ? "retry-after" : "reset",
  };
}

/** min(capMs, seed·factor^attempt), finite and ≥ 0 for any inputs. */
function exponential(seed: number, attempt: number, policy: BackoffPolicy): number {
  const cap = nonNegative(policy.capMs);
  const base = nonNegative(seed);
  if (base === 0) return 0;
  const a = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  const factor = Number.isFinite(policy.factor) && policy.factor >= 1 ? policy.factor : 1;
  const value = base * factor ** a; // may be Infinity for a large attempt: min() takes care of it
  return Math.min(cap, value);
}

/** A draw clamped into [0, 1]; a broken source (NaN) counts as 0. */
function unit(random: RandomSource): number {
  const r = random();
  return r >= 0 && r <= 1 ? r : r > 1 ? 1 : 0;
}

/** Clamps into [0, MAX_SAFE_INTEGER]; NaN counts as 0, Infinity as the maximum. */
function nonNegative(value: number): number {
  return value > 0 ? Math.min(value, MAX_MS) : 0;
}

function usable(ms: number | undefined): number | undefined {
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_MS) : undefined;
}

/** The preset's policy with the caller's overrides, checked now rather than at the first 429. */
export function mergeBackoff(
  defaults: BackoffPolicy,
  overrides: Partial<BackoffPolicy> | undefined,
): BackoffPolicy {
  if (overrides === undefined) return defaults;
  knownKeys("backoff", plainObject("backoff", overrides), [
    "baseMs",
    "capMs",
    "factor",
    "retryAfterJitterMs",
  ]);
  const merged = { ...defaults, ...overrides };
  validateBackoffPolicy(merged);
  return merged;
}
