import { type KeyPacerConfig, LocalKeyPacer } from "./local-key-pacer.js";
import type { KeyPacer } from "./types.js";

/**
 * Where the pacers of keys live. The default keeps them in this process; a shared store (Redis,
 * `pacekeeper/redis`) hands out pacers whose state every process of a fleet sees.
 *
 * `id` names the key without containing it: the dialect, the base URL and the key's fingerprint.
 */
export interface PacerStore {
  /** The pacer of `id`, made from `config` the first time; later callers share it. */
  pacerFor(id: string, config: KeyPacerConfig): KeyPacer;
}

/** Forget keys idle for longer than their longest window, checked at most this often. */
const SWEEP_EVERY_MS = 60_000;

/**
 * The in-process store: every client of the same key in this process gets the same pacer, so
 * two clients never spend one budget twice. Keys idle longer than their longest window are
 * forgotten on a later call (no timer keeps the process alive for it).
 */
export function memoryStore(): PacerStore & { readonly size: number } {
  const pacers = new Map<string, KeyPacer>();
  let lastSweep = Number.NEGATIVE_INFINITY;
  return {
    get size() {
      return pacers.size;
    },
    pacerFor(id, config) {
      const now = config.clock.now();
      if (now - lastSweep >= SWEEP_EVERY_MS) {
        lastSweep = now;
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

/** The store every client uses unless told otherwise: one per process. */
export const defaultStore = memoryStore();
