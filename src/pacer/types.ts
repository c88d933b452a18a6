import type { Clock } from "../clock/clock.js";
import type { RateLimitSnapshot } from "../headers/types.js";
import type { BackoffPolicy } from "../retry/backoff.js";
import type { KeyBudget } from "./budget.js";

/** One rate limit: at most `limit` requests in any `windowMs` milliseconds. */
export interface Limit {
  /** Requests allowed per window. An integer from 1 and up. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
}

/** Why a request is held back, as hooks report it. */
export type WaitReason =
  /** A 429 closed the key's gate until `Retry-After` (or the backoff) has passed. */
  | "gate"
  /** The server's budget (`RateLimit-Remaining`) is spent until its reset or refill. */
  | "budget"
  /** A local rolling window (configured, or learned from headers) is full. */
  | "window"
  /** One probe is out to learn the server's budget; the rest wait for its answer. */
  | "probe";

export interface WaitInfo {
  reason: WaitReason;
  /** Expected wait in milliseconds; undefined while it depends on responses still in flight. */
  ms: number | undefined;
}

/** How a granted send ended, as the pacer needs to know it. */
export type SendOutcome =
  | {
      kind: "response";
      status: number;
      /** Whether the server counted the request against the key (CampOne: not a 401). */
      counted: boolean;
      /**
       * Whether the server refused the request for its rate (closing the key's gate, or the refused
       * bucket's): the dialect decides (GitHub refuses with a 403 too).
       * @default status === 429
       */
      rateLimited?: boolean | undefined;
      rateLimit?: RateLimitSnapshot | undefined;
      retryAfterMs?: number | undefined;
    }
  /** Sent, but no response (connection reset, timeout, abort in flight): it may have been counted. */
  | { kind: "failed" }
  /** Never left the process: its slot is given back whole. */
  | { kind: "unsent" };

/** Whether an outcome is the server refusing the request for its rate. */
export function isRefusal(outcome: SendOutcome): boolean {
  return outcome.kind === "response" && (outcome.rateLimited ?? outcome.status === 429);
}

/** What the pacer concluded from an outcome, for the caller's hooks. */
export interface ReleaseResult {
  /** Set when the outcome was a refusal (a 429): how long the key's gate is now closed, and why. */
  gate?: { waitMs: number; reason: "retry-after" | "reset" | "backoff" };
}

/** Permission to send one request now. Release it exactly once with how the send ended. */
export interface Permit {
  /** Position of the send in the key's order of sends. */
  readonly seq: number;
  /** The moment the permit was granted (the clock's time). */
  readonly grantedAt: number;
  /** Whether this send is the probe that the other requests of the key wait on. */
  readonly probe: boolean;
  /** Later calls are ignored, so a `finally` may release what a `catch` already released. */
  release(outcome: SendOutcome): ReleaseResult;
}

export interface AcquireOptions {
  /**
   * Which of the key's budgets the request spends, where the server keeps several (GitHub's
   * `search` and `core`): requests of one route share them. The client passes a path's first segment.
   * @default ""
   */
  route?: string | undefined;
  /** Aborting removes the waiter from the queue and rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /**
   * Epoch milliseconds. If the key cannot send before it, acquire fails at once with
   * `PacerDeadlineError`. Strictly before: a send at the deadline itself could not be answered
   * before the call it belongs to times out.
   */
  deadline?: number | undefined;
  /** Called once when the request has to wait, with the reason and the expected wait. */
  onWait?: ((info: WaitInfo) => void) | undefined;
}

/**
 * The pacer of one key, wherever its state lives: in this process (`LocalKeyPacer`) or in a
 * store shared by many processes. The client only ever asks it for permits.
 */
export interface KeyPacer {
  /** Resolves with a permit as soon as the key may send; rejects on abort or a deadline it cannot meet. */
  acquire(options?: AcquireOptions): Promise<Permit>;
  /**
   * A permit now, without waiting, when the key may send now and no request waits before this
   * one; otherwise undefined (then `acquire`). Optional: a pacer whose state lives elsewhere
   * cannot answer synchronously. The client tries it first: most sends never wait.
   */
  tryAcquire?(route?: string): Permit | undefined;
  /** The earliest moment the next request (of `route`) could be sent, as far as this pacer knows now. */
  nextSendAt(route?: string): number;
  /**
   * The key's budget as far as this pacer knows now, without waiting: each limit in force with what
   * is left of it and when more comes back, the requests waiting and in flight, and `nextSendAt`.
   * A pacer whose state lives elsewhere answers from the state its last round trip saw.
   *
   * @example
   * const pacer = memoryStore().pacerFor("reports", { limits: [{ limit: 10, windowMs: 60_000 }], probeFirst: false, backoff, clock });
   * (await pacer.acquire()).release({ kind: "response", status: 200, counted: true });
   * pacer.budget().limits; // [{ limit: 10, remaining: 9, resetAt: <now + 60 s>, windowMs: 60000, source: "local" }]
   */
  budget(route?: string): KeyBudget;
  /** Requests of this process waiting for a permit. */
  readonly waiting: number;
  /** Nothing waiting, nothing in flight, and no activity for longer than the longest window. */
  isIdle(now: number): boolean;
}

/** What a store makes a key's pacer from (`PacerStore.pacerFor`). */
export interface KeyPacerConfig {
  /** The key's limits as configured; the longest is the one `RateLimit-*` headers describe. */
  limits: readonly Limit[];
  /** Hold all but one request until the first response says whether the server sends budget headers. */
  probeFirst: boolean;
  /** Waits after a 429 (doubling, caps, jitter). */
  backoff: BackoffPolicy;
  clock: Clock;
  random?: () => number;
}
