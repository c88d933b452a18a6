import { type Clock, startTimer } from "./clock.js";

/** Starts a timeout that calls `fire` unless the returned function stops it first. */
export type StartTimeout = (fire: () => void) => () => void;

interface Entry {
  at: number;
  fire: () => void;
  prev: Entry | undefined;
  next: Entry | undefined;
  done: boolean;
}

/**
 * Timeouts that all last `ms`, on one timer. Started one after another, they end in the order they
 * started, so they form a queue and only its head needs a timer: starting and stopping one is a
 * link in a list. A timer of its own per attempt (`setTimeout` and `clearTimeout`) cost the client
 * about 3 % of its throughput (docs/benchmarks.md). The timer stops when the queue empties, so an
 * idle client keeps no timer alive.
 */
export function equalTimeouts(clock: Clock, ms: number): StartTimeout {
  let head: Entry | undefined;
  let tail: Entry | undefined;
  let stopTimer: (() => void) | undefined;

  const unlink = (entry: Entry) => {
    if (entry.done) return;
    entry.done = true;
    if (entry.prev) entry.prev.next = entry.next;
    else head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else tail = entry.prev;
    if (!head) {
      stopTimer?.();
      stopTimer = undefined;
    }
  };
  // Armed for the head when it starts; it may find that head stopped and a later one first: then it
  // fires what is due and arms again for the new head.
  const arm = () => {
    if (head) stopTimer = startTimer(clock, head.at - clock.now(), onTimer);
  };
  const onTimer = () => {
    stopTimer = undefined;
    const now = clock.now();
    while (head && head.at <= now) {
      const entry = head;
      unlink(entry);
      entry.fire();
    }
    if (!stopTimer) arm();
  };

  return (fire) => {
    const entry: Entry = { at: clock.now() + ms, fire, prev: tail, next: undefined, done: false };
    if (tail) tail.next = entry;
    else head = entry;
    tail = entry;
    if (!stopTimer) arm();
    return () => unlink(entry);
  };
}
