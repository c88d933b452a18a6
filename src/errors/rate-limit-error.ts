import { registerErrorClass } from "./brand.js";
import { HttpError, type HttpErrorInit } from "./http-error.js";

export interface RateLimitErrorInit extends HttpErrorInit {
  /** True when pacekeeper refused to send because the key's next send lies beyond the caller's deadline. */
  decidedLocally?: boolean;
  /** Epoch milliseconds from which the key may send again; ignored unless finite. */
  retryAt?: number;
}

/**
 * The latest moment a `Date` can hold: a hostile `Retry-After` of years beyond it still gives a
 * `retryAt` that `new Date()` accepts.
 */
const LATEST_DATE_MS = 8.64e15;

/**
 * 429 Too Many Requests, or another status the dialect reads as a refusal for the rate (GitHub's
 * 403 with `x-ratelimit-remaining: 0`) — or, with `decidedLocally: true`, pacekeeper's own refusal: the key's
 * next possible send lies beyond the caller's deadline, so the request was not sent and the
 * call failed at once instead of sleeping past the deadline (got cancels such a retry silently).
 * `retryAfterMs` and `retryAt` say when to come back.
 *
 * A 429 is always safe to retry: the server did not process the request.
 */
export class RateLimitError extends HttpError {
  static {
    registerErrorClass(RateLimitError, "RateLimitError");
  }

  override readonly name = "RateLimitError" as const;
  override readonly code = "rate_limited" as const;
  /** True when no request was sent: pacekeeper knew the key could not send before the deadline. */
  readonly decidedLocally: boolean;
  /** Epoch milliseconds from which the key may send again, where known. */
  readonly retryAt: number | undefined;

  constructor(init: RateLimitErrorInit) {
    super(init);
    this.decidedLocally = init.decidedLocally === true;
    this.retryAt =
      typeof init.retryAt === "number" && Number.isFinite(init.retryAt)
        ? Math.min(init.retryAt, LATEST_DATE_MS)
        : undefined;
  }
}
