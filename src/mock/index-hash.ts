/**
 * Deterministic fixtures: every field of every record is derived from the record's index by an
 * integer hash, never from randomness or the time, so two runs (and two machines) see the same data.
 */

/** A well-mixed 32-bit unsigned integer from `index` and a per-field `salt`. */
export function hash32(index: number, salt: number): number {
  let x = (Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** An integer from `min` to `max` inclusive, derived from `index` and `salt`. */
export function between(index: number, salt: number, min: number, max: number): number {
  return min + (hash32(index, salt) % (max - min + 1));
}

/** One item of `items`, derived from `index` and `salt`. */
export function pick<T>(items: readonly T[], index: number, salt: number): T {
  const item = items[hash32(index, salt) % items.length];
  if (item === undefined) throw new RangeError("pick() from an empty list");
  return item;
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** `2025-03-14` for a UTC time in milliseconds. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `2025-03-14T09:00:00Z` for a UTC time in milliseconds (no fraction when it is whole seconds). */
export function isoDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

export const FIRST_NAMES = [
  "Ada",
  "Bram",
  "Chiara",
  "Dev",
  "Elif",
  "Femi",
  "Greta",
  "Hugo",
  "Ines",
  "Jonas",
  "Kaia",
  "Luca",
  "Mina",
  "Nils",
  "Olga",
  "Pavel",
  "Quinn",
  "Rosa",
  "Sami",
  "Tove",
] as const;

export const LAST_NAMES = [
  "Andersen",
  "Baptiste",
  "Costa",
  "Dubois",
  "Eriksen",
  "Fischer",
  "Garcia",
  "Horvat",
  "Ivanova",
  "Jansen",
  "Kowalski",
  "Lindqvist",
  "Moreau",
  "Novak",
  "Okafor",
  "Petrov",
] as const;
