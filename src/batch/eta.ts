/**
 * The progress reporter's ETA: when the requests left can all have been sent, by keys that keep
 * their limits in any rolling window, as the pacer does. Each key starts from what is known of it
 * now: its recent sends (a full window frees one slot at a time, a window after each send) and
 * when it may send again at all (a closed gate, a spent server budget, its pacer's `nextSendAt()`).
 * The rate observed so far plays no part, so the ETA neither freezes while every key waits for its
 * window nor starts pessimistic while the keys' first windows are still whole.
 */
import type { Limit } from "../pacer/types.js";

/** What is known of one key now. */
export interface KeyOutlook {
  /** Times of the key's latest sends, ascending (as many as its largest limit is enough). */
  sends: readonly number[];
  /** The key sends nothing before this time (a gate, a spent budget, its pacer's next send). */
  blockedUntil: number;
  /** The key's limits: at most `limit` sends in any `windowMs`, each of them. */
  limits: readonly Limit[];
}

/** Doublings of the horizon before giving up: past 2^60 ms there is no useful answer. */
const MAX_DOUBLINGS = 60;

/**
 * The earliest time (of the clock `now` comes from) by which `requests` more requests can all have
 * been sent over `keys`; `now` when there are none, Infinity when the keys can never send them.
 */
export function sendAllBy(now: number, requests: number, keys: readonly KeyOutlook[]): number {
  if (requests <= 0) return now;
  const total = (t: number): number => {
    let sum = 0;
    for (const key of keys) sum += sentBy(key, now, t);
    return sum;
  };
  if (total(now) >= requests) return now;
  let low = now;
  let span = 1;
  for (let i = 0; total(now + span) < requests; i++) {
    if (i >= MAX_DOUBLINGS) return Number.POSITIVE_INFINITY;
    low = now + span;
    span *= 2;
  }
  let high = now + span;
  // The answer is the first moment enough requests are out: bisect to the millisecond.
  while (high - low > 1) {
    const mid = (low + high) / 2;
    if (total(mid) >= requests) high = mid;
    else low = mid;
  }
  return high;
}

/**
 * How many requests `key` can have sent from `now` up to time `t` included. Per limit of `limit`
 * in `windowMs`, the sends still inside the window free their slots a window after they went, the
 * rest of the slots are free from the start, and each slot serves one request per window from
 * then on; the key can send what its tightest limit allows.
 */
export function sentBy(key: KeyOutlook, now: number, t: number): number {
  const start = Math.max(now, key.blockedUntil);
  if (!(t >= start)) return 0;
  let allowed = Number.POSITIVE_INFINITY;
  for (const { limit, windowMs } of key.limits) {
    const perSlot = (from: number): number => (t >= from ? Math.floor((t - from) / windowMs) + 1 : 0);
    // The sends that still hold a slot at `start`: the latest `limit` of those inside the window.
    let held = 0;
    let count = 0;
    for (let i = key.sends.length - 1; i >= 0 && held < limit; i--) {
      const freesAt = key.sends[i]! + windowMs;
      if (freesAt <= start) break;
      held++;
      count += perSlot(freesAt);
    }
    count += (limit - held) * perSlot(start);
    allowed = Math.min(allowed, count);
  }
  return allowed;
}
