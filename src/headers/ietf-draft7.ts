/**
 * The single `RateLimit` Dictionary of draft-ietf-httpapi-ratelimit-headers-07 (what
 * express-rate-limit sends with `standardHeaders: 'draft-7'`, and hono-rate-limiter):
 *
 * ```
 * RateLimit-Policy: 100;w=60
 * RateLimit: limit=100, remaining=50, reset=5
 * ```
 *
 * `limit` and `reset` (seconds) are required, `remaining` optional; the policy is the draft -06 one.
 */
import { secondsToMs } from "./field-values.js";
import { parseDraft6Policy } from "./ietf-draft6.js";
import { requestQuota, snapshotOf } from "./snapshot.js";
import { parseSfDictionary, sfInteger } from "./structured-fields.js";
import type { RateLimitSnapshot } from "./types.js";

/**
 * Reads the draft -07 `RateLimit` Dictionary into a snapshot, or `undefined` when the field is not
 * one (a draft -08 List has no `limit`, `remaining` or `reset` keys) or lacks `remaining` and `reset`.
 * Without `remaining`, nothing can be paced: undefined. The window is that of the draft -06
 * `RateLimit-Policy` whose limit equals `limit`.
 */
export function readDraft7(
  headers: Headers,
  _nowMs: number,
  field = headers.get("ratelimit"),
): RateLimitSnapshot | undefined {
  if (field === null) return undefined;
  const dictionary = parseSfDictionary(field);
  const remaining = nonNegative(sfInteger(dictionary.get("remaining")?.value));
  const resetSeconds = nonNegative(sfInteger(dictionary.get("reset")?.value));
  if (remaining === undefined || resetSeconds === undefined) return undefined;
  const limit = nonNegative(sfInteger(dictionary.get("limit")?.value));
  const policies = parseDraft6Policy(headers.get("ratelimit-policy"));
  const windowMs = policies.find((p) => p.limit === limit)?.windowMs ?? policies[0]?.windowMs;
  return snapshotOf(
    [requestQuota({ remaining, resetMs: secondsToMs(resetSeconds), limit, windowMs })],
    policies,
    "ietf-07",
  );
}

function nonNegative(n: number | undefined): number | undefined {
  return n !== undefined && n >= 0 ? n : undefined;
}
