import { createHash } from "node:crypto";
import type { Limit } from "../pacer/types.js";

/** The Redis names of one key's state. */
export interface KeyNames {
  /** Hash: sequence counter, gate, server budget, learned limits, probe, server-time floor. */
  meta: string;
  /** Sorted set of reservations in flight: member `seq:grantedAt`, score `seq`. */
  inflight: string;
  /** One sorted set per limit (by window length): member `seq`, score the response's arrival time. */
  logs: string[];
  /** Pub/sub channel on which releases announce when the key may send again. */
  channel: string;
}

/**
 * Names under `prefix` that never contain the pacer's id, let alone an API key: the id (which
 * already holds only the key's fingerprint) is hashed again. The hash sits in a `{…}` hash tag,
 * so every name of one key lands in the same Redis Cluster slot, as a script touching them needs.
 */
export function keyNames(prefix: string, id: string, limits: readonly Limit[]): KeyNames {
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 32);
  const base = `${prefix}{${hash}}:`;
  return {
    meta: `${base}m`,
    inflight: `${base}f`,
    logs: limits.map((l) => `${base}w:${l.windowMs}`),
    channel: `${base}wake`,
  };
}
