import type { PacerStore } from "../pacer/store.js";
import type { KeyPacerConfig } from "../pacer/types.js";
import { keyNames } from "./key-names.js";
import { type RedisStoreOptions, type RedisStoreWarning, resolveRedisStoreOptions } from "./options.js";
import { RedisKeyPacer } from "./redis-key-pacer.js";
import { ScriptRunner } from "./script-runner.js";
import { SharedKeyState } from "./shared-state.js";
import { StoreUnavailableError } from "./store-unavailable-error.js";
import { WakeSubscriber } from "./wake-subscriber.js";

/** A `PacerStore` whose keys' state lives in Redis, shared by every process that uses it. */
export interface RedisStore extends PacerStore {
  /** Pacers this process holds now (keys idle past their window and the grace are forgotten). */
  readonly size: number;
  /**
   * Rejects every waiting `acquire` of this store with `StoreUnavailableError`, and closes the
   * pub/sub connection. Permits already granted may still be released. Leaves `client` open.
   * @example
   * ```ts
   * await client.close();
   * await store.close();
   * await redis.quit(); // the store never closes the client it was given
   * ```
   */
  close(): Promise<void>;
}

interface Entry {
  pacer: RedisKeyPacer;
  channel: string;
  onWake: (at: number) => void;
  listening: boolean;
}

/** Forget idle pacers at most this often, on a later `pacerFor` (no timer keeps the process alive). */
const SWEEP_EVERY_MS = 60_000;

/**
 * A store that paces each key across processes and machines: the key's state (rolling logs, server
 * budget, gate, probe) lives in Redis, and each process runs the in-process pacer's rules on it and
 * writes it back only if no other process wrote in between (docs/distributed.md). Every process
 * that shares a key passes a store on the same Redis.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { redisStore } from "pacekeeper/redis";
 *
 * const store = redisStore({ client: new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379") });
 * const client = createClient({ baseUrl, apiKey, dialect: campone(), store });
 * ```
 * @throws TypeError or RangeError at once when an option is invalid, naming the option.
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  const resolved = resolveRedisStoreOptions(options);
  const { client } = resolved;
  const warn = (warning: RedisStoreWarning) => {
    try {
      resolved.onWarning?.(warning);
    } catch {
      // a warning callback must not break pacing
    }
  };
  const runner = new ScriptRunner(client, resolved.commandTimeoutMs);
  const subscriber = new WakeSubscriber(client, (error) => warn({ type: "subscriber-error", error }));
  /** The pacers of this process, each listening on its key's channel while it is here. */
  const pacers = new Map<string, Entry>();
  let lastSweep = Number.NEGATIVE_INFINITY;
  let closed = false;

  const listen = (id: string, entry: Entry) => {
    if (entry.listening) return;
    entry.listening = true;
    if (!pacers.has(id)) pacers.set(id, entry);
    subscriber.add(entry.channel, entry.onWake);
  };
  const sweep = (now: number) => {
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    for (const [id, entry] of pacers) {
      if (!entry.pacer.isIdle(now)) continue;
      pacers.delete(id);
      entry.listening = false;
      subscriber.remove(entry.channel, entry.onWake);
    }
  };

  return {
    get size() {
      return pacers.size;
    },
    pacerFor(id: string, config: KeyPacerConfig) {
      if (closed) throw new StoreUnavailableError("The Redis store was closed");
      sweep(config.clock.now());
      const known = pacers.get(id);
      if (known) return known.pacer;
      const names = keyNames(resolved.prefix, id);
      const entry = { channel: names.channel, listening: false } as Entry;
      entry.pacer = new RedisKeyPacer({
        id,
        state: new SharedKeyState(names, runner),
        config,
        onUnavailable: resolved.onUnavailable,
        warn,
        redisReady: () => client.status === "ready",
        // A client keeps its pacer for its lifetime: one swept while idle comes back when used.
        touch: () => {
          if (!closed) listen(id, entry);
        },
        pollMs: resolved.pollMs,
        retryRedisAfterMs: resolved.retryRedisAfterMs,
        graceMs: resolved.reservationGraceMs,
        time: resolved.time,
      });
      entry.onWake = (at) => entry.pacer.wake(at);
      listen(id, entry);
      return entry.pacer;
    },
    async close() {
      if (closed) return;
      closed = true;
      const reason = new StoreUnavailableError("The Redis store was closed");
      for (const { pacer } of pacers.values()) pacer.close(reason);
      pacers.clear();
      subscriber.close();
    },
  };
}
