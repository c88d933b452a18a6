import { type ErrorBodyParser, genericErrorBody } from "../errors/error-body.js";
import { fn, knownKeys, positiveInteger } from "../internal/validate.js";
import type { Limit } from "../pacer/types.js";
import { DEFAULT_BACKOFF, mergeBackoff } from "../retry/backoff.js";
import type { BackoffOptions, Dialect } from "./dialect.js";

export interface IetfOptions extends BackoffOptions {
  /**
   * The limits to start from until the server's headers say otherwise: each `limit` requests
   * per `windowMs` milliseconds. `RateLimit-Limit` replaces the longest one's limit.
   * @default [{ limit: 60, windowMs: 60_000 }]
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
   * The largest page the API serves, for paging.
   * @default undefined (the API's own default page size)
   */
  maxPageSize?: number;
}

/**
 * Any API that speaks the IETF RateLimit headers (draft -06 trio or draft -10 structured fields)
 * or `X-RateLimit-*`. The configured limits are only a starting guess: the key's first request
 * probes alone, and the server's headers take over from its answer.
 */
export function ietf(options: IetfOptions = {}): Dialect {
  knownKeys("ietf() options", options, ["limits", "counts", "errorBody", "maxPageSize", "backoff"]);
  const limits = options.limits ?? [{ limit: 60, windowMs: 60_000 }];
  if (!Array.isArray(limits) || limits.length === 0) {
    throw new TypeError("Expected `limits` to be a non-empty array of { limit, windowMs }");
  }
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
  };
}
