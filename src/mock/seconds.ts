/** Whole seconds for headers and messages: both documents speak seconds, the rules milliseconds. */

/** `Retry-After`: whole seconds, rounded up, at least 1 (CampOne: "anywhere from 1 to roughly 3600"). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** `RateLimit-Reset`: whole seconds, rounded up, never negative. */
export function resetSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
