/** One quota policy a server announced: `limit` requests per `windowMs`. */
export interface RateLimitPolicy {
  /** The policy's name where the server gives one (draft -10 `"burst"`), else undefined. */
  name?: string;
  limit: number;
  windowMs: number;
}

/**
 * What a response told us about the key's budget, normalized from whichever header family
 * the server speaks. All durations are milliseconds relative to the moment the headers were read.
 */
export interface RateLimitSnapshot {
  /** Requests allowed in the window in force (`RateLimit-Limit`, draft -10 `q`), where given. */
  limit?: number;
  /** Requests left in the window in force. Never negative. */
  remaining: number;
  /** Milliseconds until the window in force resets. Never negative, never NaN. */
  resetMs: number;
  /** Length of the window in force, where the server says it (`w=`). */
  windowMs?: number;
  /** Every policy the server announced (draft -06 `RateLimit-Limit: 10, 10;w=1`, draft -10 `RateLimit-Policy`). */
  policies: RateLimitPolicy[];
  /** Which header family the snapshot was read from. */
  source: "ietf-06" | "ietf-10" | "x-ratelimit";
}
