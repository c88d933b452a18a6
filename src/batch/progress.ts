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
import { type KeyOutlook, sendAllBy } from "./eta.js";
import { formatDuration, formatRate, layoutLine } from "./progress-format.js";

/** Where the reporter writes: `process.stderr`, a file stream, or a fake in tests. */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** A terminal gets one line redrawn with `\r`; anything else gets periodic plain lines. */
  isTTY?: boolean;
  /** The terminal's width, so a redrawn line never wraps. @default 80 */
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
   * The keys' budget, for the ETA: when the requests left can all have been sent, each key keeping
   * these limits in any rolling window (a response's `RateLimit-Limit` replacing the limit of the
   * longest window), starting from what the events (and `watch`ed clients) say of each key now: its
   * latest sends, a closed gate, a spent budget, a window that frees later. Without it, the ETA
   * extrapolates the rate observed so far, and is never sooner than the first key frees.
   */
  budget?: ProgressBudget;
  /** Forces the terminal (`true`) or the plain-line (`false`) output. @default `stream.isTTY === true` */
  tty?: boolean;
}

/** What one key did, by its fingerprint. */
export interface ProgressKeySummary {
  /** Attempts sent. */
  requests: number;
  /** 429 responses. */
  rateLimited: number;
  /** Requests that had to wait, and their expected waits summed, in ms. */
  waits: number;
  waitMs: number;
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
  /** Distinct keys seen in events (or watched). */
  keys: number;
  /** Per key fingerprint: its requests, 429s and waits. */
  byKey: Record<string, ProgressKeySummary>;
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
  /**
   * Counts `count` units done.
   * @example
   * ```ts
   * progress.tick(); // a job done
   * progress.tick(200); // a page of 200 items, when the total counts items
   * ```
   */
  tick(count?: number): void;
  /**
   * Counts `count` units done with an error.
   * @example
   * ```ts
   * await pool.run(job).then(() => progress.tick(), () => progress.fail());
   * ```
   */
  fail(count?: number): void;
  /**
   * Changes the total, e.g. once the first page told how many pages there are.
   * @example
   * ```ts
   * const first = await client.get("/bookings", { schema: CampOnePage });
   * progress.setTotal(first.count); // the first page told how many
   * ```
   */
  setTotal(total: number): void;
  /**
   * Lets the ETA ask the keys' clients when each could send next (`client.nextSendAt()`), which
   * knows more than the events do: pass `pool.clients`, or the clients you made. Call it again to
   * replace them.
   * @example
   * ```ts
   * progress.watch(pool.clients);
   * ```
   */
  watch(clients: readonly WatchedClient[]): void;
  /**
   * Renders now, whatever the interval.
   * @example
   * ```ts
   * progress.render(); // draw now, before a long synchronous step
   * ```
   */
  render(): void;
  /**
   * The numbers so far: units done and failed, requests, statuses, 429s, waits, per key, the ETA.
   * @example
   * ```ts
   * const { done, failed, rateLimited, ratePerSecond } = progress.summary();
   * ```
   */
  summary(): ProgressSummary;
  /**
   * Writes the final state (and a newline on a terminal), then, when several keys were used, one
   * line per key (requests, 429s, waits); stops the timer; returns the summary. Idempotent.
   * @example
   * ```ts
   * const summary = progress.stop();
   * console.log(`${summary.done} in ${summary.elapsedMs} ms, ${summary.rateLimited} 429s`);
   * ```
   */
  stop(): ProgressSummary;
}

/** What `watch` needs of a client: its key's fingerprint and when it could send next. */
export interface WatchedClient {
  readonly key: string;
  nextSendAt(): number;
}

const WAIT_REASONS: readonly WaitReason[] = ["gate", "budget", "window", "probe"];

/** A terminal that does not say its width is taken to be this wide. */
const DEFAULT_COLUMNS = 80;

/** At most this many sends are kept per key for the ETA, whatever limit a server announces. */
const MAX_KEPT_SENDS = 10_000;

interface KeyWait {
  reason: WaitReason;
  /** Clock time the wait is expected to end; Infinity while it depends on a probe's answer. */
  until: number;
}

/** What the reporter knows of one key. */
interface KeyState extends ProgressKeySummary {
  /** The latest send times, ascending, at least as many as the largest limit (with a budget). */
  sends: number[];
  /** The key sends nothing before this, as its latest wait or 429 said. */
  blockedUntil: number;
  /** The limit its responses' `RateLimit-Limit` announced for the longest window. */
  learnedLimit: number | undefined;
}

/** Weight of the newest response in the latency average the ETA adds for the last answers. */
const LATENCY_WEIGHT = 0.2;

/**
 * A progress reporter fed by the hooks: done/total, rate, ETA from the known budget, 429s, and
 * the current wait with its reason. On a terminal it redraws one line, fitted to its width (the
 * wait and its reason are the last to go); elsewhere (CI logs) it writes a plain line every
 * `intervalMs`. At `stop()`, a line per key.
 *
 * @example
 * ```ts
 * import { campone } from "pacekeeper";
 * import { createKeyPool, createProgress } from "pacekeeper/batch";
 *
 * const dialect = campone();
 * const progress = createProgress({
 *   total: ids.length,
 *   label: "campone",
 *   budget: { limits: dialect.limits, keys: keys.length },
 * });
 * const pool = createKeyPool({ baseUrl, apiKeys: keys, dialect, hooks: progress.hooks });
 * progress.watch(pool.clients); // the ETA asks each key when it could send next
 * await Promise.all(
 *   ids.map((id) => pool.request({ path: `/bookings/${id}` }).then(() => progress.tick())),
 * );
 * progress.stop(); // the last line, then one line per key
 * await pool.close();
 * ```
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
  const keyStates = new Map<string, KeyState>();
  let watched: readonly WatchedClient[] = [];
  /** Responses, and attempts that ended without one: what is no longer in flight. */
  let settledRequests = 0;
  let latencyMs: number | undefined;
  /** Bumped by everything the ETA depends on, so that a summary read twice computes it once. */
  let version = 0;
  let etaCache: { version: number; at: number; etaMs: number | undefined } | undefined;
  let lastRender = Number.NEGATIVE_INFINITY;
  let drawn = false;
  /** Sends kept per key: enough for the largest limit, learned or configured. */
  const longest = budget?.limits.reduce((a, b) => (b.windowMs > a.windowMs ? b : a));
  let keep = budget === undefined ? 0 : Math.max(...budget.limits.map((l) => l.limit));

  const now = (): number => stoppedAt ?? clock.now();

  const stateOf = (key: string): KeyState => {
    let state = keyStates.get(key);
    if (state === undefined) {
      state = {
        requests: 0,
        rateLimited: 0,
        waits: 0,
        waitMs: 0,
        sends: [],
        blockedUntil: Number.NEGATIVE_INFINITY,
        learnedLimit: undefined,
      };
      keyStates.set(key, state);
    }
    return state;
  };

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

  const recordSend = (state: KeyState, at: number): void => {
    if (keep === 0) return;
    const sends = state.sends;
    sends.push(at);
    // Only the latest `keep` sends can hold a slot (the ETA reads back from the newest and stops at
    // the first out of the window): drop the older ones now and then, not on every send.
    if (sends.length >= 2 * keep) sends.splice(0, sends.length - keep);
  };

  const onEvent = (event: PacekeeperEvent): void => {
    const state = stateOf(event.key);
    version++;
    switch (event.type) {
      case "request":
        requests++;
        state.requests++;
        recordSend(state, event.at);
        clearOpenEndedWait(event.key);
        break;
      case "wait":
        waits[event.reason].count++;
        waits[event.reason].ms += event.ms ?? 0;
        state.waits++;
        state.waitMs += event.ms ?? 0;
        // The pacer tells every waiter of a key when the key can send next: the key's, not the request's.
        if (event.ms !== undefined) state.blockedUntil = event.at + event.ms;
        setWait(
          event.key,
          event.reason,
          event.ms === undefined ? Number.POSITIVE_INFINITY : event.at + event.ms,
        );
        break;
      case "response": {
        statuses[event.status] = (statuses[event.status] ?? 0) + 1;
        settledRequests++;
        latencyMs =
          latencyMs === undefined
            ? event.latencyMs
            : latencyMs + LATENCY_WEIGHT * (event.latencyMs - latencyMs);
        if (event.status === 429) {
          rateLimited++;
          state.rateLimited++;
        }
        const limit = event.rateLimit?.limit;
        if (limit !== undefined && limit >= 1) {
          state.learnedLimit = limit;
          keep = Math.max(keep, Math.min(limit, MAX_KEPT_SENDS));
        }
        clearOpenEndedWait(event.key);
        break;
      }
      case "rate-limited":
        state.blockedUntil = Math.max(state.blockedUntil, event.at + event.gateMs);
        setWait(event.key, "gate", event.at + event.gateMs);
        break;
      case "retry":
        retries++;
        // The attempt ended without a response: it is no longer in flight.
        if (event.cause === "connection" || event.cause === "timeout") settledRequests++;
        break;
      case "give-up":
        giveUps++;
        if (event.error.name === "ConnectionError" || event.error.name === "TimeoutError") settledRequests++;
        break;
    }
    maybeRender();
  };

  /** The keys as the ETA sees them: every key seen, watched or announced by the budget. */
  const outlooks = (t: number): KeyOutlook[] => {
    const nextOf = new Map<string, number>();
    for (const client of watched) {
      stateOf(client.key);
      const next = client.nextSendAt();
      // Infinity: the key waits for a probe's answer, which comes within a response's latency.
      nextOf.set(client.key, Number.isFinite(next) ? next : t + (latencyMs ?? 0));
    }
    const limitsOf = (learned: number | undefined): readonly Limit[] =>
      learned === undefined
        ? budget!.limits
        : budget!.limits.map((l) => (l === longest ? { limit: learned, windowMs: l.windowMs } : l));
    const keys: KeyOutlook[] = [...keyStates].map(([key, state]) => ({
      sends: state.sends,
      blockedUntil: nextOf.get(key) ?? state.blockedUntil,
      limits: limitsOf(state.learnedLimit),
    }));
    // Keys the budget counts that have not been heard of yet: fresh.
    for (let k = keys.length; k < budget!.keys; k++) {
      keys.push({ sends: [], blockedUntil: Number.NEGATIVE_INFINITY, limits: budget!.limits });
    }
    return keys;
  };

  const estimate = (t: number, ratePerSecond: number): number | undefined => {
    const remaining = Math.max(0, total - done);
    if (remaining === 0) return 0;
    const inFlight = Math.max(0, requests - settledRequests);
    const answer = latencyMs ?? 0;
    if (budget === undefined) {
      if (!(ratePerSecond > 0)) return undefined;
      // Never sooner than the first key can send again.
      let free = Number.POSITIVE_INFINITY;
      for (const state of keyStates.values()) free = Math.min(free, Math.max(t, state.blockedUntil));
      const blocked = Number.isFinite(free) ? free - t : 0;
      return Math.max((remaining * 1000) / ratePerSecond, blocked);
    }
    // Requests a unit costs, as seen so far (1 before anything is done); those in flight are sent.
    const perUnit = done > 0 ? Math.max(1, settledRequests / done) : 1;
    const toSend = Math.max(0, Math.ceil(remaining * perUnit - inFlight));
    const lastSend = sendAllBy(t, toSend, outlooks(t));
    return Number.isFinite(lastSend) ? lastSend - t + answer : undefined;
  };

  const summary = (): ProgressSummary => {
    const t = now();
    const elapsedMs = Math.max(0, t - startedAt);
    const ratePerSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    if (etaCache === undefined || etaCache.version !== version || etaCache.at !== t) {
      etaCache = { version, at: t, etaMs: estimate(t, ratePerSecond) };
    }
    const byKey: Record<string, ProgressKeySummary> = {};
    for (const [key, state] of keyStates) {
      byKey[key] = {
        requests: state.requests,
        rateLimited: state.rateLimited,
        waits: state.waits,
        waitMs: state.waitMs,
      };
    }
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
      keys: keyStates.size,
      byKey,
      elapsedMs,
      ratePerSecond,
      etaMs: etaCache.etaMs,
    };
  };

  /** The wait that ends last among the keys still waiting, and how many keys wait. */
  const currentWait = (): { wait: KeyWait; keys: number } | undefined => {
    const t = now();
    let longestWait: KeyWait | undefined;
    let keys = 0;
    for (const [key, wait] of keyWaits) {
      if (wait.until <= t) {
        keyWaits.delete(key);
        continue;
      }
      keys++;
      if (longestWait === undefined || wait.until > longestWait.until) longestWait = wait;
    }
    return longestWait === undefined ? undefined : { wait: longestWait, keys };
  };

  const line = (): string => {
    const s = summary();
    const pct = total > 0 ? Math.floor((Math.min(done, total) * 100) / total) : 100;
    const current = currentWait();
    let wait: string | undefined;
    let waitKeys = "";
    if (current !== undefined) {
      const left = Number.isFinite(current.wait.until)
        ? ` ${formatDuration(current.wait.until - now())}`
        : "";
      wait = `waiting: ${current.wait.reason}${left}`;
      if (current.keys > 1) waitKeys = ` (${current.keys} keys)`;
    }
    const failedPart = s.failed > 0 ? `failed ${s.failed}` : undefined;
    if (!tty) {
      const parts = [
        `${s.done}/${s.total} (${pct}%)`,
        `${formatRate(s.ratePerSecond)}/s`,
        `ETA ${formatDuration(s.etaMs)}`,
        `429s ${s.rateLimited}`,
      ];
      if (failedPart !== undefined) parts.push(failedPart);
      if (wait !== undefined) parts.push(`${wait}${waitKeys}`);
      const head = label === undefined ? "" : `${label} `;
      return `${head}t+${formatDuration(s.elapsedMs)} ${parts.join(" · ")}`;
    }
    return layoutLine(
      {
        label,
        fraction: total > 0 ? done / total : 1,
        counts: `${s.done}/${s.total} ${pct}%`,
        rate: `${formatRate(s.ratePerSecond)}/s`,
        eta: `ETA ${formatDuration(s.etaMs)}`,
        rateLimited: `429s ${s.rateLimited}`,
        noneRateLimited: s.rateLimited === 0,
        failed: failedPart,
        wait,
        waitKeys,
      },
      // One column short of the width: a line that fills it wraps on some terminals.
      (stream.columns ?? DEFAULT_COLUMNS) - 1,
    );
  };

  /** One line per key, at the end of a batch over several keys. */
  const keyTable = (): string => {
    const rows = [...keyStates].map(([key, k]) => [
      key,
      String(k.requests),
      String(k.rateLimited),
      String(k.waits),
      formatDuration(k.waitMs),
    ]);
    const header = ["key", "requests", "429s", "waits", "waited (sum)"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const cells = (row: string[]) =>
      `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")}`;
    return [`${label === undefined ? "" : `${label} `}by key:`, cells(header), ...rows.map(cells)]
      .map((row) => `${row}\n`)
      .join("");
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
      version++;
      maybeRender();
    },
    fail(n = 1) {
      const k = count(n, "count");
      done += k;
      failed += k;
      version++;
      maybeRender();
    },
    setTotal(n) {
      total = nonNegativeInteger("total", n);
      version++;
    },
    watch(clients) {
      if (!Array.isArray(clients)) throw new TypeError("Expected `clients` to be an array of clients");
      for (const [i, client] of clients.entries()) {
        plainObject(`clients[${i}]`, client);
        fn(`clients[${i}].nextSendAt`, client.nextSendAt);
      }
      watched = [...clients];
      for (const client of watched) stateOf(client.key);
      version++;
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
        if (keyStates.size > 1) stream.write(keyTable());
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
