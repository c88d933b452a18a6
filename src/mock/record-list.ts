/** Records created through the API a mock keeps, at most: the newest, so its memory stays bounded. */
export const CREATED_CAPACITY = 10_000;

/**
 * One collection of a mock: its fixtures, then the records created through the API, numbered on
 * from the fixtures (sequence n is the n-th record, from 1). Only the newest `capacity` created
 * records are kept; an older one is gone (its id answers 404). Finding a record by its number and
 * reading a page cost what they return, not the collection's size.
 */
export class RecordList<T> {
  #created: T[] = [];
  /** Created records forgotten for room. */
  #dropped = 0;

  constructor(
    private readonly fixtures: readonly T[],
    private readonly capacity = CREATED_CAPACITY,
  ) {}

  /** Records listed now: the fixtures and the created records kept. */
  get length(): number {
    return this.fixtures.length + this.#created.length;
  }

  /** The sequence number the next created record gets. */
  get nextSequence(): number {
    return this.fixtures.length + this.#dropped + this.#created.length + 1;
  }

  add(record: T): void {
    this.#created.push(record);
    // Dropped in batches, so that `add` stays O(1) amortized.
    if (this.#created.length >= this.capacity * 2) {
      this.#dropped += this.#created.length - this.capacity;
      this.#created = this.#created.slice(-this.capacity);
    }
  }

  /** The record numbered `sequence`, or undefined (never created, or forgotten). */
  bySequence(sequence: number): T | undefined {
    const index = this.indexOfSequence(sequence);
    return index === -1 ? undefined : this.at(index);
  }

  /** Where the record numbered `sequence` stands in the list, or -1. */
  indexOfSequence(sequence: number): number {
    if (!Number.isInteger(sequence) || sequence < 1) return -1;
    if (sequence <= this.fixtures.length) return sequence - 1;
    const created = sequence - this.fixtures.length - 1 - this.#dropped;
    if (created < 0 || created >= this.#created.length || created >= this.capacity * 2) return -1;
    return this.fixtures.length + created;
  }

  at(index: number): T | undefined {
    return index < this.fixtures.length ? this.fixtures[index] : this.#created[index - this.fixtures.length];
  }

  /** Records `start` to `end` (exclusive) of the list, copied. */
  slice(start: number, end: number): T[] {
    const split = this.fixtures.length;
    const from = this.fixtures.slice(Math.min(start, split), Math.min(end, split));
    const created = this.#created.slice(Math.max(0, start - split), Math.max(0, end - split));
    return from.length === 0 ? created : created.length === 0 ? from : [...from, ...created];
  }

  /** The records `keep` keeps, in order. */
  filter(keep: (record: T) => boolean): T[] {
    return [...this.fixtures.filter(keep), ...this.#created.filter(keep)];
  }

  clear(): void {
    this.#created = [];
    this.#dropped = 0;
  }
}
