/** One quota policy a server announced: `limit` requests per `windowMs`. */
export interface RateLimitPolicy {
  /** The policy's name where the server gives one (draft -08 `"burst"`), else undefined. */
  name?: string;
  limit: number;
  windowMs: number;
}

/** Which header family a reading came from. */
export type RateLimitSource = "ietf-06" | "ietf-07" | "ietf-10" | "x-ratelimit" | "openai" | "anthropic";

/**
 * One quota a response described: a budget of the key (or of one of its resources) that the server
 * counts down and gives back.
 */
export interface RateLimitQuota {
  /**
   * The quota's name, where the server names it: GitHub's `x-ratelimit-resource` (`core`,
   * `search`), a draft -08 policy name, Discord's bucket. Quotas of different names are different
   * budgets of one key; an unnamed one is the key's budget as a whole.
   */
  name?: string;
  /**
   * What it counts: `"requests"`, which pacekeeper paces, or another unit (`"tokens"`,
   * `"content-bytes"`, `"concurrent-requests"`) that it cannot count, and waits for only when spent.
   */
  unit: string;
  /** Units allowed per window, where given. */
  limit?: number;
  /** Units left. Never negative. */
  remaining: number;
  /** Milliseconds until the quota resets (or, with `refills`, is full again). Never negative, never NaN. */
  resetMs: number;
  /** Length of the window, where the server says it (`w=`). */
  windowMs?: number;
  /**
   * Whether the reset came as a whole epoch second (`X-RateLimit-Reset: 1700000003`): every answer
   * of a window repeats it, so that the window's end is known to a second at best.
   */
  resetInEpochSeconds?: boolean;
  /**
   * Whether the server documents the quota as refilling continuously (a token bucket: OpenAI's,
   * Anthropic's), `resetMs` being when it is full again rather than when a window ends.
   */
  refills?: boolean;
}

/**
 * What a response told us about the key's budget, normalized from whichever header family the
 * server speaks. All durations are milliseconds relative to the moment the headers were read.
 *
 * The top-level fields describe the request quota closest to running out; `quotas` lists every
 * quota the response described, that one included.
 */
export interface RateLimitSnapshot {
  /** Requests allowed in the window in force (`RateLimit-Limit`, draft -08 `q`), where given. */
  limit?: number;
  /** Requests left in the window in force. Never negative. */
  remaining: number;
  /** Milliseconds until the window in force resets. Never negative, never NaN. */
  resetMs: number;
  /** Length of the window in force, where the server says it (`w=`). */
  windowMs?: number;
  /** The name of that quota, where the server gives one (see `RateLimitQuota.name`). */
  name?: string;
  /** Every policy the server announced (draft -06 `RateLimit-Policy`, draft -08 `RateLimit-Policy`). */
  policies: RateLimitPolicy[];
  /**
   * Every quota the response described, the one the top-level fields describe among them. A reader
   * of a dialect's own may leave it out: the top-level fields are then the only quota.
   */
  quotas?: RateLimitQuota[];
  /** Which header family the snapshot was read from. */
  source: RateLimitSource;
}
