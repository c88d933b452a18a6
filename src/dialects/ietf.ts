import { type ErrorBodyParser, genericErrorBody } from "../errors/error-body.js";
import { fn, knownKeys, positiveInteger } from "../internal/validate.js";
import type { Limit } from "../pacer/types.js";
import { DEFAULT_BACKOFF, mergeBackoff } from "../retry/backoff.js";
import type { BackoffOptions, Dialect } from "./dialect.js";
import { linkPagination } from "./link-pagination.js";

export interface IetfOptions extends BackoffOptions {
  /**
   * The limits the operator documents, each `limit` requests per `windowMs` milliseconds: kept
   * until the server's headers describe its budget, which then replaces the longest of them (the
   * shorter ones, bursts the headers do not describe, still apply). Give them for a server that
   * sends no headers: its pace is then known from the first request rather than learned.
   * @default [] (nothing known: the headers are read from the first answer, and a server that
   *   sends none has its pace learned from its answers)
   */
  limits?: Limit[];
  /**
   * Whether the server counts a response against the key. A path whose 200 it does not count is
   * not rate-limited: its requests are sent unpaced.
   * @default every response but a 401
   */
  counts?: (status: number, path: string) => boolean;
  /**
   * Reads the API's error bodies.
   * @default RFC 9457 problem details, `{error}`, `{error: {message}}` and `{message}`
   */
  errorBody?: ErrorBodyParser;
  /**
   * The largest page the API serves, for paging: `client.paginate` asks for it as `page_size`, and
   * `client.request` refuses a larger `page_size` before sending.
   * @default undefined (the API's own default page size)
   */
  maxPageSize?: number;
}

/**
 * Any HTTP API, with no configuration: the key's first request probes alone, and from its answer
 * on the server's rate-limit headers pace the key, whichever family it speaks (docs/headers.md);
 * a server that sends none has its pace learned from its answers, as TCP learns a link's.
 * Configured limits are a starting guess the headers override.
 * @example
 * ```ts
 * // The default dialect: the server's headers pace the key from its first answer on.
 * const api = createClient({ baseUrl: "https://api.example.com", apiKey: process.env.API_KEY! });
 * // A server that sends no rate-limit headers: its documented limit, known from the first request.
 * const quiet = createClient({
 *   baseUrl: "https://quiet.example.com",
 *   apiKey: process.env.API_KEY!,
 *   dialect: ietf({ limits: [{ limit: 100, windowMs: 60_000 }] }),
 * });
 * ```
 */
export function ietf(options: IetfOptions = {}): Dialect {
  knownKeys("ietf() options", options, ["limits", "counts", "errorBody", "maxPageSize", "backoff"]);
  const limits = options.limits ?? [];
  if (!Array.isArray(limits)) throw new TypeError("Expected `limits` to be an array of { limit, windowMs }");
  const checked = limits.map((l, i) => ({
    limit: positiveInteger(`limits[${i}].limit`, l?.limit),
    windowMs: positiveInteger(`limits[${i}].windowMs`, l?.windowMs),
  }));
  return {
    name: "ietf",
    limits: checked,
    sendsRateLimitHeaders: true,
    backoff: mergeBackoff(DEFAULT_BACKOFF, options.backoff),
    counts: options.counts ? fn("counts", options.counts) : (status) => status !== 401,
    errorBody: options.errorBody ? fn("errorBody", options.errorBody) : genericErrorBody,
    maxPageSize:
      options.maxPageSize === undefined ? undefined : positiveInteger("maxPageSize", options.maxPageSize),
    pagination: IETF_PAGINATION,
  };
}

/** RFC 8288 `Link` headers; `page_size` is the parameter `maxPageSize` is checked against too. */
const IETF_PAGINATION = linkPagination("page_size");
