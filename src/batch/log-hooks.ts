import type { Hooks, PacekeeperEvent } from "../events/hooks.js";
import { fn, knownKeys, plainObject } from "../internal/validate.js";
import { formatDuration } from "./progress-format.js";

/** pino's level names and numbers. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

export type LogLevelName = keyof typeof LOG_LEVELS;

/**
 * One hook event as a structured log line, shaped like pino's JSON output: `level` (number),
 * `time` (the event's clock time, epoch ms), `msg`, then the event's fields. The key appears only
 * as its fingerprint (`key_` + 12 hex digits); the URL is the client's, secret-looking query
 * values already redacted.
 */
export interface LogRecord {
  level: number;
  time: number;
  msg: string;
  /** The hook event's type: `request`, `wait`, `response`, `rate-limited`, `retry` or `give-up`. */
  event: PacekeeperEvent["type"];
  key: string;
  dialect: string;
  method: string;
  url: string;
  attempt?: number;
  attempts?: number;
  status?: number;
  latencyMs?: number;
  counted?: boolean;
  /** `wait`: why the request waits. */
  reason?: string;
  /** `wait`: the expected wait, in ms (absent while it depends on a probe's answer). */
  waitMs?: number;
  /** `response`: what the rate-limit headers said. */
  rateLimit?: { limit?: number; remaining: number; resetMs: number };
  /** `rate-limited`: the server's Retry-After, in ms. */
  retryAfterMs?: number;
  /** `rate-limited`: how long the key's gate is closed, in ms, and why. */
  gateMs?: number;
  gateReason?: string;
  /** `retry`: what failed, and the request's own backoff in ms. */
  cause?: string;
  delayMs?: number;
  /** `give-up`: the error, in pino's `err` place. */
  err?: { type: string; code: string | undefined; message: string };
}

/** A wait at least this long is worth seeing at the default level (`info`): the batch visibly pauses. */
export const LONG_WAIT_MS = 1_000;

/** The level of each event type; `response` depends on the status, `wait` on its reason and length (below). */
const DEFAULT_LEVELS: Record<Exclude<PacekeeperEvent["type"], "response">, LogLevelName> = {
  request: "debug",
  wait: "debug",
  "rate-limited": "warn",
  retry: "info",
  "give-up": "error",
};

/**
 * Maps a hook event to a pino-compatible record. Pure; never throws for a well-formed event.
 *
 * @example
 * ```ts
 * const record = toLogRecord({ type: "wait", reason: "window", ms: 2_500, key, dialect, method, url, at });
 * // { level: 30, time: at, msg: "GET …: waits 2.5s (window)", event: "wait", reason: "window", waitMs: 2500, … }
 * ```
 */
export function toLogRecord(event: PacekeeperEvent): LogRecord {
  const base = {
    time: event.at,
    event: event.type,
    key: event.key,
    dialect: event.dialect,
    method: event.method,
    url: event.url,
  };
  const target = `${event.method} ${event.url}`;
  switch (event.type) {
    case "request":
      return {
        level: LOG_LEVELS[DEFAULT_LEVELS.request],
        msg: `${target}: sent (attempt ${event.attempt})`,
        ...base,
        attempt: event.attempt,
      };
    case "wait": {
      // A closed gate follows a 429, and a wait of a second or more pauses the key visibly: both are
      // worth seeing at the default level. Shorter waits are ordinary pacing.
      const notable = event.reason === "gate" || (event.ms !== undefined && event.ms >= LONG_WAIT_MS);
      const record: LogRecord = {
        level: LOG_LEVELS[notable ? "info" : DEFAULT_LEVELS.wait],
        msg: `${target}: waits ${event.ms === undefined ? "for the probe's answer" : formatDuration(event.ms)} (${event.reason})`,
        ...base,
        reason: event.reason,
      };
      if (event.ms !== undefined) record.waitMs = Math.round(event.ms);
      return record;
    }
    case "response": {
      const level: LogLevelName = event.status === 429 || event.status >= 500 ? "warn" : "debug";
      const record: LogRecord = {
        level: LOG_LEVELS[level],
        msg: `${target}: ${event.status} in ${formatDuration(event.latencyMs)}`,
        ...base,
        attempt: event.attempt,
        status: event.status,
        latencyMs: Math.round(event.latencyMs),
        counted: event.counted,
      };
      if (event.rateLimit !== undefined) {
        const { limit, remaining, resetMs } = event.rateLimit;
        record.rateLimit = limit === undefined ? { remaining, resetMs } : { limit, remaining, resetMs };
      }
      return record;
    }
    case "rate-limited": {
      const record: LogRecord = {
        level: LOG_LEVELS[DEFAULT_LEVELS["rate-limited"]],
        msg: `${target}: 429, the key waits ${formatDuration(event.gateMs)} (${event.gateReason})`,
        ...base,
        attempt: event.attempt,
        status: 429,
        gateMs: Math.round(event.gateMs),
        gateReason: event.gateReason,
      };
      if (event.retryAfterMs !== undefined) record.retryAfterMs = event.retryAfterMs;
      return record;
    }
    case "retry": {
      const what = event.status === undefined ? event.cause : `${event.status}`;
      const record: LogRecord = {
        level: LOG_LEVELS[DEFAULT_LEVELS.retry],
        msg: `${target}: attempt ${event.attempt} failed (${what}), retrying after ${formatDuration(event.delayMs)}`,
        ...base,
        attempt: event.attempt,
        cause: event.cause,
        delayMs: Math.round(event.delayMs),
      };
      if (event.status !== undefined) record.status = event.status;
      return record;
    }
    case "give-up":
      return {
        level: LOG_LEVELS[DEFAULT_LEVELS["give-up"]],
        msg: `${target}: failed after ${event.attempts} attempt${event.attempts === 1 ? "" : "s"}: ${event.error.message}`,
        ...base,
        attempts: event.attempts,
        err: { type: event.error.name, code: event.error.code, message: event.error.message },
      };
  }
}

/** A pino-style logger: each level a method taking the fields, then the message. */
export type PinoLikeLogger = {
  [level in "debug" | "info" | "warn" | "error"]: (fields: object, msg: string) => void;
} & { [level in "trace" | "fatal"]?: (fields: object, msg: string) => void };

export interface LogHooksOptions {
  /** Overrides of the level per event type (`response` otherwise: 429 and 5xx warn, the rest debug). */
  levels?: Partial<Record<PacekeeperEvent["type"], LogLevelName>>;
}

/**
 * Hooks that log every event through a pino-style logger: `logger.info(fields, msg)`. The logger
 * adds its own `level` and `time`; `fields` hold the event's fields, the key only as its
 * fingerprint. Pass the result as `hooks` to `createClient`, `createKeyPool` or `runInWorkers`.
 *
 * Levels: `request` debug; `wait` debug, or info for a closed gate (after a 429) and for a wait of
 * a second or more; `response` debug, warn for a 429 or a 5xx; `rate-limited` warn; `retry` info;
 * `give-up` error. `options.levels` overrides them per event type.
 *
 * @example
 * ```ts
 * import pino from "pino";
 * import { createKeyPool, createLogHooks } from "pacekeeper/batch";
 *
 * const pool = createKeyPool({ baseUrl, apiKeys, dialect, hooks: createLogHooks(pino()) });
 * ```
 */
export function createLogHooks(logger: PinoLikeLogger, options: LogHooksOptions = {}): Hooks {
  plainObject("options", options);
  knownKeys("createLogHooks() options", options, ["levels"]);
  for (const level of ["debug", "info", "warn", "error"] as const) fn(`logger.${level}`, logger?.[level]);
  const overrides = options.levels ?? {};
  for (const [type, level] of Object.entries(overrides)) {
    if (!(level in LOG_LEVELS))
      throw new TypeError(`Expected \`levels.${type}\` to be a pino level name, got \`${String(level)}\``);
  }
  const nameOf = (level: number): LogLevelName =>
    (Object.entries(LOG_LEVELS).find(([, n]) => n === level)?.[0] ?? "info") as LogLevelName;
  return {
    event(event) {
      const { level, time: _time, msg, ...fields } = toLogRecord(event);
      const name = overrides[event.type] ?? nameOf(level);
      // trace and fatal are optional on a pino-like logger: fall back to its nearest level.
      const write = logger[name] ?? (name === "trace" ? logger.debug : logger.error);
      write.call(logger, fields, msg);
    },
  };
}
