/**
 * The draft -06 trio (draft-ietf-httpapi-ratelimit-headers-06), what BoothZen sends:
 *
 * ```
 * RateLimit-Limit: 600
 * RateLimit-Remaining: 597
 * RateLimit-Reset: 41
 * ```
 *
 * Each is a Structured Field Item whose value is a non-negative Integer (`RateLimit-Reset` in
 * delta seconds). Earlier drafts (-00 to -03) let `RateLimit-Limit` carry quota policies after the
 * limit (`10, 10;w=1, 50;w=60`); drafts -04 to -06 moved them to `RateLimit-Policy: 10;w=1, 50;w=60`.
 * Both spellings are read.
 */

import { isWholeEpochSecond, resetToMs, secondsToMs } from "./field-values.js";
import { requestQuota, snapshotOf } from "./snapshot.js";
import { parseSfList, parseSfMembers, type SfItem, sfInteger } from "./structured-fields.js";
import type { RateLimitPolicy, RateLimitSnapshot } from "./types.js";

/**
 * The value of what servers send nearly always, an Integer Item and nothing else: 1 to 15 digits
 * (RFC 8941), read without the Structured Fields parser, which a paced response would otherwise run
 * several times. -1 for anything else, which takes the parser's path.
 */
function bareDigits(value: string | null | undefined): number {
  if (typeof value !== "string" || value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * Reads one Integer Item (parameters allowed, as comments). A comma list — two fields folded by
 * `Headers.get` — is malformed: which of the two is current cannot be known.
 */
export function parseSfIntegerField(value: string | null | undefined): number | undefined {
  const digits = bareDigits(value);
  if (digits !== -1) return digits;
  const members = parseSfMembers(value);
  if (members.length !== 1) return undefined;
  const n = sfInteger(members[0]?.value);
  return n !== undefined && n >= 0 ? n : undefined;
}

/** A quota policy `limit;w=seconds` (draft -03 `RateLimit-Limit` members, draft -06 `RateLimit-Policy`). */
function policyOf(item: SfItem): RateLimitPolicy | undefined {
  const limit = sfInteger(item.value);
  const w = sfInteger(item.params.get("w"));
  if (limit === undefined || limit < 0 || w === undefined || w <= 0) return undefined;
  return { limit, windowMs: secondsToMs(w) };
}

/**
 * Reads `RateLimit-Limit`: the first member is the limit in force; members carrying `w` are
 * quota policies. Malformed members are skipped; a malformed first member means no limit.
 */
export function parseDraft6Limit(value: string | null | undefined): {
  limit: number | undefined;
  policies: RateLimitPolicy[];
} {
  const digits = bareDigits(value);
  if (digits !== -1) return { limit: digits, policies: [] };
  const members = parseSfMembers(value);
  const first = sfInteger(members[0]?.value);
  const limit = first !== undefined && first >= 0 ? first : undefined;
  const policies: RateLimitPolicy[] = [];
  for (const item of members) {
    const policy = item && policyOf(item);
    if (policy) policies.push(policy);
  }
  return { limit, policies };
}

/** Reads a draft -06 `RateLimit-Policy` (`10;w=1, 50;w=60`); draft -10 string-named items are not its. */
export function parseDraft6Policy(value: string | null | undefined): RateLimitPolicy[] {
  const policies: RateLimitPolicy[] = [];
  if (value === null || value === undefined) return policies;
  for (const item of parseSfList(value)) {
    const policy = policyOf(item);
    if (policy) policies.push(policy);
  }
  return policies;
}

/**
 * Reads the draft -06 trio into a snapshot, or `undefined` when the family is absent or unusable.
 *
 * - `RateLimit-Remaining` is required: without it there is no budget to pace by.
 * - `RateLimit-Reset` is delta seconds; a value of 1e9 or more is read as an epoch (see
 *   `resetToMs`), since a 31-year delta is never what a server means. When it is missing or
 *   malformed, the window of the policy in force stands in for it — the reset cannot be later
 *   than one window away — and without such a window the snapshot is `undefined`: "r more
 *   before an unknown time" cannot pace anything, and guessing 0 would say the budget is back now.
 * - `RateLimit-Limit` is optional; its policies, plus those of a draft -06 `RateLimit-Policy`,
 *   are the snapshot's `policies`, and the window of the one whose limit equals the limit in force
 *   is the snapshot's `windowMs`.
 */
export function readDraft6(headers: Headers, nowMs: number): RateLimitSnapshot | undefined {
  return draft6(headers, nowMs, true);
}

/**
 * `readDraft6` without `RateLimit-Policy`: the three fields alone, for an API that documents them
 * and no policy field (BoothZen): two `Headers.get` fewer than every family's check, each of them
 * a WebIDL conversion and a name check in undici (docs/design.md, "Performance").
 */
export function readDraft6Trio(headers: Headers, nowMs: number): RateLimitSnapshot | undefined {
  return draft6(headers, nowMs, false);
}

function draft6(headers: Headers, nowMs: number, readPolicy: boolean): RateLimitSnapshot | undefined {
  const remaining = parseSfIntegerField(headers.get("ratelimit-remaining"));
  if (remaining === undefined) return undefined;
  const { limit, policies: limitPolicies } = parseDraft6Limit(headers.get("ratelimit-limit"));
  const announced = readPolicy ? parseDraft6Policy(headers.get("ratelimit-policy")) : [];
  const policies =
    limitPolicies.length + announced.length === 0 ? announced : dedupe([...limitPolicies, ...announced]);
  const windowMs = limit === undefined ? undefined : policies.find((p) => p.limit === limit)?.windowMs;

  const resetSeconds = parseSfIntegerField(headers.get("ratelimit-reset"));
  const resetMs = (resetSeconds === undefined ? undefined : resetToMs(resetSeconds, nowMs)) ?? windowMs;
  if (resetMs === undefined) return undefined;
  const resetInEpochSeconds = resetSeconds !== undefined && isWholeEpochSecond(resetSeconds);

  return snapshotOf(
    [requestQuota({ remaining, resetMs, limit, windowMs, resetInEpochSeconds })],
    policies,
    "ietf-06",
  );
}

function dedupe(policies: RateLimitPolicy[]): RateLimitPolicy[] {
  const seen = new Set<string>();
  return policies.filter((p) => {
    const key = `${p.limit}/${p.windowMs}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
