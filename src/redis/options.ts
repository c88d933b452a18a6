import type { Redis } from "ioredis";
import type { Clock } from "../clock/clock.js";
import {
  fn,
  knownKeys,
  nonEmptyString,
  nonNegativeNumber,
  plainObject,
  positiveNumber,
} from "../internal/validate.js";
import type { StoreUnavailableError } from "./store-unavailable-error.js";

export interface RedisStoreOptions {
  /**
   * The ioredis client the store sends its scripts on. The store opens one more connection for
   * pub/sub (`client.duplicate()`) and closes that one in `close()`; it never closes `client`.
   * Required.
   */
  client: Redis;
  /**
   * Prefix of every Redis key and channel the store uses. Keys are named after a hash of the
   * pacer's id, never after the API key.
   * @default "pacekeeper:"
   */
  prefix?: string;
  /**
   * What `acquire` does when Redis cannot be reached (connection down, a command past
   * `commandTimeoutMs`, the client closed):
   * - `"fail"`: reject with `StoreUnavailableError`; nothing is sent.
   * - `"fallback"`: pace the key in this process (a `LocalKeyPacer`, as without Redis) and
   *   report a `"fallback"` warning; Redis is tried again every `retryRedisAfterMs`.
   * @default "fail"
   */
  onUnavailable?: "fail" | "fallback";
  /**
   * Told when the store falls back to in-process pacing, comes back to Redis, cannot record a
   * release, or loses its pub/sub connection. Must not throw (what it throws is ignored).
   * @default undefined (warnings are dropped)
   */
  onWarning?: (warning: RedisStoreWarning) => void;
  /**
   * Longest wait for one Redis command, in milliseconds; past it Redis counts as unreachable.
   * @default 1_000
   */
  commandTimeoutMs?: number;
  /**
   * How long a reservation (a permit granted, its response not yet reported) outlives its window
   * when its process never reports back — it died — in milliseconds. Set it at least to the
   * client's `timeoutMs`: a response slower than window + grace stops holding its slot early.
   * @default 30_000 (the client's default `timeoutMs`)
   */
  reservationGraceMs?: number;
  /**
   * In `"fallback"`, how long a key stays on the in-process pacer before Redis is tried again,
   * in milliseconds.
   * @default 5_000
   */
  retryRedisAfterMs?: number;
  /**
   * Longest a waiter sleeps before asking Redis again when its wait depends on responses in
   * flight in other processes (the probe, a full window of requests in flight). Pub/sub usually
   * wakes it sooner. In milliseconds.
   * @default 1_000
   */
  pollMs?: number;
  /**
   * The time the keys' state is kept in. Redis' own (`TIME`) by default, so that processes on
   * machines whose clocks disagree still agree on one time; a test that runs its clients on a
   * virtual clock passes that clock here too (every store of a key must then use it).
   * @default "redis"
   */
  time?: "redis" | Clock;
}

/** What `onWarning` receives. `id` names the pacer (dialect, base URL, key fingerprint). */
export type RedisStoreWarning =
  /** Redis was unreachable: the key is now paced in this process only. */
  | { type: "fallback"; id: string; error: StoreUnavailableError }
  /** Redis answered again: the key is paced in Redis again. */
  | { type: "recovered"; id: string }
  /** A permit's outcome could not be recorded; its reservation expires after its window and the grace. */
  | { type: "release-failed"; id: string; error: StoreUnavailableError }
  /** The pub/sub connection failed: waiters wake on their timers only until it is back. */
  | { type: "subscriber-error"; error: unknown };

export interface ResolvedRedisStoreOptions {
  client: Redis;
  prefix: string;
  onUnavailable: "fail" | "fallback";
  onWarning: ((warning: RedisStoreWarning) => void) | undefined;
  commandTimeoutMs: number;
  reservationGraceMs: number;
  retryRedisAfterMs: number;
  pollMs: number;
  time: "redis" | Clock;
}

const OPTION_NAMES = [
  "client",
  "prefix",
  "onUnavailable",
  "onWarning",
  "commandTimeoutMs",
  "reservationGraceMs",
  "retryRedisAfterMs",
  "pollMs",
  "time",
] as const;

/** Validates at construction, with messages that name the option. */
export function resolveRedisStoreOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  plainObject("options", options);
  knownKeys("redisStore() options", options, OPTION_NAMES);
  const client = options.client as unknown;
  if (
    typeof client !== "object" ||
    client === null ||
    typeof (client as Redis).evalsha !== "function" ||
    typeof (client as Redis).duplicate !== "function"
  ) {
    throw new TypeError("Expected `client` to be an ioredis client (`new Redis(…)`)");
  }
  const onUnavailable = options.onUnavailable ?? "fail";
  if (onUnavailable !== "fail" && onUnavailable !== "fallback") {
    throw new TypeError(
      `Expected \`onUnavailable\` to be "fail" or "fallback", got ${JSON.stringify(String(onUnavailable))}`,
    );
  }
  return {
    client: options.client,
    prefix: options.prefix === undefined ? "pacekeeper:" : nonEmptyString("prefix", options.prefix),
    onUnavailable,
    onWarning: options.onWarning === undefined ? undefined : fn("onWarning", options.onWarning),
    commandTimeoutMs: positiveNumber("commandTimeoutMs", options.commandTimeoutMs ?? 1_000),
    reservationGraceMs: nonNegativeNumber("reservationGraceMs", options.reservationGraceMs ?? 30_000),
    retryRedisAfterMs: positiveNumber("retryRedisAfterMs", options.retryRedisAfterMs ?? 5_000),
    pollMs: positiveNumber("pollMs", options.pollMs ?? 1_000),
    time: timeOf(options.time),
  };
}

function timeOf(value: unknown): "redis" | Clock {
  if (value === undefined || value === "redis") return "redis";
  const clock = plainObject("time", value);
  fn("time.now", clock.now);
  fn("time.sleep", clock.sleep);
  return value as Clock;
}
