/**
 * The numeric rules shared by the rate-limit header families: what counts as a well-formed
 * count, and how a reset value becomes milliseconds from now.
 */

/** Every number the parsers return lies in [0, MAX_SAFE_INTEGER]. */
export const MAX_MS = Number.MAX_SAFE_INTEGER;

/** At or above: a reset value is epoch milliseconds (1e12 ms is September 2001). */
export const EPOCH_MS_THRESHOLD = 1e12;
/** At or above: a reset value is epoch seconds (1e9 s is September 2001; as a delta, 31 years). */
export const EPOCH_SECONDS_THRESHOLD = 1e9;

const PLAIN_INTEGER = /^\s*(\d{1,16})\s*$/;
const PLAIN_NUMBER = /^\s*(\d{1,16}(?:\.\d{1,6})?)\s*$/;

/**
 * A non-negative integer written as plain digits (whitespace around tolerated), at most
 * `Number.MAX_SAFE_INTEGER`; anything else — sign, fraction, exponent, comma list — is malformed.
 */
export function parsePlainInteger(value: string | null | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = PLAIN_INTEGER.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Like `parsePlainInteger`, also accepting a fraction (`1470173023.123`, Discord's reset). */
export function parsePlainNumber(value: string | null | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = PLAIN_NUMBER.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= MAX_MS ? n : undefined;
}

/**
 * Turns a reset value into milliseconds from now, telling its three spellings apart by magnitude:
 * ≥ 1e12 is epoch milliseconds, ≥ 1e9 epoch seconds (GitHub, Twitter), anything smaller delta
 * seconds (the IETF drafts, BoothZen). The two ranges cannot be confused in practice: a delta of
 * 1e9 s is 31 years, and epoch seconds reach 1e12 only in the year 33658. An epoch in the past
 * means 0.
 * @returns milliseconds in [0, MAX_SAFE_INTEGER], or `undefined` for a negative or non-finite
 *   value, or an epoch value with a non-finite `nowMs`.
 */
export function resetToMs(value: number, nowMs: number): number | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  let ms: number;
  if (value >= EPOCH_MS_THRESHOLD) ms = value - nowMs;
  else if (value >= EPOCH_SECONDS_THRESHOLD) ms = value * 1000 - nowMs;
  else ms = value * 1000;
  if (Number.isNaN(ms)) return undefined;
  return clampMs(ms);
}

/** Clamps into [0, MAX_SAFE_INTEGER]; NaN is the caller's to exclude. */
export function clampMs(ms: number): number {
  return Math.min(MAX_MS, Math.max(0, ms));
}

/** Seconds to milliseconds, clamped. */
export function secondsToMs(seconds: number): number {
  return clampMs(seconds * 1000);
}
