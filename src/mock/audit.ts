/**
 * The audit log. CampOne: "Every authenticated call is recorded in a per-tenant audit log,
 * regardless of whether it succeeded or hit a 4xx" — tenant, key, method and path, status, latency,
 * timestamp, and "The log does not capture request or response bodies". A 401 is not recorded: it
 * "cannot be attributed to a specific key", so it has no tenant either.
 */
import type { AuditEntry, AuditFilter } from "./types.js";

/** A long-running mock keeps the newest rows only, so its memory stays bounded. */
export const AUDIT_CAPACITY = 100_000;

export class AuditLog {
  #entries: AuditEntry[] = [];

  constructor(readonly capacity: number = AUDIT_CAPACITY) {}

  add(entry: AuditEntry): void {
    this.#entries.push(entry);
    // Dropping in batches keeps `add` O(1) amortized.
    if (this.#entries.length >= this.capacity * 2) this.#entries = this.#entries.slice(-this.capacity);
  }

  /** Rows oldest first, copies, the newest `capacity` at most. */
  list(filter: AuditFilter = {}): AuditEntry[] {
    return this.#entries
      .slice(-this.capacity)
      .filter(
        (entry) =>
          (filter.tenant === undefined || entry.tenant === filter.tenant) &&
          (filter.key === undefined || entry.key === filter.key),
      )
      .map((entry) => ({ ...entry }));
  }

  clear(): void {
    this.#entries = [];
  }
}
