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

/**
 * Whether `resetToMs` reads a reset value as a whole epoch second: the window's end rounded to a
 * second, the same in every answer of the window (Discord's fraction tells the millisecond).
 */
export function isWholeEpochSecond(value: number): boolean {
  return Number.isInteger(value) && value >= EPOCH_SECONDS_THRESHOLD && value < EPOCH_MS_THRESHOLD;
}

/** Clamps into [0, MAX_SAFE_INTEGER]; NaN is the caller's to exclude. */
export function clampMs(ms: number): number {
  return Math.min(MAX_MS, Math.max(0, ms));
}

/** Seconds to milliseconds, clamped. */
export function secondsToMs(seconds: number): number {
  return clampMs(seconds * 1000);
}

const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/y;
const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000_001,
};

/**
 * A Go duration as OpenAI writes its resets (`1s`, `6m0s`, `20ms`, `1h2m3.5s`) in milliseconds, or
 * `undefined` for anything else. `ms` is read before `m`.
 */
export function parseGoDuration(value: string | null | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text === "" || text.length > 64) return undefined;
  if (text === "0") return 0;
  let ms = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const start = DURATION_PART.lastIndex;
    const m = DURATION_PART.exec(text);
    if (!m || m.index !== start) return undefined;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return Number.isFinite(ms) ? clampMs(ms) : undefined;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 timestamp (`2025-10-25T12:01:00Z`, `…12:01:00.5-05:00`) in epoch milliseconds, or `undefined`. */
export function parseRfc3339(value: string | null | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = RFC3339.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
    return undefined;
  }
  const ms = Date.parse(
    `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction ? fraction.slice(0, 4) : ""}${zone!.toUpperCase()}`,
  );
  return Number.isFinite(ms) ? ms : undefined;
}
