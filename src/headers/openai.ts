/**
 * OpenAI's rate-limit headers (platform.openai.com/docs/guides/rate-limits, "Rate limits in headers"):
 *
 * ```
 * x-ratelimit-limit-requests: 60
 * x-ratelimit-remaining-requests: 59
 * x-ratelimit-reset-requests: 1s
 * x-ratelimit-limit-tokens: 150000
 * x-ratelimit-remaining-tokens: 149984
 * x-ratelimit-reset-tokens: 6m0s
 * ```
 *
 * The resets are Go durations and mean "the time until the rate limit … resets to its initial
 * state": when the quota is full again, as a token bucket refills continuously.
 */
import { parseGoDuration, parsePlainInteger } from "./field-values.js";
import { snapshotOf } from "./snapshot.js";
import type { RateLimitQuota, RateLimitSnapshot } from "./types.js";

/**
 * The units OpenAI reports, each a quota of its own, with its fields' names written out: a name
 * built per read (`x-ratelimit-remaining-${unit}`) is a new string that undici's `Headers.get`
 * must flatten and hash, on every response.
 */
const UNITS = [
  {
    unit: "requests",
    remaining: "x-ratelimit-remaining-requests",
    reset: "x-ratelimit-reset-requests",
    limit: "x-ratelimit-limit-requests",
  },
  {
    unit: "tokens",
    remaining: "x-ratelimit-remaining-tokens",
    reset: "x-ratelimit-reset-tokens",
    limit: "x-ratelimit-limit-tokens",
  },
] as const;

/** Reads OpenAI's headers into a snapshot with a `requests` and a `tokens` quota, or `undefined`. */
export function readOpenAi(headers: Headers, _nowMs: number): RateLimitSnapshot | undefined {
  const quotas: RateLimitQuota[] = [];
  for (const field of UNITS) {
    const { unit } = field;
    const remaining = parsePlainInteger(headers.get(field.remaining));
    // Most responses carry none: one header read for each unit, then nothing more.
    if (remaining === undefined) continue;
    const resetMs = parseGoDuration(headers.get(field.reset));
    if (resetMs === undefined) continue;
    // The requests quota is the key's budget as a whole; each other unit is one of its own.
    const quota: RateLimitQuota = {
      ...(unit === "requests" ? {} : { name: unit }),
      unit,
      remaining,
      resetMs,
      refills: true,
    };
    const limit = parsePlainInteger(headers.get(field.limit));
    if (limit !== undefined) quota.limit = limit;
    quotas.push(quota);
  }
  return snapshotOf(quotas, [], "openai");
}
