import type { KeyPacer } from "../pacer/types.js";
import type { AttemptTimeouts } from "./attempt-timeouts.js";
import type { ResolvedOptions } from "./options.js";

/** Something a client's `close()` ends: a call in progress. */
export interface Abortable {
  abort(reason: unknown): void;
}

/**
 * What every call of one client shares: its options, the key's pacer, the attempts' timeouts, and
 * the calls in progress that `close()` aborts. Made once by `createClient`.
 */
export interface ClientRuntime {
  readonly options: ResolvedOptions;
  readonly pacer: KeyPacer;
  /** The key's fingerprint, the only name of the key that events carry. */
  readonly key: string;
  readonly attemptTimeouts: AttemptTimeouts;
  /** Calls in progress, which `close()` aborts. */
  readonly calls: Set<Abortable>;
  /** Set by `close()`: every later call rejects with its reason. */
  closed: { reason: unknown } | undefined;
}
