/** Why an attempt failed, as far as the retry decision needs to know. */
export type AttemptFailure =
  /** A response that is not a success; `rateLimited`: the server refused it for its rate (a 429). */
  | { kind: "status"; status: number; rateLimited: boolean }
  | { kind: "connection"; provablyUnsent: boolean }
  | { kind: "timeout" };

export interface RetryPolicy {
  retries: number;
  rateLimitRetries: number;
  retryStatuses: ReadonlySet<number>;
}

export interface RetryCounts {
  /** Transient retries spent so far in the call. */
  transient: number;
  /** 429s waited out so far in the call. */
  rateLimited: number;
}

export type RetryDecision =
  | { retry: false }
  /** Retry after the key's gate opens; consumes a rate-limit retry. */
  | { retry: true; budget: "rate-limit" }
  /** Retry after the request's own backoff; consumes a transient retry. */
  | { retry: true; budget: "transient" };

/**
 * Whether a failed attempt is tried again (nothing is lost, nothing is
 * sent twice that the server may have processed):
 * - a refusal for the rate (a 429) always may be: the server did not process the request;
 * - a transient status, a connection failure or a timeout only when sending twice is harmless
 *   (an idempotent method or an idempotency key), or when the request provably never reached
 *   the server (connection refused);
 * - never a request whose body was a stream: it cannot be sent again.
 */
export function decideRetry(
  failure: AttemptFailure,
  request: { idempotent: boolean; replayable: boolean },
  policy: RetryPolicy,
  counts: RetryCounts,
): RetryDecision {
  if (!request.replayable) return { retry: false };
  if (failure.kind === "status" && failure.rateLimited) {
    return counts.rateLimited < policy.rateLimitRetries
      ? { retry: true, budget: "rate-limit" }
      : { retry: false };
  }
  if (counts.transient >= policy.retries) return { retry: false };
  const harmless = request.idempotent || (failure.kind === "connection" && failure.provablyUnsent);
  if (!harmless) return { retry: false };
  if (failure.kind === "status" && !policy.retryStatuses.has(failure.status)) return { retry: false };
  return { retry: true, budget: "transient" };
}
