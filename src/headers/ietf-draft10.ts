/**
 * The structured fields of draft-ietf-httpapi-ratelimit-headers-10:
 *
 * ```
 * RateLimit-Policy: "burst";q=100;w=60, "daily";q=1000;w=86400
 * RateLimit: "burst";r=50;t=30
 * ```
 *
 * `RateLimit-Policy` lists quota policies (name; `q` quota, `qu` quota unit, `w` window in
 * seconds); `RateLimit` lists service limits (name of the policy; `r` remaining, `t` seconds until
 * more quota is available). Both are RFC 8941 Lists and may be split over several fields.
 */
import { secondsToMs } from "./field-values.js";
import { parseSfList, type SfItem, sfInteger } from "./structured-fields.js";
import type { RateLimitPolicy, RateLimitSnapshot } from "./types.js";

/** One policy of `RateLimit-Policy`, as announced (the window is optional there). */
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

/**
 * The item's name: a String per the draft; a Token is accepted too (lenient), anything else is
 * not a name.
 */
function nameOf(item: SfItem): string | undefined {
  return item.value.type === "string" || item.value.type === "token" ? item.value.value : undefined;
}

/**
 * Reads `RateLimit-Policy`. A member without a name or a non-negative integer `q`, with a `w`
 * that is not a positive integer, or with a `qu` that is not a String, is malformed and skipped.
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
 * Reads the draft -10 fields into a snapshot, or `undefined` when `RateLimit` carries no usable
 * service limit.
 *
 * - Only request quotas pace requests: a service limit whose policy counts another unit
 *   (`qu="content-bytes"`, `"concurrent-requests"`) is ignored, and so are such policies.
 * - A service limit without `t` takes its policy's window as the reset (the quota cannot come
 *   back later than one window away); without either it is ignored, as no time bounds it.
 * - Of several service limits, the most restrictive is chosen: the lowest `r`, ties broken by the
 *   largest reset. Its policy, when `RateLimit-Policy` names it, gives `limit` and `windowMs`.
 * - `policies` lists every request policy that has a window.
 */
export function readDraft10(headers: Headers, _nowMs: number): RateLimitSnapshot | undefined {
  const field = headers.get("ratelimit");
  // Most responses carry none: not parsed at all then (this runs for every response).
  if (field === null) return undefined;
  const limits = parseDraft10Limits(field);
  if (limits.length === 0) return undefined;
  const announced = parseDraft10Policies(headers.get("ratelimit-policy"));
  const byName = new Map<string, Draft10Policy>();
  for (const policy of announced) if (!byName.has(policy.name)) byName.set(policy.name, policy);

  let chosen: { limit: Draft10Limit; resetMs: number; policy: Draft10Policy | undefined } | undefined;
  for (const limit of limits) {
    const policy = byName.get(limit.name);
    if (policy !== undefined && policy.unit !== "requests") continue;
    const resetMs = limit.resetMs ?? policy?.windowMs;
    if (resetMs === undefined) continue;
    if (
      chosen === undefined ||
      limit.remaining < chosen.limit.remaining ||
      (limit.remaining === chosen.limit.remaining && resetMs > chosen.resetMs)
    ) {
      chosen = { limit, resetMs, policy };
    }
  }
  if (chosen === undefined) return undefined;

  const policies: RateLimitPolicy[] = [];
  for (const p of announced) {
    if (p.unit === "requests" && p.windowMs !== undefined) {
      policies.push({ name: p.name, limit: p.quota, windowMs: p.windowMs });
    }
  }
  const snapshot: RateLimitSnapshot = {
    remaining: chosen.limit.remaining,
    resetMs: chosen.resetMs,
    policies,
    source: "ietf-10",
  };
  if (chosen.policy !== undefined) {
    snapshot.limit = chosen.policy.quota;
    if (chosen.policy.windowMs !== undefined) snapshot.windowMs = chosen.policy.windowMs;
  }
  return snapshot;
}
