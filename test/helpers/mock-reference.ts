/**
 * Straightforward reference computations of each counting model, from the whole list of counted
 * request times, written independently of `src/mock/` (the token bucket as a GCRA, the windows by
 * filtering). The property tests compare the mock's decisions and headers with these.
 */
import type { CountingModel } from "../../src/mock/index.js";

export interface Limit {
  limit: number;
  windowMs: number;
}

/** Whether a request at `t` is allowed after the counted requests `history` (times, ascending). */
export function referenceAllows(
  model: CountingModel,
  history: readonly number[],
  t: number,
  { limit, windowMs }: Limit,
) {
  switch (model) {
    case "rolling":
      return inRollingWindow(history, t, windowMs).length < limit;
    case "fixed":
      return inFixedWindow(history, t, windowMs).length < limit;
    case "bucket":
      return debt(history, t, { limit, windowMs }) <= (limit - 1) * windowMs;
  }
}

/** Requests left at `t` after `history` (for the bucket: whole tokens). */
export function referenceRemaining(
  model: CountingModel,
  history: readonly number[],
  t: number,
  { limit, windowMs }: Limit,
) {
  switch (model) {
    case "rolling":
      return Math.max(0, limit - inRollingWindow(history, t, windowMs).length);
    case "fixed":
      return Math.max(0, limit - inFixedWindow(history, t, windowMs).length);
    case "bucket":
      return Math.max(0, Math.floor((limit * windowMs - debt(history, t, { limit, windowMs })) / windowMs));
  }
}

/**
 * Milliseconds until the model's reset point at `t`: rolling, until the oldest request in the window
 * ages out (a window when none); fixed, until the current window ends; bucket, until it is full.
 */
export function referenceResetMs(
  model: CountingModel,
  history: readonly number[],
  t: number,
  { limit, windowMs }: Limit,
) {
  switch (model) {
    case "rolling": {
      const inWindow = inRollingWindow(history, t, windowMs);
      return inWindow.length === 0 ? windowMs : Math.min(...inWindow) + windowMs - t;
    }
    case "fixed": {
      const origin = history[0];
      if (origin === undefined) return windowMs;
      return origin + (Math.floor((t - origin) / windowMs) + 1) * windowMs - t;
    }
    case "bucket":
      return debt(history, t, { limit, windowMs }) / limit;
  }
}

/** A request counted at `s` is in the rolling window at `t` while `t < s + windowMs`. */
function inRollingWindow(history: readonly number[], t: number, windowMs: number): number[] {
  return history.filter((s) => s <= t && s > t - windowMs);
}

/** The requests counted in the window that holds `t`; windows start at the first counted request. */
function inFixedWindow(history: readonly number[], t: number, windowMs: number): number[] {
  const origin = history[0];
  if (origin === undefined) return [];
  const index = (s: number) => Math.floor((s - origin) / windowMs);
  return history.filter((s) => index(s) === index(t));
}

/**
 * GCRA: each counted request moves the theoretical arrival time `tat` (in ms × limit) to
 * `max(tat, s × limit) + windowMs`; the bucket's debt at `t` is how far `tat` lies ahead, in units
 * where one token is `windowMs`. Allowed while the debt is at most `limit - 1` tokens.
 */
function debt(history: readonly number[], t: number, { limit, windowMs }: Limit): number {
  let tat = Number.NEGATIVE_INFINITY;
  for (const s of history) tat = Math.max(tat, s * limit) + windowMs;
  return Math.max(0, tat - t * limit);
}
