/**
 * Fault mode: which fault, if any, the next request gets. Faults are drawn in the order requests
 * reach the mock, from a seeded generator, so the n-th request gets the same fault on every run with
 * the same seed; a script fixes the faults of the first requests exactly. What each fault does to an
 * exchange is in `fault-responses.ts` (the answer) and `fault-delivery.ts` (the wire).
 */
import { describe } from "./describe.js";

/**
 * Every fault the mock can inject, in the order probabilities are laid out for a draw.
 *
 * @example
 * ```ts
 * import { MOCK_FAULTS, startMockServer } from "pacekeeper/mock";
 *
 * // Every fault at once, 1% each.
 * const probabilities = Object.fromEntries(MOCK_FAULTS.map((fault) => [fault, 0.01]));
 * const server = await startMockServer({ dialect: "boothzen", port: 0, faults: { seed: 7, probabilities } });
 * ```
 */
export const MOCK_FAULTS = [
  // The connection: cut before the request is read (not processed), or after it was processed.
  "reset-before",
  "reset-after",
  // A status in place of the API's answer (not processed); `-retry-after` adds `Retry-After: 1`.
  "500",
  "502",
  "503",
  "500-retry-after",
  "502-retry-after",
  "503-retry-after",
  "503-retry-after-0",
  "503-retry-after-86400",
  "429-retry-after-0",
  "429-retry-after-86400",
  // The API's own answer, delivered badly.
  "slow-headers",
  "slow-body",
  "truncated-body",
  // The API's own answer, its rate-limit headers (`RateLimit-*`, `Retry-After`) replaced.
  "header-negative",
  "header-nan",
  "header-huge",
  "header-past-date",
  "header-future-date",
  "header-duplicated",
  "header-comma-list",
  // An error body a client cannot parse as the dialect's (not processed).
  "non-json-error",
  "oversized-error",
] as const;

/** The name of one fault (see "Fault mode" in https://github.com/pacekeeper/pacekeeper/blob/main/docs/mock-servers.md). */
export type MockFault = (typeof MOCK_FAULTS)[number];

/** Options of the fault mode: per-request probabilities, a script, or both. */
export interface MockFaultOptions {
  /**
   * Seed of the draw: the same seed gives the same fault to the n-th request on every run.
   * @default 1
   */
  seed?: number;
  /**
   * Probability of each fault for every request (after the script), each from 0 to 1, their sum at
   * most 1; the rest of the time, no fault. `{ "503": 0.01, "reset-before": 0.01 }`.
   * @default {} (no fault once the script is over)
   */
  probabilities?: Partial<Record<MockFault, number>>;
  /**
   * The faults of the first requests, in the order they reach the mock (`null`: no fault for that
   * one); `probabilities` take over after its end.
   * @default []
   */
  script?: readonly (MockFault | null)[];
  /**
   * How long `slow-headers` holds the headers back, and the gap between the chunks of `slow-body`,
   * in milliseconds (real time: the mock's `clock` only tells time, it never waits).
   * @default 50
   */
  delayMs?: number;
}

/** Fault options after validation. */
export interface ResolvedFaults {
  seed: number;
  /** [fault, probability] in `MOCK_FAULTS` order, zero probabilities left out. */
  probabilities: readonly (readonly [MockFault, number])[];
  script: readonly (MockFault | null)[];
  delayMs: number;
}

const FAULT_OPTIONS = ["seed", "probabilities", "script", "delayMs"];

/** Whether `name` is a fault's name. */
export function isMockFault(name: unknown): name is MockFault {
  return typeof name === "string" && (MOCK_FAULTS as readonly string[]).includes(name);
}

/**
 * Validates the `faults` option.
 * @throws TypeError for a wrong type, an unknown option or fault; RangeError for a number out of range.
 */
export function resolveFaults(value: unknown): ResolvedFaults {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected \`faults\` to be an object, got ${describe(value)}`);
  }
  const options = value as Record<string, unknown>;
  for (const name of Object.keys(options)) {
    if (!FAULT_OPTIONS.includes(name)) throw new TypeError(`Unknown option \`faults.${name}\``);
  }
  const seed = options.seed ?? 1;
  if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
    throw new TypeError(`Expected \`faults.seed\` to be an integer, got ${describe(seed)}`);
  }
  const delayMs = options.delayMs ?? 50;
  if (typeof delayMs !== "number" || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > 2_147_483_647) {
    const Failure = typeof delayMs === "number" ? RangeError : TypeError;
    throw new Failure(
      `Expected \`faults.delayMs\` to be a number from 0 to 2147483647, got ${describe(delayMs)}`,
    );
  }
  return {
    seed,
    probabilities: resolveProbabilities(options.probabilities),
    script: resolveScript(options.script),
    delayMs,
  };
}

function resolveProbabilities(value: unknown): ResolvedFaults["probabilities"] {
  if (value === undefined) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `Expected \`faults.probabilities\` to be an object of fault → probability, got ${describe(value)}`,
    );
  }
  const given = value as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!isMockFault(name))
      throw new TypeError(`Unknown fault ${JSON.stringify(name)} in \`faults.probabilities\``);
  }
  let sum = 0;
  const out: [MockFault, number][] = [];
  for (const fault of MOCK_FAULTS) {
    const p = given[fault];
    if (p === undefined) continue;
    if (typeof p !== "number" || !Number.isFinite(p) || p < 0 || p > 1) {
      const Failure = typeof p === "number" ? RangeError : TypeError;
      throw new Failure(
        `Expected \`faults.probabilities[${JSON.stringify(fault)}]\` to be a number from 0 to 1, got ${describe(p)}`,
      );
    }
    sum += p;
    if (p > 0) out.push([fault, p]);
  }
  // A little slack for sums of decimal fractions (0.1 + 0.2 + 0.7).
  if (sum > 1 + 1e-9) {
    throw new RangeError(
      `Expected the probabilities of \`faults.probabilities\` to add up to at most 1, got ${sum}`,
    );
  }
  return out;
}

function resolveScript(value: unknown): ResolvedFaults["script"] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(
      `Expected \`faults.script\` to be an array of fault names or null, got ${describe(value)}`,
    );
  }
  return value.map((entry, i) => {
    if (entry === null || isMockFault(entry)) return entry;
    throw new TypeError(`Unknown fault ${describe(entry)} at \`faults.script[${i}]\``);
  });
}

/** Hands out the fault of each request in turn. */
export class FaultDraw {
  readonly #faults: ResolvedFaults;
  #random: () => number;
  #count = 0;

  constructor(faults: ResolvedFaults) {
    this.#faults = faults;
    this.#random = mulberry32(faults.seed);
  }

  /** The fault of the next request, or `undefined` for none. */
  next(): MockFault | undefined {
    const index = this.#count++;
    if (index < this.#faults.script.length) return this.#faults.script[index] ?? undefined;
    if (this.#faults.probabilities.length === 0) return undefined;
    const draw = this.#random();
    let upTo = 0;
    for (const [fault, p] of this.#faults.probabilities) {
      upTo += p;
      if (draw < upTo) return fault;
    }
    return undefined;
  }

  /** Starts the script and the generator over (the mock's `reset()`). */
  reset(): void {
    this.#count = 0;
    this.#random = mulberry32(this.#faults.seed);
  }
}

/** mulberry32: a small, fast 32-bit generator; plenty for spreading faults, and the same everywhere. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
