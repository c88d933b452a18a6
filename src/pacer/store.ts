import type { Clock } from "../clock/clock.js";
import { LocalKeyPacer } from "./local-key-pacer.js";
import type { KeyPacer, KeyPacerConfig } from "./types.js";

/**
 * Where the pacers of keys live. The default keeps them in this process; a shared store (Redis,
 * `pacekeeper/redis`) hands out pacers whose state every process of a fleet sees.
 *
 * `id` names the key without containing it: the dialect, the base URL and the key's fingerprint.
 */
export interface PacerStore {
  /**
   * The pacer of `id`, made from `config` the first time; later callers share it.
   * @example
   * const store = memoryStore();
   * const pacer = store.pacerFor("boothzen|https://api.boothzen.com|key_1a2b3c4d5e6f", config);
   */
  pacerFor(id: string, config: KeyPacerConfig): KeyPacer;
}

/** Forget keys idle for longer than their longest window, checked at most this often. */
const SWEEP_EVERY_MS = 60_000;

/** The pacers made on one clock, and when they were last swept (on that clock). */
interface OnClock {
  pacers: Map<string, KeyPacer>;
  lastSweep: number;
}

/**
 * The in-process store: every client of the same key and clock in this process gets the same
 * pacer, so two clients never spend one budget twice. Keys idle longer than their longest window
 * are forgotten on a later call (no timer keeps the process alive for it).
 *
 * Clients on different clocks get different pacers: a pacer reads the clock it was made with, and
 * times on two clocks cannot be compared. A test's client on a virtual clock of its own would
 * otherwise wait on the clock of an earlier test that used the same key, which no one moves any more.
 * "The same clock" is the same object: the default real clock, or one clock passed to every client.
 *
 * A clock's pacers are held as long as the clock is (a `WeakMap`): those of a test's virtual clock
 * go with it, though no caller on that clock will ever sweep them.
 * @example
 * // Two clients of one key in one process share a pacer through one store (the default does too).
 * const store = memoryStore();
 * const a = createClient({ baseUrl, apiKey, store });
 * const b = createClient({ baseUrl, apiKey, store });
 */
export function memoryStore(): PacerStore & { readonly size: number } {
  const byClock = new WeakMap<Clock, OnClock>();
  /** Every clock's pacers, for `size`: a `WeakMap` cannot be counted. A collected clock's leave it. */
  const all = new Set<WeakRef<OnClock>>();
  const forget = new FinalizationRegistry<WeakRef<OnClock>>((ref) => all.delete(ref));
  return {
    /** The pacers held, on every clock still alive. */
    get size() {
      let size = 0;
      for (const ref of all) size += ref.deref()?.pacers.size ?? 0;
      return size;
    },
    pacerFor(id, config) {
      let onClock = byClock.get(config.clock);
      if (!onClock) {
        onClock = { pacers: new Map(), lastSweep: Number.NEGATIVE_INFINITY };
        byClock.set(config.clock, onClock);
        const ref = new WeakRef(onClock);
        all.add(ref);
        forget.register(onClock, ref);
      }
      const { pacers } = onClock;
      const now = config.clock.now();
      if (now - onClock.lastSweep >= SWEEP_EVERY_MS) {
        onClock.lastSweep = now;
        for (const [key, pacer] of pacers) if (pacer.isIdle(now)) pacers.delete(key);
      }
      let pacer = pacers.get(id);
      if (!pacer) {
        pacer = new LocalKeyPacer(config);
        pacers.set(id, pacer);
      }
      return pacer;
    },
  };
}

/**
 * The store every client uses unless told otherwise: one per process, kept under a `Symbol.for` key so
 * that the ES module and CommonJS builds, or two copies of the package, share it too (two stores
 * would spend one key's budget twice).
 */
const DEFAULT_STORE = Symbol.for("pacekeeper.defaultStore");
const shared = globalThis as { [DEFAULT_STORE]?: PacerStore };
export const defaultStore: PacerStore = shared[DEFAULT_STORE] ?? memoryStore();
shared[DEFAULT_STORE] = defaultStore;
