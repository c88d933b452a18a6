/**
 * The structured fields of draft-ietf-httpapi-ratelimit-headers -08, -09 and -10 (what
 * express-rate-limit sends with `standardHeaders: 'draft-8'`):
 *
 * ```
 * RateLimit-Policy: "burst";q=100;w=60, "daily";q=1000;w=86400
 * RateLimit: "burst";r=50;t=30
 * ```
 *
 * `RateLimit-Policy` lists quota policies (a String name; `q` quota, `qu` quota unit, `w` window in
 * seconds, `pk` partition key); `RateLimit` lists service limits (the policy's name; `r` remaining,
 * `t` seconds until quota comes back). Both are Lists of Items and may be split over several fields.
 */
import { secondsToMs } from "./field-values.js";
import { snapshotOf } from "./snapshot.js";
import { parseSfList, type SfItem, sfInteger } from "./structured-fields.js";
import type { RateLimitPolicy, RateLimitQuota, RateLimitSnapshot } from "./types.js";

/** One policy of `RateLimit-Policy`, as announced (the window is optional from -08 on). */
export interface Draft10Policy {
  name: string;
  /** `q`: the quota, in `unit`s. */
  quota: number;
  /** `qu`: `"requests"` (the default), `"content-bytes"`, `"concurrent-requests"`, … */
  unit: string;
  /** `w` in milliseconds, where given. */
  windowMs?: number;
}

/** One service limit of `RateLimit`. */
export interface Draft10Limit {
  name: string;
  /** `r`: quota units left. */
  remaining: number;
  /** `t` in milliseconds, where given. */
  resetMs?: number;
}

/** The item's name: a String per the drafts; a Token is accepted too (lenient), anything else is not a name. */
function nameOf(item: SfItem): string | undefined {
  return item.value.type === "string" || item.value.type === "token" ? item.value.value : undefined;
}

/**
 * Reads `RateLimit-Policy`. A member without a name or a non-negative integer `q`, with a `w` that
 * is not a positive integer, or with a `qu` that is not a String, is malformed and skipped.
 */
export function parseDraft10Policies(value: string | null | undefined): Draft10Policy[] {
  const out: Draft10Policy[] = [];
  for (const item of parseSfList(value)) {
    const name = nameOf(item);
    const quota = sfInteger(item.params.get("q"));
    if (name === undefined || quota === undefined || quota < 0) continue;
    const w = item.params.get("w");
    const seconds = sfInteger(w);
    if (w !== undefined && (seconds === undefined || seconds <= 0)) continue;
    const qu = item.params.get("qu");
    if (qu !== undefined && qu.type !== "string" && qu.type !== "token") continue;
    const policy: Draft10Policy = {
      name,
      quota,
      unit: qu?.value === undefined ? "requests" : String(qu.value),
    };
    if (seconds !== undefined) policy.windowMs = secondsToMs(seconds);
    out.push(policy);
  }
  return out;
}

/**
 * Reads `RateLimit`. A member without a name or a non-negative integer `r`, or with a `t` that is
 * not a non-negative integer, is malformed and skipped.
 */
export function parseDraft10Limits(value: string | null | undefined): Draft10Limit[] {
  const out: Draft10Limit[] = [];
  for (const item of parseSfList(value)) {
    const name = nameOf(item);
    const remaining = sfInteger(item.params.get("r"));
    if (name === undefined || remaining === undefined || remaining < 0) continue;
    const t = item.params.get("t");
    const seconds = sfInteger(t);
    if (t !== undefined && (seconds === undefined || seconds < 0)) continue;
    const limit: Draft10Limit = { name, remaining };
    if (seconds !== undefined) limit.resetMs = secondsToMs(seconds);
    out.push(limit);
  }
  return out;
}

/**
 * Reads the draft -08 to -10 fields into a snapshot, or `undefined` when `RateLimit` carries no
 * usable service limit.
 *
 * - Every service limit is a quota of its own, named by its policy; its policy, when
 *   `RateLimit-Policy` names it, gives its limit, unit and window.
 * - A service limit without `t` takes its policy's window as the reset (quota cannot come back
 *   later than one window away); without either it is left out, as no time bounds it.
 * - The top-level fields are the request quota closest to running out; `policies` lists every
 *   request policy with a window.
 */
export function readDraft10(
  headers: Headers,
  _nowMs: number,
  field = headers.get("ratelimit"),
): RateLimitSnapshot | undefined {
  // Most responses carry none: not parsed at all then (this runs for every response).
  if (field === null) return undefined;
  const limits = parseDraft10Limits(field);
  if (limits.length === 0) return undefined;
  const announced = parseDraft10Policies(headers.get("ratelimit-policy"));
  const byName = new Map<string, Draft10Policy>();
  for (const policy of announced) if (!byName.has(policy.name)) byName.set(policy.name, policy);

  const quotas: RateLimitQuota[] = [];
  for (const limit of limits) {
    const policy = byName.get(limit.name);
    const resetMs = limit.resetMs ?? policy?.windowMs;
    if (resetMs === undefined) continue;
    const quota: RateLimitQuota = {
      name: limit.name,
      unit: policy?.unit ?? "requests",
      remaining: limit.remaining,
      resetMs,
    };
    if (policy !== undefined) quota.limit = policy.quota;
    if (policy?.windowMs !== undefined) quota.windowMs = policy.windowMs;
    quotas.push(quota);
  }
  const policies: RateLimitPolicy[] = [];
  for (const p of announced) {
    if (p.unit === "requests" && p.windowMs !== undefined) {
      policies.push({ name: p.name, limit: p.quota, windowMs: p.windowMs });
    }
  }
  return snapshotOf(quotas, policies, "ietf-10");
}
