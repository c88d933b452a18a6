import type { KeyPacer } from "../pacer/types.js";
import type { CallSignal } from "./call-signal.js";
import type { ResolvedOptions } from "./options.js";

/** What every attempt of one call shares: the client's options, the key's pacer, the call's signal. */
export interface CallContext extends CallSignal {
  options: ResolvedOptions;
  pacer: KeyPacer;
  /** The key's fingerprint, the only name of the key that events carry. */
  key: string;
}
