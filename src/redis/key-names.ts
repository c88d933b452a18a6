import { createHash } from "node:crypto";

/** The Redis names of one key's state. */
export interface KeyNames {
  /** Hash: the pacing engine's state (`s`), its version (`v`), and until when some process waits (`w`). */
  state: string;
  /** Pub/sub channel on which a release announces when the key may send again. */
  channel: string;
}

/**
 * Names under `prefix` that never contain the pacer's id, let alone an API key: the id (which
 * already holds only the key's fingerprint) is hashed again. The hash sits in a `{…}` hash tag, so a
 * key's names land in one Redis Cluster slot.
 */
export function keyNames(prefix: string, id: string): KeyNames {
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 32);
  const base = `${prefix}{${hash}}:`;
  return { state: `${base}s`, channel: `${base}wake` };
}
