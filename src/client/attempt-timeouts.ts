import { type Clock, startTimer } from "../clock/clock.js";
import { LinkedList, type ListNode } from "../internal/linked-list.js";

/**
 * One attempt's timeout: the object that waits on it, linked in place, so that starting one
 * allocates nothing (one starts for every request).
 */
export interface Timeout extends ListNode<Timeout> {
  /** When it ends: set by `start`. */
  at: number;
  /** Called once when it ends, unless stopped before. */
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
 * another, they end in the order they started, so they form a queue and only its head needs a
 * timer: starting and stopping one is a link in a list. A timer per attempt cost the client a few
 * per cent of its throughput (docs/design.md, "Performance"). The timer stops when the queue
 * empties, so an idle client keeps no timer alive.
 */
export function attemptTimeouts(clock: Clock, ms: number): AttemptTimeouts {
  const queue = new LinkedList<Timeout>();
  let stopTimer: (() => void) | undefined;

  const stop = (timeout: Timeout) => {
    queue.remove(timeout);
    if (!queue.head) {
      stopTimer?.();
      stopTimer = undefined;
    }
  };
  // Armed for the head when it starts; it may find that head stopped and a later one first: then it
  // fires what is due and arms again for the new head.
  const arm = () => {
    const head = queue.head;
    if (head) stopTimer = startTimer(clock, head.at - clock.now(), onTimer);
  };
  const onTimer = () => {
    stopTimer = undefined;
    const now = clock.now();
    for (let head = queue.head; head && head.at <= now; head = queue.head) {
      stop(head);
      head.fire();
    }
    if (!stopTimer) arm();
  };

  return {
    start(timeout) {
      timeout.at = clock.now() + ms;
      queue.push(timeout);
      if (!stopTimer) arm();
    },
    stop,
  };
}
