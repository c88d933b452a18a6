import { readDraft6Trio } from "../headers/ietf-draft6.js";
import { readRateLimit } from "../headers/read-rate-limit.js";
import type { RateLimitSnapshot } from "../headers/types.js";
import { knownKeys, positiveInteger } from "../internal/validate.js";
import { BOOTHZEN_BACKOFF, mergeBackoff } from "../retry/backoff.js";
import type { BackoffOptions, Dialect } from "./dialect.js";
import { boothZenErrorBody } from "./error-bodies.js";
import { arrayAt, fieldOf, type Pagination } from "./pagination.js";

export interface BoothZenOptions extends BackoffOptions {
  /**
   * Requests per window for this key. `RateLimit-Limit` on any response replaces it.
   * @default 600
   */
  limit?: number;
  /**
   * The main window in milliseconds.
   * @default 60_000
   */
  windowMs?: number;
  /**
   * The secondary burst limit: requests per `burstWindowMs`.
   * @default 60
   */
  burst?: number;
  /**
   * The burst window in milliseconds.
   * @default 1_000
   */
  burstWindowMs?: number;
}

/**
 * BoothZen: 600 requests per minute per key and a burst limit of 60 per second; IETF
 * `RateLimit-Limit/-Remaining/-Reset` on every `/api/v1/*` response, errors included; traffic
 * outside `/api/v1/*` is not counted.
 * @example
 * ```ts
 * const client = createClient({
 *   baseUrl: "https://api.boothzen.com",
 *   apiKey: process.env.BOOTHZEN_KEY!,
 *   dialect: boothzen(), // or other limits: boothzen({ limit: 300, burst: 30 })
 * });
 * ```
 */
export function boothzen(options: BoothZenOptions = {}): Dialect {
  knownKeys("boothzen() options", options, ["limit", "windowMs", "burst", "burstWindowMs", "backoff"]);
  const limit = positiveInteger("limit", options.limit ?? 600);
  const windowMs = positiveInteger("windowMs", options.windowMs ?? 60_000);
  const burst = positiveInteger("burst", options.burst ?? 60);
  const burstWindowMs = positiveInteger("burstWindowMs", options.burstWindowMs ?? 1_000);
  return {
    name: "boothzen",
    limits: [
      { limit, windowMs },
      { limit: burst, windowMs: burstWindowMs },
    ],
    sendsRateLimitHeaders: true,
    backoff: mergeBackoff(BOOTHZEN_BACKOFF, options.backoff),
    // "Internal hosts and admin tooling are not counted against your bucket — only /api/v1/*
    // traffic authenticated with your key." A 401 is not authenticated with the key.
    counts: (status, path) => status !== 401 && (path === "/api/v1" || path.startsWith("/api/v1/")),
    errorBody: boothZenErrorBody,
    readRateLimit: readBoothZenHeaders,
    maxPageSize: 200,
    pagination: BOOTHZEN_PAGINATION,
  };
}

/**
 * BoothZen's lists: `{ object: "list", data, has_more, next_cursor }`; `next_cursor` goes back as
 * `cursor`, and is null (with `has_more` false) on the last page.
 */
const BOOTHZEN_PAGINATION: Pagination = {
  pageSizeParam: "page_size",
  items: (body) => arrayAt(body, "data"),
  next({ body, query }) {
    const cursor = fieldOf(body, "next_cursor");
    if (fieldOf(body, "has_more") === false || typeof cursor !== "string" || cursor === "") return undefined;
    return { ...query, cursor };
  },
};

/**
 * BoothZen documents the draft -06 trio and no other field: it is read alone (three header reads
 * instead of every family's five), and every family only where the trio is missing, so that
 * headers, when present, still override the preset (the server is the authority). Where a response
 * carried both, the trio BoothZen documents wins over a draft -10 `RateLimit`.
 */
function readBoothZenHeaders(headers: Headers, nowMs: number): RateLimitSnapshot | undefined {
  return readDraft6Trio(headers, nowMs) ?? readRateLimit(headers, nowMs);
}
