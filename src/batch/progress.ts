import { type Clock, realClock } from "../clock/clock.js";
import type { Hooks, PacekeeperEvent } from "../events/hooks.js";
import {
  fn,
  knownKeys,
  nonNegativeNumber,
  plainObject,
  positiveInteger,
  positiveNumber,
} from "../internal/validate.js";
import type { Limit, WaitReason } from "../pacer/types.js";
import { fitLine, formatBar, formatDuration, formatRate } from "./progress-format.js";

/** Where the reporter writes: `process.stderr`, a file stream, or a fake in tests. */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** A terminal gets one line redrawn with `\r`; anything else gets periodic plain lines. */
  isTTY?: boolean;
  /** The terminal's width, so a redrawn line never wraps. */
  columns?: number;
}

/** The keys' known budget, from which the ETA is computed. */
export interface ProgressBudget {
  /** The limits of one key, e.g. `dialect.limits` or `[{ limit: 1000, windowMs: 3_600_000 }]`. */
  limits: readonly Limit[];
  /** How many keys share the work. @default 1 (or the number of keys seen in events, if more) */
  keys?: number;
}

export interface ProgressOptions {
  /** Units of work in the batch (usually jobs); `setTotal` changes it as the batch learns more. Required. */
  total: number;
  /** A name in front of every line, e.g. the API's. */
  label?: string;
  /** @default process.stderr */
  stream?: ProgressStream;
  /**
   * Least time between two renders, in milliseconds of `clock`: a terminal line is redrawn at
   * most this often, a plain line is written every `intervalMs`.
   * @default 200 on a terminal, 10_000 otherwise
   */
  intervalMs?: number;
  /**
   * The clock of the clients. With the real clock an unref'd timer also redraws during long waits;
   * with an injected clock (a virtual one in tests) the reporter renders on events only.
   * @default the real clock
   */
  clock?: Clock;
  /**
   * The keys' budget: the ETA is the remaining work at its steady rate (Σ over keys of the
   * tightest `limit / windowMs`, a header's `RateLimit-Limit` replacing the configured one).
   * Without it, the ETA extrapolates the rate observed so far.
   */
  budget?: ProgressBudget;
  /** Forces the terminal (`true`) or the plain-line (`false`) output. @default `stream.isTTY === true` */
  tty?: boolean;
}

export interface ProgressSummary {
  label: string | undefined;
  total: number;
  /** Units finished (`tick` and `fail`). */
  done: number;
  /** Units finished with an error (`fail`). */
  failed: number;
  /** Attempts sent (request events). */
  requests: number;
  /** Responses by status. */
  statuses: Record<number, number>;
  /** 429 responses. */
  rateLimited: number;
  retries: number;
  /** Calls that ended in an error. */
  giveUps: number;
  /** Waits by reason: how many requests waited, and the expected waits summed, in ms. */
  waits: Record<WaitReason, { count: number; ms: number }>;
  /** Distinct keys seen in events. */
  keys: number;
  /** From the reporter's creation to now (or to `stop()`), in ms of the clock. */
  elapsedMs: number;
  /** Units per second so far. */
  ratePerSecond: number;
  /** Expected time to finish, in ms; undefined before anything is known. */
  etaMs: number | undefined;
}

export interface Progress {
  /** Pass to `createClient`, `createKeyPool` or `runInWorkers` (also usable as `hooks.event`). */
  readonly hooks: Hooks;
  /** Counts `count` units done. */
  tick(count?: number): void;
  /** Counts `count` units done with an error. */
  fail(count?: number): void;
  /** Changes the total, e.g. once the first page told how many pages there are. */
  setTotal(total: number): void;
  /** Renders now, whatever the interval. */
  render(): void;
  summary(): ProgressSummary;
  /** Writes the final state (and a newline on a terminal), stops the timer, returns the summary. Idempotent. */
  stop(): ProgressSummary;
}

const WAIT_REASONS: readonly WaitReason[] = ["gate", "budget", "window", "probe"];

interface KeyWait {
  reason: WaitReason;
  /** Clock time the wait is expected to end; Infinity while it depends on a probe's answer. */
  until: number;
}

/**
 * A progress reporter fed by the hooks: done/total, rate, ETA from the known budget, 429s, and
 * the current wait with its reason. On a terminal it redraws one line; elsewhere (CI logs) it
 * writes a plain line every `intervalMs`.
 */
export function createProgress(options: ProgressOptions): Progress {
  plainObject("options", options);
  knownKeys("createProgress() options", options, [
    "total",
    "label",
    "stream",
    "intervalMs",
    "clock",
    "budget",
    "tty",
  ]);
  let total = nonNegativeInteger("total", options.total);
  const label = options.label;
  const stream = options.stream ?? process.stderr;
  fn("stream.write", stream.write);
  const tty = options.tty ?? stream.isTTY === true;
  const intervalMs = positiveNumber("intervalMs", options.intervalMs ?? (tty ? 200 : 10_000));
  const clock = options.clock ?? realClock;
  const budget = options.budget === undefined ? undefined : budgetOf(options.budget);

  const startedAt = clock.now();
  let stoppedAt: number | undefined;
  let done = 0;
  let failed = 0;
  let requests = 0;
  let rateLimited = 0;
  let retries = 0;
  let giveUps = 0;
  const statuses: Record<number, number> = {};
  const waits = Object.fromEntries(
    WAIT_REASONS.map((r) => [r, { count: 0, ms: 0 }]),
  ) as ProgressSummary["waits"];
  const keyWaits = new Map<string, KeyWait>();
  /** Per key, the limit its responses' `RateLimit-Limit` announced for the longest window. */
  const learnedLimit = new Map<string, number | undefined>();
  let lastRender = Number.NEGATIVE_INFINITY;
  let drawn = false;

  const now = (): number => stoppedAt ?? clock.now();

  const setWait = (key: string, reason: WaitReason, until: number): void => {
    const current = keyWaits.get(key);
    if (current === undefined || current.until <= clock.now() || until >= current.until) {
      keyWaits.set(key, { reason, until });
    }
  };

  /** A wait of unknown length (behind a probe, or behind the key's other waiters) ends when the key moves. */
  const clearOpenEndedWait = (key: string): void => {
    if (keyWaits.get(key)?.until === Number.POSITIVE_INFINITY) keyWaits.delete(key);
  };

  const onEvent = (event: PacekeeperEvent): void => {
    if (!learnedLimit.has(event.key)) learnedLimit.set(event.key, undefined);
    switch (event.type) {
      case "request":
        requests++;
        clearOpenEndedWait(event.key);
        break;
      case "wait":
        waits[event.reason].count++;
        waits[event.reason].ms += event.ms ?? 0;
        setWait(
          event.key,
          event.reason,
          event.ms === undefined ? Number.POSITIVE_INFINITY : event.at + event.ms,
        );
        break;
      case "response": {
        statuses[event.status] = (statuses[event.status] ?? 0) + 1;
        if (event.status === 429) rateLimited++;
        const limit = event.rateLimit?.limit;
        if (limit !== undefined && limit >= 1) learnedLimit.set(event.key, limit);
        clearOpenEndedWait(event.key);
        break;
      }
      case "rate-limited":
        setWait(event.key, "gate", event.at + event.gateMs);
        break;
      case "retry":
        retries++;
        break;
      case "give-up":
        giveUps++;
        break;
    }
    maybeRender();
  };

  /** Requests per ms the keys may send in the long run. */
  const budgetRate = (): number | undefined => {
    if (budget === undefined) return undefined;
    const keys = Math.max(budget.keys, learnedLimit.size);
    const longest = budget.limits.reduce((a, b) => (b.windowMs > a.windowMs ? b : a));
    let rate = 0;
    const learnedLimits = [...learnedLimit.values()];
    for (let k = 0; k < keys; k++) {
      const learned = learnedLimits[k];
      let keyRate = Number.POSITIVE_INFINITY;
      for (const l of budget.limits) {
        const limit = l === longest && learned !== undefined ? learned : l.limit;
        keyRate = Math.min(keyRate, limit / l.windowMs);
      }
      rate += keyRate;
    }
    return rate;
  };

  const summary = (): ProgressSummary => {
    const elapsedMs = Math.max(0, now() - startedAt);
    const ratePerSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    const remaining = Math.max(0, total - done);
    let etaMs: number | undefined;
    const rate = budgetRate();
    if (remaining === 0) etaMs = 0;
    else if (rate !== undefined && rate > 0) {
      // Requests a unit of work costs, as seen so far (1 before anything is done).
      const perUnit = done > 0 && requests > 0 ? requests / done : 1;
      etaMs = (remaining * perUnit) / rate;
    } else if (ratePerSecond > 0) etaMs = (remaining * 1000) / ratePerSecond;
    return {
      label,
      total,
      done,
      failed,
      requests,
      statuses: { ...statuses },
      rateLimited,
      retries,
      giveUps,
      waits: Object.fromEntries(WAIT_REASONS.map((r) => [r, { ...waits[r] }])) as ProgressSummary["waits"],
      keys: learnedLimit.size,
      elapsedMs,
      ratePerSecond,
      etaMs,
    };
  };

  /** The wait that ends last among the keys still waiting, and how many keys wait. */
  const currentWait = (): { wait: KeyWait; keys: number } | undefined => {
    const t = now();
    let longest: KeyWait | undefined;
    let keys = 0;
    for (const [key, wait] of keyWaits) {
      if (wait.until <= t) {
        keyWaits.delete(key);
        continue;
      }
      keys++;
      if (longest === undefined || wait.until > longest.until) longest = wait;
    }
    return longest === undefined ? undefined : { wait: longest, keys };
  };

  const line = (): string => {
    const s = summary();
    const pct = total > 0 ? Math.floor((Math.min(done, total) * 100) / total) : 100;
    const parts = [
      `${s.done}/${s.total}${tty ? ` ${pct}%` : ` (${pct}%)`}`,
      `${formatRate(s.ratePerSecond)}/s`,
      `ETA ${formatDuration(s.etaMs)}`,
      `429s ${s.rateLimited}`,
    ];
    if (s.failed > 0) parts.push(`failed ${s.failed}`);
    const current = currentWait();
    if (current !== undefined) {
      const { wait, keys } = current;
      const left = Number.isFinite(wait.until) ? ` ${formatDuration(wait.until - now())}` : "";
      parts.push(`waiting: ${wait.reason}${left}${keys > 1 ? ` (${keys} keys)` : ""}`);
    }
    const head = label === undefined ? "" : `${label} `;
    if (!tty) return `${head}t+${formatDuration(s.elapsedMs)} ${parts.join(" · ")}`;
    return fitLine(
      `${head}${formatBar(total > 0 ? done / total : 1, 24)} ${parts.join(" · ")}`,
      stream.columns,
    );
  };

  const render = (): void => {
    lastRender = clock.now();
    if (tty) {
      stream.write(`\r${line()}\x1b[K`);
      drawn = true;
    } else {
      stream.write(`${line()}\n`);
    }
  };

  const maybeRender = (): void => {
    if (stoppedAt !== undefined) return;
    if (clock.now() - lastRender >= intervalMs) render();
  };

  // Long waits send no events: the real clock's timer keeps the line (and CI's log) moving.
  // Unref'd, so it never keeps the process alive; with an injected clock there is none.
  const timer = clock === realClock ? setInterval(maybeRender, intervalMs) : undefined;
  timer?.unref();

  const count = (n: unknown, name: string): number => nonNegativeInteger(name, n);

  return {
    hooks: { event: onEvent },
    tick(n = 1) {
      done += count(n, "count");
      maybeRender();
    },
    fail(n = 1) {
      const k = count(n, "count");
      done += k;
      failed += k;
      maybeRender();
    },
    setTotal(n) {
      total = nonNegativeInteger("total", n);
    },
    render() {
      if (stoppedAt === undefined) render();
    },
    summary,
    stop() {
      if (stoppedAt === undefined) {
        if (timer !== undefined) clearInterval(timer);
        keyWaits.clear(); // the batch is over: nothing waits any more
        render();
        stoppedAt = clock.now();
        if (tty && drawn) stream.write("\n");
      }
      return summary();
    },
  };
}

function nonNegativeInteger(name: string, value: unknown): number {
  const n = nonNegativeNumber(name, value);
  if (!Number.isInteger(n))
    throw new RangeError(`Expected \`${name}\` to be an integer from 0 and up, got \`${n}\``);
  return n;
}

function budgetOf(value: ProgressBudget): { limits: readonly Limit[]; keys: number } {
  plainObject("budget", value);
  knownKeys("budget", value, ["limits", "keys"]);
  if (!Array.isArray(value.limits) || value.limits.length === 0) {
    throw new TypeError("Expected `budget.limits` to be a non-empty array of { limit, windowMs }");
  }
  for (const [i, l] of value.limits.entries()) {
    positiveNumber(`budget.limits[${i}].limit`, l?.limit);
    positiveNumber(`budget.limits[${i}].windowMs`, l?.windowMs);
  }
  return { limits: value.limits, keys: positiveInteger("budget.keys", value.keys ?? 1) };
}
