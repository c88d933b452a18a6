import type { ErrorBodyParser } from "../errors/error-body.js";
import type { RateLimitSnapshot } from "../headers/types.js";
import type { Limit } from "../pacer/types.js";
import type { BackoffPolicy } from "../retry/backoff.js";
import type { Pagination } from "./pagination.js";

/**
 * Everything pacekeeper knows about an API's rate limiting, as data: a preset is a starting
 * guess that the server's own headers override.
 */
export interface Dialect {
  /** Stable name; part of the identity of a key's pacer. */
  readonly name: string;
  /**
   * The key's limits as documented, in any order: a starting guess that the server's headers
   * override. Empty: nothing is known, and the pacer learns the server's pace from its answers.
   */
  readonly limits: readonly Limit[];
  /** Whether the API may send rate-limit headers: then a key's first request probes alone. */
  readonly sendsRateLimitHeaders: boolean;
  /** Waits after a refusal and between transient retries. */
  readonly backoff: BackoffPolicy;
  /**
   * Whether the server counts a response with `status` for `path` against the key. A path whose
   * success it does not count is not paced at all (`isPaced`).
   */
  counts(status: number, path: string): boolean;
  /** Reads the API's error body into a message, code and request id. */
  readonly errorBody: ErrorBodyParser;
  /**
   * Reads a response's rate-limit headers into a snapshot, on every response.
   * @default `readRateLimit`: every header family pacekeeper knows, in its order of precedence
   */
  readonly readRateLimit?: (headers: Headers, nowMs: number) => RateLimitSnapshot | undefined;
  /**
   * Whether a response is the server refusing the request for its rate: it closes the key's gate
   * (or the refused bucket's), is retried after the wait, and fails as a `RateLimitError`.
   * @default `status === 429`
   */
  readonly isRateLimited?: (
    status: number,
    rateLimit: RateLimitSnapshot | undefined,
    headers: Headers,
  ) => boolean;
  /**
   * The route of a path: requests of one route spend the same server buckets (GitHub's `search`
   * and `core`), which the pacer learns from the answers' bucket names.
   * @default the path's first segment (`/repos/a/b` → `repos`)
   */
  readonly route?: (path: string) => string;
  /** The largest page the API serves, for paging (one big page costs the same as one small page). */
  readonly maxPageSize: number | undefined;
  /**
   * How the API's lists page, for `client.paginate`: where a page's items are, how to ask for the
   * next page, and which parameter sets a page's size.
   * @default RFC 8288 `Link` headers (`rel="next"`), `page_size` setting the size
   */
  readonly pagination?: Pagination;
}

/**
 * Whether requests to `path` are paced: whether the server counts a success there against the key.
 * A path it never counts (BoothZen: outside `/api/v1/`) is not rate-limited, so its requests are sent
 * at once: they neither wait for nor hold the key's budget, nor become or wait for its probe.
 */
export function isPaced(dialect: Dialect, path: string): boolean {
  return dialect.counts(200, path);
}

/** The route of a path as most APIs group their budgets: its first segment. */
export function firstSegment(path: string): string {
  const end = path.indexOf("/", 1);
  return end === -1 ? path.slice(1) : path.slice(1, end);
}

/** Backoff overrides shared by every preset's options. */
export interface BackoffOptions {
  /**
   * Overrides of the dialect's backoff policy.
   * `baseMs`: first backoff in ms; `capMs`: the cap of the doubling in ms; `factor`: growth per
   * attempt; `retryAfterJitterMs`: the most ever added on top of a server-given wait, in ms.
   */
  backoff?: Partial<BackoffPolicy>;
}
