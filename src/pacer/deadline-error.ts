import { registerErrorClass } from "../errors/brand.js";
import { PacekeeperError } from "../errors/pacekeeper-error.js";

/**
 * The pacer cannot send before the caller's deadline (a long `Retry-After`, a spent budget).
 * Failing at once with the time to come back beats sleeping past the deadline (got's silent
 * cancel, openai-node#1108's ignored Retry-After). The client turns it into a `RateLimitError`.
 */
export class PacerDeadlineError extends PacekeeperError {
  // Recognised across copies of the class: pacekeeper/redis bundles its own.
  static {
    registerErrorClass(PacerDeadlineError, "PacerDeadlineError");
  }

  override readonly name = "PacerDeadlineError";
  readonly code = "deadline_before_send";

  constructor(
    /** Epoch milliseconds at which the key can send again, as far as the pacer knows. */
    readonly retryAt: number,
    /** Milliseconds from the refusal until `retryAt`. */
    readonly retryAfterMs: number,
    readonly reason: "gate" | "budget" | "window",
  ) {
    super(`The key cannot send before the deadline: ${reason} opens in ${Math.ceil(retryAfterMs)} ms`);
  }
}
