/**
 * The de facto `X-RateLimit-*` family (GitHub, Twitter/X, Discord, many gateways):
 *
 * ```
 * X-RateLimit-Limit: 5000
 * X-RateLimit-Remaining: 4999
 * X-RateLimit-Reset: 1372700873
 * ```
 *
 * No standard defines it, and the reset comes in three spellings: delta seconds, epoch seconds
 * (GitHub) and epoch milliseconds; `resetToMs` tells them apart by magnitude.
 */
import { parsePlainInteger, parsePlainNumber, resetToMs } from "./field-values.js";
import type { RateLimitSnapshot } from "./types.js";

/**
 * Reads `X-RateLimit-Limit` / `-Remaining` / `-Reset` into a snapshot, or `undefined`.
 *
 * - `Remaining` and `Limit` must be plain non-negative integers; anything else (a sign, a fraction,
 *   a folded `"5, 4"`) is malformed. A malformed `Limit` is dropped; a malformed `Remaining`
 *   means no snapshot.
 * - `Reset` may carry a fraction (Discord sends `1470173023.123`). Without a valid `Reset` there
 *   is no snapshot: this family announces no window to stand in for it.
 */
export function readXRateLimit(headers: Headers, nowMs: number): RateLimitSnapshot | undefined {
  const remaining = parsePlainInteger(headers.get("x-ratelimit-remaining"));
  if (remaining === undefined) return undefined;
  const reset = parsePlainNumber(headers.get("x-ratelimit-reset"));
  const resetMs = reset === undefined ? undefined : resetToMs(reset, nowMs);
  if (resetMs === undefined) return undefined;
  const snapshot: RateLimitSnapshot = { remaining, resetMs, policies: [], source: "x-ratelimit" };
  const limit = parsePlainInteger(headers.get("x-ratelimit-limit"));
  if (limit !== undefined) snapshot.limit = limit;
  return snapshot;
}
