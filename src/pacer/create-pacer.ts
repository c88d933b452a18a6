import { type Clock, realClock } from "../clock/clock.js";
import { keyFingerprint } from "../internal/fingerprint.js";
import { fn, knownKeys, plainObject, positiveInteger } from "../internal/validate.js";
import { type BackoffPolicy, DEFAULT_BACKOFF, mergeBackoff } from "../retry/backoff.js";
import { memoryStore, type PacerStore } from "./store.js";
import type { AcquireOptions, Limit, Permit } from "./types.js";

export interface PacerOptions {
  /** Each `limit` runs per `windowMs` milliseconds, per key. Required, at least one. */
  limits: Limit[];
  /**
   * The clock every wait reads.
   * @default the real clock
   */
  clock?: Clock;
  /** Overrides of the backoff policy after a rate-limit outcome (see `Permit.release`). */
  backoff?: Partial<BackoffPolicy>;
  /**
   * Where the keys' state lives.
   * @default a new in-memory store
   */
  store?: PacerStore;
}

export interface Pacer {
  /**
   * Runs `work` when `key` may: at most `limit` runs per window for each limit, FIFO per key.
   * A run that throws still counts (it may have reached the rate-limited service).
   * @example
   * const pacer = createPacer({ limits: [{ limit: 10, windowMs: 1_000 }] });
   * const rows = await pacer.run("tenant-a", () => db.query("SELECT 1"));
   */
  run<T>(key: string, work: () => Promise<T>, options?: AcquireOptions): Promise<T>;
  /**
   * The low-level form: a permit to release with how the work ended, including a 429 and its
   * `Retry-After` (which closes the key's gate) or the server's `RateLimit` snapshot.
   * @example
   * const permit = await pacer.acquire("key-a");
   * try {
   *   const res = await fetch(url);
   *   permit.release({ kind: "response", status: res.status, counted: true, retryAfterMs: parseRetryAfter(res.headers.get("retry-after"), Date.now()) });
   * } catch (error) {
   *   permit.release({ kind: "failed" });
   *   throw error;
   * }
   */
  acquire(key: string, options?: AcquireOptions): Promise<Permit>;
}

/** Names of keys `createPacer` keeps hashed, at most. */
const MAX_NAMES_KEPT = 10_000;

/**
 * Paces any async work per key with the same engine as the client: rolling windows, the gate
 * after a refusal, FIFO waiters, one timer per key.
 * @example
 * const pacer = createPacer({ limits: [{ limit: 100, windowMs: 60_000 }, { limit: 10, windowMs: 1_000 }] });
 * await Promise.all(users.map((user) => pacer.run(user.tenant, () => sendEmail(user))));
 */
export function createPacer(options: PacerOptions): Pacer {
  plainObject("options", options);
  knownKeys("createPacer() options", options, ["limits", "clock", "backoff", "store"]);
  if (!Array.isArray(options.limits) || options.limits.length === 0) {
    throw new TypeError("Expected `limits` to be a non-empty array of { limit, windowMs }");
  }
  const limits = options.limits.map((l, i) => ({
    limit: positiveInteger(`limits[${i}].limit`, l?.limit),
    windowMs: positiveInteger(`limits[${i}].windowMs`, l?.windowMs),
  }));
  const clock = options.clock ?? realClock;
  if (options.clock !== undefined) {
    fn("clock.now", clock.now);
    fn("clock.sleep", clock.sleep);
  }
  const backoff = mergeBackoff(DEFAULT_BACKOFF, options.backoff);
  const store = options.store ?? memoryStore();
  // Hashing the key on every run would cost more than pacing it; the names of the keys seen last
  // are kept, a bounded number of them (the store forgets idle keys' pacers; this must forget too).
  const ids = new Map<string, string>();
  const pacerOf = (key: string) => {
    if (typeof key !== "string" || key === "") throw new TypeError("Expected `key` to be a non-empty string");
    let id = ids.get(key);
    if (id === undefined) {
      if (ids.size >= MAX_NAMES_KEPT) ids.clear();
      id = `pacer ${keyFingerprint(key)}`;
      ids.set(key, id);
    }
    return store.pacerFor(id, { limits, probeFirst: false, backoff, clock });
  };
  return {
    acquire: (key, acquireOptions) => pacerOf(key).acquire(acquireOptions),
    async run(key, work, acquireOptions) {
      const permit = await pacerOf(key).acquire(acquireOptions);
      try {
        const result = await work();
        permit.release({ kind: "response", status: 200, counted: true });
        return result;
      } catch (error) {
        permit.release({ kind: "failed" });
        throw error;
      }
    },
  };
}
