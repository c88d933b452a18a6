import { genericErrorBody } from "../errors/error-body.js";
import type { RateLimitSnapshot } from "../headers/types.js";
import { knownKeys } from "../internal/validate.js";
import { GITHUB_BACKOFF, mergeBackoff } from "../retry/backoff.js";
import { type BackoffOptions, type Dialect, firstSegment } from "./dialect.js";
import { linkPagination } from "./link-pagination.js";

export type GitHubOptions = BackoffOptions;

/**
 * GitHub's REST API (docs.github.com, "Rate limits for the REST API" and "Best practices for using
 * the REST API"), as data over the generic machinery:
 *
 * - every response carries `x-ratelimit-{limit,remaining,used,reset,resource}`, the reset in epoch
 *   seconds, the resource naming the bucket (`core`, `search`, `code_search`, `graphql`, …): each
 *   bucket is paced apart, and a request finds its bucket by its route (`/search/code` is
 *   `search/code`, anything else its first segment);
 * - a limit is signalled by a 403 as well as a 429: with `x-ratelimit-remaining: 0` (the primary
 *   limit; wait for `x-ratelimit-reset`), or with `retry-after` (a secondary limit; wait that long).
 *   A secondary limit without `retry-after` is told by its message only, which pacekeeper does not
 *   read: such a 403 is a `PermissionError`. "Otherwise, wait for at least one minute": the backoff
 *   starts at a minute;
 * - a 304 (a conditional request answered from the ETag) and `GET /rate_limit` are not counted;
 * - pages hold at most 100 items (`per_page`), and the `Link` header's `rel="next"` names the next.
 *
 * No limit is configured: the headers of the first response tell the key's (5,000 an hour for a
 * user, 15,000 for an Enterprise Cloud app, 60 unauthenticated).
 * @example
 * ```ts
 * const gh = createClient({ baseUrl: "https://api.github.com", apiKey: process.env.GITHUB_TOKEN!, dialect: github() });
 * for await (const issue of gh.paginate<{ number: number }>({ path: "/repos/nodejs/node/issues" })) {
 *   console.log(issue.number); // 100 a page, following the Link header
 * }
 * ```
 */
export function github(options: GitHubOptions = {}): Dialect {
  knownKeys("github() options", options, ["backoff"]);
  return {
    name: "github",
    limits: [],
    sendsRateLimitHeaders: true,
    backoff: mergeBackoff(GITHUB_BACKOFF, options.backoff),
    counts: (status, path) => status !== 401 && status !== 304 && path !== "/rate_limit",
    isRateLimited,
    route: (path) =>
      path.startsWith("/search/") ? path.split("/", 3).slice(1).join("/") : firstSegment(path),
    errorBody: genericErrorBody,
    maxPageSize: 100,
    pagination: GITHUB_PAGINATION,
  };
}

const GITHUB_PAGINATION = linkPagination("per_page");

function isRateLimited(status: number, rateLimit: RateLimitSnapshot | undefined, headers: Headers): boolean {
  if (status === 429) return true;
  return status === 403 && (rateLimit?.remaining === 0 || headers.has("retry-after"));
}
