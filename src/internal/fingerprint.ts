import { createHash } from "node:crypto";

/**
 * A stable, non-reversible name for an API key: what hooks, logs and shared stores show
 * instead of the key. Twelve hex digits of SHA-256 tell keys apart without revealing them.
 *
 * @example
 * ```ts
 * import { keyFingerprint } from "pacekeeper/batch";
 *
 * keyFingerprint(process.env.CAMPONE_KEY!); // "key_3f9a1c0b7d2e": grep the logs for it
 * ```
 */
export function keyFingerprint(apiKey: string): string {
  return `key_${createHash("sha256").update(apiKey).digest("hex").slice(0, 12)}`;
}
