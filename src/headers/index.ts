/**
 * The public header parsers. The lower-level parsers (structured fields, per-family readers) are
 * exported from their own files for tests and are deliberately not public: their shapes may change.
 */
export { readRateLimit } from "./read-rate-limit.js";
export { parseRetryAfter } from "./retry-after.js";
export type { RateLimitPolicy, RateLimitSnapshot } from "./types.js";
