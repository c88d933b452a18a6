import { type Clock, startTimer } from "../clock.js";
import { type FailedRequest, timedOut } from "./failures.js";

export interface CallSignal {
  /** Aborts on the caller's signal, when the client closes, or at the total deadline. */
  signal: AbortSignal;
  /** Epoch ms (the clock's) by which the call must end; Infinity without a total timeout. */
  deadline: number;
  /** Attempts made so far: the total timeout's error reports them. */
  progress: { attempts: number };
  /** Aborts the call (the client is closing). */
  abort(reason: unknown): void;
  /**
   * Makes `attempt` abort with the call from now on, in place of the previous attempt (whose
   * response was discarded). It stays linked after the attempt returns: the body is read later.
   */
  linkAttempt(attempt: AbortController): void;
  /** Stops the total-timeout timer and unlinks the caller's signal; called once the call has ended. */
  dispose(): void;
}

/**
 * One call's abort signal and deadline. One controller per call, fed by the caller's signal, the
 * client's close (through `abort`) and the total timeout (a timer on the injected clock), and
 * passed on to the attempt in flight without a listener: cheaper on the hot path than
 * `AbortSignal.any` and its transferable machinery.
 */
export function callSignal(
  clock: Clock,
  request: FailedRequest,
  totalTimeoutMs: number | undefined,
  callerSignal: AbortSignal | undefined,
): CallSignal {
  const controller = new AbortController();
  const progress = { attempts: 0 };
  let attemptLinked: AbortController | undefined;
  const abort = (reason: unknown) => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    attemptLinked?.abort(reason);
  };
  const onCallerAbort = () => abort(callerSignal?.reason);
  if (callerSignal?.aborted) abort(callerSignal.reason);
  else callerSignal?.addEventListener("abort", onCallerAbort, { once: true });

  const stopTimer =
    totalTimeoutMs === undefined
      ? undefined
      : startTimer(clock, totalTimeoutMs, () =>
          abort(timedOut(totalTimeoutMs, "total", request, progress.attempts)),
        );
  return {
    signal: controller.signal,
    deadline: totalTimeoutMs === undefined ? Number.POSITIVE_INFINITY : clock.now() + totalTimeoutMs,
    progress,
    abort,
    linkAttempt(attempt) {
      attemptLinked = attempt;
      if (controller.signal.aborted) attempt.abort(controller.signal.reason);
    },
    dispose() {
      callerSignal?.removeEventListener("abort", onCallerAbort);
      stopTimer?.();
    },
  };
}
