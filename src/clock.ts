/**
 * Time, injected. Every piece of pacing logic reads a `Clock` instead of `Date.now()` and
 * `setTimeout`, so an hour-long window can be tested in milliseconds, deterministically
 * (DESIGN.md, principle 5). The only timers of the library live here and in `virtual-clock.ts`.
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
  const origin = Date.now();
  const start = performance.now();
  return () => origin + (performance.now() - start);
}
