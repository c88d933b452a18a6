/**
 * One normalized snapshot out of whichever rate-limit header family a response speaks.
 */
import { readAnthropic } from "./anthropic.js";
import { readDraft6 } from "./ietf-draft6.js";
import { readDraft7 } from "./ietf-draft7.js";
import { readDraft10 } from "./ietf-draft10.js";
import { readOpenAi } from "./openai.js";
import type { RateLimitSnapshot } from "./types.js";
import { readXRateLimit } from "./x-ratelimit.js";

/**
 * Reads a response's rate-limit headers into a snapshot, trying the families in order:
 *
 * 1. `RateLimit` + `RateLimit-Policy`: the draft -08 to -10 Lists of named policies, or draft -07's
 *    Dictionary (`limit=…, remaining=…, reset=…`), told apart by their syntax,
 * 2. the draft -06 trio `RateLimit-Limit` / `-Remaining` / `-Reset` (BoothZen),
 * 3. OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`,
 * 4. Anthropic's `anthropic-ratelimit-*`,
 * 5. `X-RateLimit-*` (GitHub, Discord, gateways) and X's `X-Rate-Limit-*`.
 *
 * The first family that yields a usable snapshot wins; a family that is present but malformed is
 * ignored (the drafts: "Malformed RateLimit header fields MUST be ignored"), and the next is tried.
 * Never throws; every number is finite, ≥ 0 and ≤ `Number.MAX_SAFE_INTEGER`.
 *
 * @param headers the response headers.
 * @param nowMs the client's time when the headers were read, epoch milliseconds; used only for
 *   resets given as epoch times.
 * @returns the snapshot, with durations relative to `nowMs`, or `undefined` when no family is usable.
 * @example
 * ```ts
 * const headers = new Headers({ "ratelimit-limit": "600", "ratelimit-remaining": "599", "ratelimit-reset": "60" });
 * const snapshot = readRateLimit(headers, Date.now());
 * // { limit: 600, remaining: 599, resetMs: 60_000, source: "ietf-06", … }
 * ```
 */
export function readRateLimit(headers: Headers, nowMs: number): RateLimitSnapshot | undefined {
  return (
    readIetf(headers, nowMs) ??
    readOpenAi(headers, nowMs) ??
    readAnthropic(headers, nowMs) ??
    readXRateLimit(headers, nowMs)
  );
}

/**
 * The families any API may adopt, the IETF drafts' and `X-RateLimit-*`, without the vendors' own
 * (OpenAI's, Anthropic's): what the preset of an API that documents no header family reads. Each
 * family tried costs a `Headers.get` on every response, and a response with no rate-limit header
 * (CampOne's every answer) tries them all.
 */
export function readCommonRateLimit(headers: Headers, nowMs: number): RateLimitSnapshot | undefined {
  return readIetf(headers, nowMs) ?? readXRateLimit(headers, nowMs);
}

/** The IETF drafts' families: `RateLimit` (-07 to -10), then the -06 trio. */
function readIetf(headers: Headers, nowMs: number): RateLimitSnapshot | undefined {
  const field = headers.get("ratelimit");
  return (
    (field === null
      ? undefined
      : (readDraft10(headers, nowMs, field) ?? readDraft7(headers, nowMs, field))) ??
    readDraft6(headers, nowMs)
  );
}
