import { type Clock, startTimer } from "./clock.js";
import { LinkedList, type ListNode } from "./linked-list.js";

/** Starts a timeout that calls `fire` unless the returned function stops it first. */
export type StartTimeout = (fire: () => void) => () => void;

interface Entry extends ListNode<Entry> {
  at: number;
  fire: () => void;
}

/**
 * Timeouts that all last `ms`, on one timer. Started one after another, they end in the order they
 * started, so they form a queue and only its head needs a timer: starting and stopping one is a
 * link in a list. A timer of its own per attempt (`setTimeout` and `clearTimeout`) cost the client
 * about 3 % of its throughput (docs/benchmarks.md). The timer stops when the queue empties, so an
 * idle client keeps no timer alive.
 */
export function equalTimeouts(clock: Clock, ms: number): StartTimeout {
  const queue = new LinkedList<Entry>();
  let stopTimer: (() => void) | undefined;

  const stop = (entry: Entry) => {
    queue.remove(entry);
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

  return (fire) => {
    const entry: Entry = { at: clock.now() + ms, fire, prev: undefined, next: undefined };
    queue.push(entry);
    if (!stopTimer) arm();
    return () => stop(entry);
  };
}
