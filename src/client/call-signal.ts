import type { Clock } from "../clock.js";
import { type FailedRequest, timedOut } from "./failures.js";

export interface CallSignal {
  /** Aborts on the caller's signal, when the client closes, or at the total deadline. */
  signal: AbortSignal;
  /** Epoch ms (the clock's) by which the call must end; Infinity without a total timeout. */
  deadline: number;
  /** Attempts made so far: the total timeout's error reports them. */
  progress: { attempts: number };
  /** Stops the total-timeout timer; called once the call has ended. */
  dispose(): void;
}

/** One call's abort signal and deadline; the total timeout is a timer on the injected clock. */
export function callSignal(
  clock: Clock,
  request: FailedRequest,
  totalTimeoutMs: number | undefined,
  signals: AbortSignal[],
): CallSignal {
  const progress = { attempts: 0 };
  if (totalTimeoutMs === undefined) {
    return { signal: AbortSignal.any(signals), deadline: Number.POSITIVE_INFINITY, progress, dispose() {} };
  }
  const total = new AbortController();
  const timer = new AbortController();
  clock.sleep(totalTimeoutMs, timer.signal).then(
    () => total.abort(timedOut(totalTimeoutMs, "total", request, progress.attempts)),
    () => {},
  );
  return {
    signal: AbortSignal.any([...signals, total.signal]),
    deadline: clock.now() + totalTimeoutMs,
    progress,
    dispose: () => timer.abort(),
  };
}
