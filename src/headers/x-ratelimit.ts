/**
 * The de facto `X-RateLimit-*` family, as GitHub, Discord, express-rate-limit's legacy headers,
 * @fastify/rate-limit and many gateways send it, and X's `x-rate-limit-*` spelling:
 *
 * ```
 * X-RateLimit-Limit: 5000
 * X-RateLimit-Remaining: 4999
 * X-RateLimit-Used: 1                  (GitHub)
 * X-RateLimit-Reset: 1372700873
 * X-RateLimit-Resource: core           (GitHub: the quota's name)
 * X-RateLimit-Reset-After: 64.57       (Discord: seconds, with a fraction)
 * X-RateLimit-Bucket: abcd1234         (Discord: the quota's name)
 * ```
 *
 * No standard defines it, and the reset comes in three spellings: delta seconds (@fastify/rate-limit),
 * epoch seconds (GitHub, express-rate-limit, X) and epoch milliseconds; `resetToMs` tells them
 * apart by magnitude. Discord's relative `Reset-After` is preferred where given.
 */
import {
  isWholeEpochSecond,
  parsePlainInteger,
  parsePlainNumber,
  resetToMs,
  secondsToMs,
} from "./field-values.js";
import { requestQuota, snapshotOf } from "./snapshot.js";
import type { RateLimitSnapshot } from "./types.js";

/**
 * Reads `X-RateLimit-*` (or X's `X-Rate-Limit-*`) into a snapshot, or `undefined`.
 *
 * - `Remaining`, `Limit` and `Used` must be plain non-negative integers; anything else (a sign, a
 *   fraction, a folded `"5, 4"`) is malformed and dropped. A malformed `Remaining` is replaced by
 *   `Limit − Used` where both are given; without a `Remaining` field, there is no snapshot.
 * - The reset is `Reset-After` (seconds, fraction allowed) where given, else `Reset` (fraction
 *   allowed, Discord sends `1470173023.123`). Without a valid one there is no snapshot: this family
 *   announces no window to stand in for it.
 * - The quota's name is `Resource` (GitHub) or `Bucket` (Discord), where given.
 */
export function readXRateLimit(headers: Headers, nowMs: number): RateLimitSnapshot | undefined {
  return read(headers, nowMs, X_RATELIMIT) ?? read(headers, nowMs, X_RATE_LIMIT);
}

/**
 * A spelling's field names, made once: a name built per read (`${prefix}remaining`) is a new string
 * that undici's `Headers.get` must flatten and hash, and the first read runs on every response.
 */
const fieldsOf = (prefix: string) => ({
  remaining: `${prefix}remaining`,
  limit: `${prefix}limit`,
  used: `${prefix}used`,
  resetAfter: `${prefix}reset-after`,
  reset: `${prefix}reset`,
  resource: `${prefix}resource`,
  bucket: `${prefix}bucket`,
});
const X_RATELIMIT = fieldsOf("x-ratelimit-");
const X_RATE_LIMIT = fieldsOf("x-rate-limit-");

function read(
  headers: Headers,
  nowMs: number,
  field: ReturnType<typeof fieldsOf>,
): RateLimitSnapshot | undefined {
  const remainingField = headers.get(field.remaining);
  // Most responses carry none of the family: one header read, then nothing more.
  if (remainingField === null) return undefined;
  const limit = parsePlainInteger(headers.get(field.limit));
  let remaining = parsePlainInteger(remainingField);
  if (remaining === undefined) {
    const used = parsePlainInteger(headers.get(field.used));
    if (limit === undefined || used === undefined) return undefined;
    remaining = Math.max(0, limit - used);
  }
  const after = parsePlainNumber(headers.get(field.resetAfter));
  let resetMs: number | undefined;
  let resetInEpochSeconds = false;
  if (after !== undefined) resetMs = secondsToMs(after);
  else {
    const reset = parsePlainNumber(headers.get(field.reset));
    resetMs = reset === undefined ? undefined : resetToMs(reset, nowMs);
    resetInEpochSeconds = reset !== undefined && isWholeEpochSecond(reset);
  }
  if (resetMs === undefined) return undefined;
  const name = nameOf(headers.get(field.resource) ?? headers.get(field.bucket));
  return snapshotOf(
    [requestQuota({ remaining, resetMs, limit, resetInEpochSeconds }, name)],
    [],
    "x-ratelimit",
  );
}

/** A quota name as a server writes it: trimmed, short, printable; anything else is no name. */
function nameOf(value: string | null): string | undefined {
  if (value === null) return undefined;
  const name = value.trim();
  return name !== "" && name.length <= 100 && /^[\x21-\x7e]+$/.test(name) ? name : undefined;
}
