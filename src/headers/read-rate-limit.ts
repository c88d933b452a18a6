/**
 * One normalized snapshot out of whichever rate-limit header family a response speaks.
 */
import { readDraft6 } from "./ietf-draft6.js";
import { readDraft10 } from "./ietf-draft10.js";
import type { RateLimitSnapshot } from "./types.js";
import { readXRateLimit } from "./x-ratelimit.js";

/**
 * Reads a response's rate-limit headers into a snapshot, trying the families in order:
 *
 * 1. draft -10 `RateLimit` (+ `RateLimit-Policy`),
 * 2. draft -06 `RateLimit-Limit` / `-Remaining` / `-Reset` (BoothZen),
 * 3. `X-RateLimit-Limit` / `-Remaining` / `-Reset`.
 *
 * The first family that yields a usable snapshot wins; a family that is present but malformed is
 * ignored (the drafts: "Malformed RateLimit header fields MUST be ignored"), and the next is tried.
 * Never throws; every number is finite, ≥ 0 and ≤ `Number.MAX_SAFE_INTEGER`.
 *
 * @param headers the response headers.
 * @param nowMs the client's time when the headers were read, epoch milliseconds; used only for
 *   resets given as epoch times.
 * @returns the snapshot, with durations relative to `nowMs`, or `undefined` when no family is usable.
 */
export function readRateLimit(headers: Headers, nowMs: number): RateLimitSnapshot | undefined {
  return readDraft10(headers, nowMs) ?? readDraft6(headers, nowMs) ?? readXRateLimit(headers, nowMs);
}
