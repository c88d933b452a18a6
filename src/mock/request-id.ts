/**
 * BoothZen's `X-Request-Id`: `req_` and 26 Crockford base32 characters, as in the document's
 * `req_01HX9KAVD3JZ7P4M2N5Q6R8T9V` — laid out like a ULID (10 characters of milliseconds, 16 of
 * sequence), but the sequence is a counter, not randomness, so a run on virtual time is repeatable.
 */

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** A ULID's time field holds 48 bits. */
const MAX_TIME = 2 ** 48 - 1;

export class RequestIdSequence {
  #sequence = 0;

  /** The next id, stamped with `now`. Unique within the sequence. */
  next(now: number): string {
    this.#sequence += 1;
    const time = Number.isFinite(now) ? Math.min(MAX_TIME, Math.max(0, Math.floor(now))) : 0;
    return `req_${encode(time, 10)}${encode(this.#sequence, 16)}`;
  }

  reset(): void {
    this.#sequence = 0;
  }
}

/** `value` (a non-negative safe integer) in `length` Crockford base32 digits, most significant first. */
function encode(value: number, length: number): string {
  let digits = "";
  let rest = value;
  for (let i = 0; i < length; i++) {
    digits = CROCKFORD[rest % 32] + digits;
    rest = Math.floor(rest / 32);
  }
  return digits;
}
