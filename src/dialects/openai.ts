import { genericErrorBody } from "../errors/error-body.js";
import { knownKeys } from "../internal/validate.js";
import { DEFAULT_BACKOFF, mergeBackoff } from "../retry/backoff.js";
import type { BackoffOptions, Dialect } from "./dialect.js";
import { arrayAt, fieldOf, type Pagination } from "./pagination.js";

export type OpenAiOptions = BackoffOptions;

/**
 * OpenAI's API (platform.openai.com/docs/guides/rate-limits), as data over the generic machinery:
 *
 * - responses carry `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, the resets Go
 *   durations (`1s`, `6m0s`) until the bucket is full again: requests are paced by the requests
 *   bucket, which refills continuously; a spent tokens bucket holds the key until it refills;
 * - a 429 carries `retry-after-ms` (and `retry-after`), read to the millisecond;
 * - every route shares the key's buckets (they are per model: a key that calls two models is
 *   paced by the tighter of the two);
 * - lists page by `limit`, at most 100, and by cursor: `after` the last item's id while `has_more`.
 *
 * A 429 whose code is `insufficient_quota` is a billing limit, not a rate: pacekeeper cannot tell
 * it from the headers, so it is retried like any 429 (set `retry.rateLimitRetries` low where that
 * matters). Pass `client.fetch` to the `openai` SDK with its `maxRetries: 0`: retries are ours.
 * @example
 * ```ts
 * import OpenAI from "openai";
 *
 * const paced = createClient({
 *   baseUrl: "https://api.openai.com/v1",
 *   auth: { fromRequest: "authorization" }, // the SDK sets the key
 *   dialect: openai(),
 * });
 * const ai = new OpenAI({ apiKey: process.env.OPENAI_API_KEY, fetch: paced.fetch, maxRetries: 0 });
 * ```
 */
export function openai(options: OpenAiOptions = {}): Dialect {
  knownKeys("openai() options", options, ["backoff"]);
  return {
    name: "openai",
    limits: [],
    sendsRateLimitHeaders: true,
    backoff: mergeBackoff(DEFAULT_BACKOFF, options.backoff),
    counts: (status) => status !== 401,
    route: () => "",
    errorBody: genericErrorBody,
    maxPageSize: 100,
    pagination: OPENAI_PAGINATION,
  };
}

/**
 * OpenAI's lists: `{ object: "list", data, first_id, last_id, has_more }`; the next page is `after`
 * the last item's id (`last_id`, or the last item's `id` where a list leaves it out).
 */
const OPENAI_PAGINATION: Pagination = {
  pageSizeParam: "limit",
  items: (body) => arrayAt(body, "data"),
  next({ body, query }) {
    if (fieldOf(body, "has_more") !== true) return undefined;
    const after = fieldOf(body, "last_id") ?? fieldOf(arrayAt(body, "data")?.at(-1), "id");
    return typeof after === "string" && after !== "" ? { ...query, after } : undefined;
  },
};
