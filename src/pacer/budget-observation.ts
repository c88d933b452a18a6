import type { RateLimitSnapshot } from "../headers/types.js";

/** What one response said: `remaining` more sends allowed before `resetAt`, as of send number `seq`. */
export interface BudgetObservation {
  /** Sequence number of the send whose response carried the headers. */
  seq: number;
  /** When the send was granted. */
  sentAt: number;
  /** When its response arrived. */
  observedAt: number;
  snapshot: RateLimitSnapshot;
  /**
   * Whether our own sends explain what the server counted (`limit - remaining` is no more than
   * our sends alive in the window). When they do, the local log knows as well as the server when
   * the next slot frees; when they do not, someone else spends the key, and only the server knows.
   */
  explainedByUs: boolean;
  /** Sends granted before this one and still unanswered when its response arrived. */
  unansweredEarlier: number;
}
