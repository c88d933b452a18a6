/**
 * Anthropic's rate-limit headers (docs.anthropic.com, "Rate limits", "Response headers"):
 *
 * ```
 * anthropic-ratelimit-requests-limit: 50
 * anthropic-ratelimit-requests-remaining: 49
 * anthropic-ratelimit-requests-reset: 2025-10-25T12:01:00Z
 * anthropic-ratelimit-tokens-limit / -remaining / -reset
 * anthropic-ratelimit-input-tokens-… , anthropic-ratelimit-output-tokens-…
 * ```
 *
 * Resets are RFC 3339 times at which the quota is "fully replenished": Anthropic limits with a
 * token bucket, which refills continuously.
 */
import { clampMs, parsePlainInteger, parseRfc3339 } from "./field-values.js";
import { snapshotOf } from "./snapshot.js";
import type { RateLimitQuota, RateLimitSnapshot } from "./types.js";

/**
 * The units Anthropic reports, with their fields' names made once: a name built per read is a new
 * string that undici's `Headers.get` must flatten and hash, on every response.
 */
const UNITS = (["requests", "tokens", "input-tokens", "output-tokens"] as const).map((unit) => ({
  unit,
  remaining: `anthropic-ratelimit-${unit}-remaining`,
  reset: `anthropic-ratelimit-${unit}-reset`,
  limit: `anthropic-ratelimit-${unit}-limit`,
}));

/** Reads Anthropic's headers into a snapshot with one quota per unit it reports, or `undefined`. */
export function readAnthropic(headers: Headers, nowMs: number): RateLimitSnapshot | undefined {
  const quotas: RateLimitQuota[] = [];
  for (const field of UNITS) {
    const { unit } = field;
    const remaining = parsePlainInteger(headers.get(field.remaining));
    if (remaining === undefined) {
      // Without the requests quota, the family is absent: nothing more is read.
      if (unit === "requests") return undefined;
      continue;
    }
    const resetAt = parseRfc3339(headers.get(field.reset));
    if (resetAt === undefined || !Number.isFinite(nowMs)) continue;
    // The requests quota is the key's budget as a whole; each other unit is one of its own.
    const quota: RateLimitQuota = {
      ...(unit === "requests" ? {} : { name: unit }),
      unit,
      remaining,
      resetMs: clampMs(resetAt - nowMs),
      refills: true,
    };
    const limit = parsePlainInteger(headers.get(field.limit));
    if (limit !== undefined) quota.limit = limit;
    quotas.push(quota);
  }
  return snapshotOf(quotas, [], "anthropic");
}
