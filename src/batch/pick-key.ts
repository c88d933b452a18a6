/** What the pool knows of one key when it routes a job. */
export interface KeyLoad {
  /** The clock's epoch ms from which the key could send (`client.nextSendAt()`). */
  nextSendAt: number;
  /** Requests of the key waiting in its pacer (`client.waiting`). */
  waiting: number;
  /** Jobs of the pool running on the key now. */
  active: number;
}

/**
 * The key a job should go to: the one whose next send is soonest, ties broken by fewest
 * requests waiting, then fewest jobs running, then the lower index (so equal keys take turns
 * in order). Returns -1 for an empty list.
 */
export function pickKey(loads: readonly KeyLoad[]): number {
  let best = -1;
  for (let i = 0; i < loads.length; i++) {
    if (best === -1 || before(loads[i]!, loads[best]!)) best = i;
  }
  return best;
}

function before(a: KeyLoad, b: KeyLoad): boolean {
  if (a.nextSendAt !== b.nextSendAt) return a.nextSendAt < b.nextSendAt;
  if (a.waiting !== b.waiting) return a.waiting < b.waiting;
  return a.active < b.active;
}
