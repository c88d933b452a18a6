import { readCommonRateLimit } from "../headers/read-rate-limit.js";
import { knownKeys, positiveInteger } from "../internal/validate.js";
import { CAMPONE_BACKOFF, mergeBackoff } from "../retry/backoff.js";
import type { BackoffOptions, Dialect } from "./dialect.js";
import { campOneErrorBody } from "./error-bodies.js";
import { arrayAt, fieldOf, type Pagination } from "./pagination.js";

export interface CampOneOptions extends BackoffOptions {
  /**
   * Requests per rolling window for this key. The operator sets it per key ("Don't assume the
   * limit is 1000"); when it is lower than configured, the first 429 teaches the pacer the real one.
   * @default 1000
   */
  limit?: number;
  /**
   * The rolling window in milliseconds.
   * @default 3_600_000 (one hour)
   */
  windowMs?: number;
}

/**
 * CampOne: 1000 requests per rolling hour per key; only `429` + `Retry-After` (seconds) tell of
 * the limit, no budget headers; every authenticated request counts except a `401`; pages up to 200.
 * @example
 * ```ts
 * const client = createClient({
 *   baseUrl: "https://api.campone.com",
 *   apiKey: process.env.CAMPONE_KEY!,
 *   dialect: campone({ limit: 500 }), // a key its operator set to 500 an hour
 * });
 * ```
 */
export function campone(options: CampOneOptions = {}): Dialect {
  knownKeys("campone() options", options, ["limit", "windowMs", "backoff"]);
  const limit = positiveInteger("limit", options.limit ?? 1000);
  const windowMs = positiveInteger("windowMs", options.windowMs ?? 3_600_000);
  return {
    name: "campone",
    limits: [{ limit, windowMs }],
    sendsRateLimitHeaders: false,
    backoff: mergeBackoff(CAMPONE_BACKOFF, options.backoff),
    // "The single exception is 401 Unauthorized — failed authentication doesn't count."
    counts: (status) => status !== 401,
    errorBody: campOneErrorBody,
    // No header family is documented: the ones any API may adopt are read, should it start sending
    // one, and no vendor's (fewer header reads on each answer).
    readRateLimit: readCommonRateLimit,
    maxPageSize: 200,
    pagination: CAMPONE_PAGINATION,
  };
}

/**
 * CampOne's lists: `{ results, page, page_size, total, next }`, `next` the next page's number, null
 * on the last ("Use page_size=200 for bulk reads"). A `next` that is a URL, as Django REST
 * Framework's page-number paging sends it, is followed as one.
 */
const CAMPONE_PAGINATION: Pagination = {
  pageSizeParam: "page_size",
  items: (body) => arrayAt(body, "results"),
  next({ body, query }) {
    const next = fieldOf(body, "next");
    if (typeof next === "number") return { ...query, page: next };
    return typeof next === "string" && next !== "" ? next : undefined;
  },
};
