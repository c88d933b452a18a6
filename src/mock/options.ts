/**
 * Validation of the mock's options: one defaults object per dialect, then precise messages that
 * name the option, thrown at start, never on a later request.
 */

import { AUDIT_CAPACITY } from "./audit.js";
import { isWellFormedToken } from "./bearer.js";
import { describe } from "./describe.js";
import { type ResolvedFaults, resolveFaults } from "./faults.js";
import type { CountingModel, MockApiOptions, MockClock, MockDialect, MockKeyOptions } from "./types.js";

/** The documented defaults of each dialect. */
export const DIALECT_DEFAULTS = {
  /** CampOne: "The default budget is 1000 requests per rolling hour per API key." */
  campone: { limit: 1000, windowMs: 3_600_000, counting: "rolling" },
  /**
   * BoothZen: "The default rate is 600 requests per minute per key (with a secondary burst limit of
   * 60 requests per second)." Fixed windows by default: "RateLimit-Reset: Seconds until the window resets."
   */
  boothzen: { limit: 600, windowMs: 60_000, counting: "fixed", burst: 60, burstWindowMs: 1_000 },
} as const;

export const DIALECTS: readonly MockDialect[] = ["campone", "boothzen"];
export const COUNTING_MODELS: readonly CountingModel[] = ["rolling", "fixed", "bucket"];

/** A key as the rules see it, every default filled in. */
export interface ResolvedKey {
  tenant: string;
  limit: number;
  /** BoothZen burst limit; 0 for CampOne, which has none. */
  burst: number;
  readOnly: boolean;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  dialect: MockDialect;
  limit: number;
  windowMs: number;
  /** 0 for CampOne. */
  burst: number;
  /** 0 for CampOne. */
  burstWindowMs: number;
  counting: CountingModel;
  /** Undefined: each key's fixed windows start at its first counted request. */
  windowOrigin: number | undefined;
  /** Undefined: every well-formed token is a key of tenant "default". */
  keys: ReadonlyMap<string, ResolvedKey> | undefined;
  clock: MockClock;
  /** Undefined: no fault mode. */
  faults: ResolvedFaults | undefined;
  /** Rows the audit log keeps, at most. */
  auditLimit: number;
}

/** Every option name, checked complete against the types by the compiler. */
const API_OPTIONS: Record<keyof MockApiOptions, true> = {
  dialect: true,
  limit: true,
  windowMs: true,
  burst: true,
  burstWindowMs: true,
  counting: true,
  windowOrigin: true,
  keys: true,
  clock: true,
  faults: true,
  auditLimit: true,
};
const KEY_OPTIONS: Record<keyof MockKeyOptions, true> = {
  tenant: true,
  limit: true,
  burst: true,
  readOnly: true,
};

/** The tenant of keys when the mock runs without `keys`, and of keys configured without one. */
export const DEFAULT_TENANT = "default";

/**
 * Validates `options` and fills in the dialect's defaults.
 * @param frontOptions option names a front adds (`port`, `baseUrl`) and validates itself.
 * @throws TypeError for a wrong type or an unknown option, RangeError for a number out of range.
 */
export function resolveMockOptions(options: unknown, frontOptions: readonly string[] = []): ResolvedOptions {
  if (!isPlainObject(options)) {
    throw new TypeError(`Expected the mock's options to be an object, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(API_OPTIONS, name) && !frontOptions.includes(name)) {
      throw new TypeError(`Unknown option \`${name}\``);
    }
  }
  const dialect = options.dialect;
  if (typeof dialect !== "string" || !(DIALECTS as readonly string[]).includes(dialect)) {
    throw new TypeError(`Expected \`dialect\` to be "campone" or "boothzen", got ${describe(dialect)}`);
  }
  const defaults = DIALECT_DEFAULTS[dialect as MockDialect];
  if (dialect === "campone") {
    for (const name of ["burst", "burstWindowMs"] as const) {
      if (options[name] !== undefined) {
        throw new TypeError(`\`${name}\` applies to dialect "boothzen" only; CampOne has no burst limit`);
      }
    }
  }
  const limit = integerOption("limit", options.limit, defaults.limit);
  const windowMs = integerOption("windowMs", options.windowMs, defaults.windowMs);
  const burst = "burst" in defaults ? integerOption("burst", options.burst, defaults.burst) : 0;
  const burstWindowMs =
    "burstWindowMs" in defaults
      ? integerOption("burstWindowMs", options.burstWindowMs, defaults.burstWindowMs)
      : 0;
  checkExact("limit", limit, "windowMs", windowMs);
  if (burst > 0) checkExact("burst", burst, "burstWindowMs", burstWindowMs);

  const counting = options.counting ?? defaults.counting;
  if (typeof counting !== "string" || !(COUNTING_MODELS as readonly string[]).includes(counting)) {
    throw new TypeError(
      `Expected \`counting\` to be "rolling", "fixed" or "bucket", got ${describe(counting)}`,
    );
  }

  const windowOrigin = options.windowOrigin;
  if (windowOrigin !== undefined) {
    if (typeof windowOrigin !== "number" || !Number.isFinite(windowOrigin)) {
      throw new TypeError(`Expected \`windowOrigin\` to be a finite number, got ${describe(windowOrigin)}`);
    }
    if (counting !== "fixed") {
      throw new TypeError('`windowOrigin` applies to `counting: "fixed"` only');
    }
  }

  const clock = options.clock ?? { now: () => Date.now() };
  if (!isObject(clock) || typeof clock.now !== "function") {
    throw new TypeError(`Expected \`clock\` to be an object with a \`now()\` method, got ${describe(clock)}`);
  }

  return {
    dialect: dialect as MockDialect,
    limit,
    windowMs,
    burst,
    burstWindowMs,
    counting: counting as CountingModel,
    windowOrigin,
    keys: resolveKeys(options.keys, dialect as MockDialect, { limit, windowMs, burst, burstWindowMs }),
    clock: clock as unknown as MockClock,
    faults: options.faults === undefined ? undefined : resolveFaults(options.faults),
    auditLimit: integerOption("auditLimit", options.auditLimit, AUDIT_CAPACITY),
  };
}

function resolveKeys(
  keys: unknown,
  dialect: MockDialect,
  defaults: { limit: number; windowMs: number; burst: number; burstWindowMs: number },
): ReadonlyMap<string, ResolvedKey> | undefined {
  if (keys === undefined) return undefined;
  if (!isPlainObject(keys)) {
    throw new TypeError(
      `Expected \`keys\` to be an object of key → { tenant, limit }, got ${describe(keys)}`,
    );
  }
  const resolved = new Map<string, ResolvedKey>();
  for (const [key, entry] of Object.entries(keys)) {
    const name = `keys[${JSON.stringify(key)}]`;
    if (!isWellFormedToken(key)) {
      throw new TypeError(
        `Expected every key of \`keys\` to be a bearer token (letters, digits, -._~+/ then optional =, at most 512 characters), got ${describe(key)}`,
      );
    }
    if (!isPlainObject(entry)) {
      throw new TypeError(
        `Expected \`${name}\` to be an object like { tenant, limit }, got ${describe(entry)}`,
      );
    }
    for (const option of Object.keys(entry)) {
      if (!Object.hasOwn(KEY_OPTIONS, option)) {
        throw new TypeError(`Unknown option \`${name}.${option}\``);
      }
    }
    const tenant = entry.tenant ?? DEFAULT_TENANT;
    if (typeof tenant !== "string" || tenant === "") {
      throw new TypeError(`Expected \`${name}.tenant\` to be a non-empty string, got ${describe(tenant)}`);
    }
    if (dialect === "campone" && entry.burst !== undefined) {
      throw new TypeError(`\`${name}.burst\` applies to dialect "boothzen" only; CampOne has no burst limit`);
    }
    const limit = integerOption(`${name}.limit`, entry.limit, defaults.limit);
    checkExact(`${name}.limit`, limit, "windowMs", defaults.windowMs);
    const burst = dialect === "boothzen" ? integerOption(`${name}.burst`, entry.burst, defaults.burst) : 0;
    if (burst > 0) checkExact(`${name}.burst`, burst, "burstWindowMs", defaults.burstWindowMs);
    const readOnly = entry.readOnly ?? false;
    if (typeof readOnly !== "boolean") {
      throw new TypeError(`Expected \`${name}.readOnly\` to be a boolean, got ${describe(readOnly)}`);
    }
    resolved.set(key, { tenant, limit, burst, readOnly });
  }
  return resolved;
}

/** An integer from 1 and up, or `fallback` when undefined. */
function integerOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    const Failure = typeof value === "number" ? RangeError : TypeError;
    throw new Failure(`Expected \`${name}\` to be an integer from 1 and up, got ${describe(value)}`);
  }
  return value;
}

/** The token bucket counts in units of 1/windowMs token; `limit × windowMs` must stay an exact integer. */
function checkExact(limitName: string, limit: number, windowName: string, windowMs: number): void {
  if (limit * windowMs > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(
      `Expected \`${limitName}\` × \`${windowName}\` to be at most ${Number.MAX_SAFE_INTEGER}, got ${limit * windowMs}`,
    );
  }
}

/** Validates a port for `startMockServer`. */
export function resolvePort(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 65_535) {
    const Failure = typeof value === "number" ? RangeError : TypeError;
    throw new Failure(`Expected \`port\` to be an integer from 0 to 65535, got ${describe(value)}`);
  }
  return value;
}

/** Validates a base URL for `createMockHandlers`: its origin, and its path without a trailing slash. */
export function resolveBaseUrl(value: unknown): { origin: string; basePath: string } {
  const failure = () =>
    new TypeError(
      `Expected \`baseUrl\` to be an absolute http(s) URL without query or hash, got ${describe(value)}`,
    );
  if (typeof value !== "string") throw failure();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw failure();
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search !== "" || url.hash !== "") {
    throw failure();
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, "") };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isObject(value) && !Array.isArray(value);
}
