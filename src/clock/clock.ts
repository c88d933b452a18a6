/**
 * Time, injected. Every piece of pacing logic reads a `Clock` instead of `Date.now()` and
 * `setTimeout`, so an hour-long window can be tested in milliseconds, deterministically.
 * The only timers of the library live here and in `virtual-clock.ts`.
 */
export interface Clock {
  /** Milliseconds since the epoch. Never goes backwards. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds (0 or less: on the next macrotask).
   * Rejects with `signal.reason` as soon as `signal` aborts, and clears its timer.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** `setTimeout` fires at once for delays above 2^31-1 ms; longer sleeps are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/** The real clock: wall time, made monotonic, and `setTimeout` chunked below the 2^31-1 ms limit. */
export const realClock: Clock = {
  now: monotonicNow(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      // NaN (or a negative) is "no wait": a NaN deadline was never reached and re-armed forever.
      const delay = Number.isNaN(ms) || ms < 0 ? 0 : ms;
      const deadline = Date.now() + delay;
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const arm = () => {
        const left = deadline - Date.now();
        if (left <= 0) {
          signal?.removeEventListener("abort", onAbort);
          resolve();
          return;
        }
        timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(arm, Math.min(delay, MAX_TIMER_MS));
    });
  },
};

/** Date.now() can step back (NTP); pacing must not, or a window would appear to grow. */
function monotonicNow(): () => number {
  // Held rather than looked up: Node's global `performance` is a getter, and now() runs several
  // times per request.
  const perf = performance;
  const origin = Date.now();
  const start = perf.now();
  return () => origin + (perf.now() - start);
}

/**
 * Calls `fire` after `ms` on `clock`; the returned function cancels it. On the real clock this is
 * a plain `setTimeout` (a request's own timeout is set and cleared once per attempt, and an
 * `AbortController` per timer costs more than the timer), which does not keep the process alive on
 * its own: it watches work that does; on any other clock, an abortable sleep.
 */
export function startTimer(clock: Clock, ms: number, fire: () => void): () => void {
  if (clock === realClock && ms <= MAX_TIMER_MS) {
    const timer = setTimeout(fire, Math.max(0, ms)).unref();
    return () => clearTimeout(timer);
  }
  const stop = new AbortController();
  clock.sleep(ms, stop.signal).then(fire, () => {});
  return () => stop.abort(TIMER_NOT_NEEDED);
}

/**
 * What stops a timer that is no longer needed. Aborting without a reason would build a
 * `DOMException` (with its stack) for every request, only for the rejection to be ignored.
 */
const TIMER_NOT_NEEDED: unknown = Object.freeze({ name: "TimerNotNeeded" });
