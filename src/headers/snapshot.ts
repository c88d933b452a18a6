import type { RateLimitPolicy, RateLimitQuota, RateLimitSnapshot, RateLimitSource } from "./types.js";

/**
 * The snapshot of the quotas one response described: its top-level fields are the request quota
 * closest to running out (the fewest left, the longest reset on a tie), and `quotas` keeps them all.
 * `undefined` when no quota was described.
 */
export function snapshotOf(
  quotas: RateLimitQuota[],
  policies: RateLimitPolicy[],
  source: RateLimitSource,
): RateLimitSnapshot | undefined {
  let binding: RateLimitQuota | undefined;
  for (const quota of quotas) {
    if (quota.unit !== "requests") continue;
    if (
      binding === undefined ||
      quota.remaining < binding.remaining ||
      (quota.remaining === binding.remaining && quota.resetMs > binding.resetMs)
    ) {
      binding = quota;
    }
  }
  binding ??= quotas[0];
  if (binding === undefined) return undefined;
  const snapshot: RateLimitSnapshot = {
    remaining: binding.remaining,
    resetMs: binding.resetMs,
    policies,
    quotas,
    source,
  };
  if (binding.limit !== undefined) snapshot.limit = binding.limit;
  if (binding.windowMs !== undefined) snapshot.windowMs = binding.windowMs;
  if (binding.name !== undefined) snapshot.name = binding.name;
  return snapshot;
}

/** A request quota, its optional fields set only where given. */
export function requestQuota(
  fields: {
    remaining: number;
    resetMs: number;
    limit?: number | undefined;
    windowMs?: number | undefined;
    resetInEpochSeconds?: boolean;
  },
  name?: string,
): RateLimitQuota {
  const quota: RateLimitQuota = { unit: "requests", remaining: fields.remaining, resetMs: fields.resetMs };
  if (name !== undefined) quota.name = name;
  if (fields.limit !== undefined) quota.limit = fields.limit;
  if (fields.windowMs !== undefined) quota.windowMs = fields.windowMs;
  if (fields.resetInEpochSeconds) quota.resetInEpochSeconds = true;
  return quota;
}
