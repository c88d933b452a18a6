import { type Clock, startTimer } from "../clock/clock.js";

/** One attempt's timeout: `fire` is called once when it ends, unless it is stopped first. */
export interface Timeout {
  fire(): void;
}

export interface AttemptTimeouts {
  /** Starts `timeout`: it fires `ms` from now unless stopped first. */
  start(timeout: Timeout): void;
  /** Stops `timeout`; one stopped or fired already is left alone. */
  stop(timeout: Timeout): void;
}

/**
 * The attempt timeouts of one client, which all last `ms`, on one timer. Started one after
 * another, they end in the order they started, so they form a queue (a `Set` keeps insertion
 * order) and only its head needs a timer. A timer per attempt cost the client a few per cent of
 * its throughput (docs/design.md, "Performance"). The timer stops when the queue empties, so an idle client
 * keeps no timer alive.
 */
export function attemptTimeouts(clock: Clock, ms: number): AttemptTimeouts {
  /** Each started timeout and when it ends, oldest first. */
  const queue = new Map<Timeout, number>();
  let stopTimer: (() => void) | undefined;

  const arm = () => {
    for (const [, at] of queue) {
      stopTimer = startTimer(clock, at - clock.now(), onTimer);
      return;
    }
  };
  const onTimer = () => {
    stopTimer = undefined;
    const now = clock.now();
    for (const [timeout, at] of queue) {
      if (at > now) break;
      queue.delete(timeout);
      timeout.fire();
    }
    if (!stopTimer) arm();
  };

  return {
    start(timeout) {
      queue.set(timeout, clock.now() + ms);
      if (!stopTimer) arm();
    },
    stop(timeout) {
      if (!queue.delete(timeout) || queue.size > 0) return;
      stopTimer?.();
      stopTimer = undefined;
    },
  };
}
