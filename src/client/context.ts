import { startTimer } from "../clock/clock.js";
import type { LinkedList, ListNode } from "../internal/linked-list.js";
import type { KeyPacer } from "../pacer/types.js";
import type { AttemptTimeouts } from "./attempt-timeouts.js";
import type { Credentials } from "./credentials.js";
import { type FailedRequest, timedOut } from "./failures.js";
import type { ResolvedOptions } from "./options.js";
import type { PreparedRequest } from "./prepare.js";

/**
 * What every call of one client shares: its options, its keys and their pacers, the attempts'
 * timeouts, and the calls in progress that `close()` aborts. Made once by `createClient`.
 */
export interface ClientRuntime {
  readonly options: ResolvedOptions;
  readonly credentials: Credentials;
  /** The fingerprint of the client's `apiKey` ("" with `auth: { fromRequest }`): events of calls refused before they name a key carry it. */
  readonly key: string;
  readonly attemptTimeouts: AttemptTimeouts;
  /** Calls in progress, which `close()` aborts. */
  readonly calls: LinkedList<CallContext>;
  /** Set by `close()`: every later call rejects with its reason. */
  closed: { reason: unknown } | undefined;
}

/**
 * One call in progress: what its attempts share (the client's options, the key's pacer) and how
 * it ends early — the caller's signal, the client's close, or the total timeout.
 *
 * A class rather than closures, and its `AbortSignal` made only when something needs one: a call
 * is made per request, on the hot path, and most calls end without being aborted.
 */
export class CallContext implements ListNode<CallContext> {
  /** Its neighbours among the client's calls in progress, which `close()` aborts. */
  prev: CallContext | undefined;
  next: CallContext | undefined;
  readonly options: ResolvedOptions;
  /** The pacer of the key the call's request carries. */
  readonly pacer: KeyPacer;
  /** That key's fingerprint, the only name of the key that events carry. */
  readonly key: string;
  /** The attempts' timeouts (`options.timeoutMs`): the client's attempts share one timer. */
  readonly attemptTimeouts: AttemptTimeouts;
  /** Attempts made so far: the total timeout's error reports them. */
  attempts = 0;
  /** The request of the latest attempt: after a redirect, where it led. */
  lastRequest: PreparedRequest | undefined;
  /** Epoch ms (the clock's) by which the call must end; Infinity without a total timeout. */
  readonly deadline: number;
  /**
   * Whether something other than the client's close can abort the call: the caller's signal or a
   * total timeout. Only then must a transport that frees overdue requests itself see `signal`.
   */
  readonly abortableByCaller: boolean;
  private controller: AbortController | undefined;
  private forTransport: AbortSignal | undefined;
  private abortedWith: { reason: unknown } | undefined;
  private attempt: { abort(reason: unknown): void } | undefined;
  private readonly stopTimer: (() => void) | undefined;
  private readonly onCallerAbort: (() => void) | undefined;

  constructor(
    runtime: ClientRuntime,
    request: FailedRequest & Pick<PreparedRequest, "credential">,
    totalTimeoutMs: number | undefined,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    this.options = runtime.options;
    // The key the request carries: the first request of a call always names one.
    const credential = request.credential!;
    this.pacer = credential.pacer;
    this.key = credential.key;
    this.attemptTimeouts = runtime.attemptTimeouts;
    const { clock } = this.options;
    this.deadline = totalTimeoutMs === undefined ? Number.POSITIVE_INFINITY : clock.now() + totalTimeoutMs;
    this.abortableByCaller = callerSignal !== undefined || totalTimeoutMs !== undefined;
    if (callerSignal?.aborted) this.abort(callerSignal.reason);
    else if (callerSignal) {
      this.onCallerAbort = () => this.abort(callerSignal.reason);
      callerSignal.addEventListener("abort", this.onCallerAbort, { once: true });
    }
    if (totalTimeoutMs !== undefined) {
      this.stopTimer = startTimer(clock, totalTimeoutMs, () =>
        this.abort(timedOut(totalTimeoutMs, "total", request, this.attempts)),
      );
    }
  }

  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  /** Why the call aborted; undefined while it has not. */
  get reason(): unknown {
    return this.abortedWith?.reason;
  }

  /** Aborts with the call: made on first use. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  /**
   * What the transport gets: aborts with the call, and follows the caller's own signal even after
   * the call has handed its response over, so that an abort reaches a body still being read.
   * (`AbortSignal.any` links them without a listener on the caller's signal, which may serve many calls.)
   */
  get transportSignal(): AbortSignal {
    this.forTransport ??= this.callerSignal ? AbortSignal.any([this.callerSignal, this.signal]) : this.signal;
    return this.forTransport;
  }

  /** Aborts the call; later calls are ignored. */
  abort(reason: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason };
    this.controller?.abort(reason);
    this.attempt?.abort(reason);
  }

  /**
   * Aborts `attempt` when the call aborts from now on, in place of the previous attempt (whose
   * response was discarded); at once if it has aborted already. It stays linked after the attempt
   * returns: the body is read later.
   */
  linkAttempt(attempt: { abort(reason: unknown): void }): void {
    this.attempt = attempt;
    if (this.abortedWith) attempt.abort(this.abortedWith.reason);
  }

  /**
   * The call has ended: unlinks the caller's signal and stops the total timeout — unless
   * `keepDeadline`, for a response whose body is read after the call: then the deadline still ends
   * the read when it comes (and does nothing after the body is done).
   */
  dispose(keepDeadline = false): void {
    if (this.onCallerAbort) this.callerSignal?.removeEventListener("abort", this.onCallerAbort);
    if (!keepDeadline) this.stopTimer?.();
  }
}
