import { type Clock, realClock } from "../clock/clock.js";
import type { Dialect } from "../dialects/dialect.js";
import { ietf } from "../dialects/ietf.js";
import type { Hooks } from "../events/hooks.js";
import {
  fn,
  knownKeys,
  nonEmptyString,
  nonNegativeNumber,
  plainObject,
  positiveNumber,
} from "../internal/validate.js";
import { VERSION } from "../internal/version.js";
import { defaultStore, type PacerStore } from "../pacer/store.js";
import { type Auth, type ResolvedAuth, resolveAuth } from "./auth.js";
import { customTransport, defaultTransport, type FetchLike, type Transport } from "./transport.js";

export interface RetryOptions {
  /**
   * Retries of transient failures — 408, 500, 502, 503, 504, a connection failure, an attempt
   * timeout — for idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE) or requests with an
   * `Idempotency-Key` header. Each waits a full-jitter exponential backoff.
   * @default 2
   */
  retries?: number;
  /**
   * 429s a call waits out before it gives up. A 429 is always retryable: the server did not
   * process the request; the key's gate holds the retry until `Retry-After` has passed.
   * @default 5
   */
  rateLimitRetries?: number;
  /**
   * Statuses retried as transient failures.
   * @default [408, 500, 502, 503, 504]
   */
  statuses?: number[];
}

export interface ClientOptions {
  /** The API's base URL (`http:` or `https:`); relative paths resolve against it. Required. */
  baseUrl: string | URL;
  /**
   * The API key, sent as `auth` says (`Authorization: Bearer <key>` by default). It never appears
   * in errors, hooks or logs. Required, but with `auth: { fromRequest }`. A request may name another
   * (`apiKey` in its options): each key is paced as a key of its own.
   */
  apiKey?: string;
  /**
   * How a request carries the key: `"bearer"`, a header of the API's (`{ header: "x-api-key" }`),
   * a query parameter (`{ query: "api_key" }`), a signature (`{ sign }`), or the credential each
   * request already carries (`{ fromRequest: "authorization" }`, for an SDK whose `fetch` the client is).
   * @default "bearer"
   */
  auth?: Auth;
  /**
   * Other origins of the same API the key may be sent to (GitHub's `https://uploads.github.com`),
   * besides the base URL's. Any other origin is refused.
   * @default []
   */
  origins?: (string | URL)[];
  /**
   * The API's rate-limit dialect: `campone()`, `boothzen()`, or `ietf()` for any API with RateLimit headers.
   * @default ietf()
   */
  dialect?: Dialect;
  /** Retry policy overrides. */
  retry?: RetryOptions;
  /** Pacing hooks for logging and progress (also published on `diagnostics_channel`). */
  hooks?: Hooks;
  /**
   * The transport: any function with the signature of `fetch`.
   * @default `globalThis.fetch` at call time (so msw intercepts it) with a keep-alive undici `Agent`
   */
  fetch?: FetchLike;
  /**
   * The clock every wait reads.
   * @default the real clock
   */
  clock?: Clock;
  /**
   * Time limit of one attempt, from being sent to the response headers, in milliseconds. Long by
   * default, as openai-node's is: a slow but healthy answer (a language model's, minutes long) is
   * not cut off. Set it lower for an API known to answer quickly.
   * @default 600_000 (ten minutes)
   */
  timeoutMs?: number;
  /**
   * Time limit of a whole call across waits and retries, in milliseconds. When the key cannot
   * send before it, the call fails at once with a `RateLimitError` carrying `retryAfterMs`.
   * @default undefined (no limit beyond the retry counts)
   */
  totalTimeoutMs?: number;
  /** Headers sent with every request (the client sets `Authorization` itself). */
  headers?: Record<string, string>;
  /**
   * The `User-Agent` header.
   * @default `pacekeeper/<version>`
   */
  userAgent?: string;
  /**
   * Where the key's pacer lives.
   * @default one in-memory store per process, so every client of a key (on the same clock) shares its pacer
   */
  store?: PacerStore;
}

/** The options after validation, with every default filled in. */
export interface ResolvedOptions {
  baseUrl: URL;
  /** Undefined with `auth: { fromRequest }`. */
  apiKey: string | undefined;
  auth: ResolvedAuth;
  /** The origins requests may go to: the base URL's, and `origins`. */
  origins: ReadonlySet<string>;
  /** What errors and events must never show before a request names its key: `[apiKey]`. */
  secrets: readonly string[];
  dialect: Dialect;
  retries: number;
  rateLimitRetries: number;
  retryStatuses: ReadonlySet<number>;
  hooks: Hooks | undefined;
  transport: Transport;
  clock: Clock;
  timeoutMs: number;
  totalTimeoutMs: number | undefined;
  /**
   * What every request sends but its credential: the `headers` option and `User-Agent`, names in
   * lower case. Frozen.
   */
  headers: Readonly<Record<string, string>>;
  store: PacerStore;
  /**
   * The options these were derived from: a client's for a derived client (`extend`) or a call with
   * options of its own. `close()` ends the calls of a client and of the clients derived from it.
   */
  derivedFrom: ResolvedOptions | undefined;
}

/** The retry policy, resolved: what `retry` says, over the client's or the defaults. */
export interface RetryPolicy {
  retries: number;
  rateLimitRetries: number;
  retryStatuses: ReadonlySet<number>;
}

const DEFAULT_RETRY: RetryPolicy = {
  retries: 2,
  rateLimitRetries: 5,
  retryStatuses: new Set([408, 500, 502, 503, 504]),
};

/** The attempt timeout unless told otherwise: ten minutes, openai-node's. */
export const DEFAULT_TIMEOUT_MS = 600_000;

/** `createClient`'s options: any other is a typo, refused. */
export const CLIENT_OPTION_NAMES = [
  "baseUrl",
  "apiKey",
  "auth",
  "origins",
  "dialect",
  "retry",
  "hooks",
  "fetch",
  "clock",
  "timeoutMs",
  "totalTimeoutMs",
  "headers",
  "userAgent",
  "store",
] as const;

/** Validates the options at construction, with messages that name the option. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  plainObject("options", options);
  knownKeys("createClient() options", options, CLIENT_OPTION_NAMES);
  const retry = resolveRetry(options.retry, DEFAULT_RETRY);
  const baseUrl = baseUrlOf(options.baseUrl);
  const auth = resolveAuth(options.auth);
  let apiKey: string | undefined;
  if (auth.kind === "from-request") {
    if (options.apiKey !== undefined) {
      throw new TypeError("Expected no `apiKey` with `auth: { fromRequest }`: each request carries its own");
    }
  } else {
    apiKey = apiKeyOf("apiKey", options.apiKey);
  }
  const clock = options.clock === undefined ? realClock : clockOf(options.clock);
  const timeoutMs = positiveNumber("timeoutMs", options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return {
    baseUrl,
    apiKey,
    auth,
    origins: originsOf(baseUrl, options.origins),
    secrets: Object.freeze(apiKey === undefined ? [] : [apiKey]),
    dialect: options.dialect === undefined ? ietf() : dialectOf(options.dialect),
    retries: retry.retries,
    rateLimitRetries: retry.rateLimitRetries,
    retryStatuses: retry.retryStatuses,
    hooks: options.hooks === undefined ? undefined : hooksOf(options.hooks),
    transport: transportOf(options.fetch, clock, timeoutMs),
    clock,
    timeoutMs,
    totalTimeoutMs:
      options.totalTimeoutMs === undefined
        ? undefined
        : positiveNumber("totalTimeoutMs", options.totalTimeoutMs),
    headers: Object.freeze({
      "user-agent":
        options.userAgent === undefined
          ? `pacekeeper/${VERSION}`
          : headerValue("userAgent", options.userAgent),
      ...headersOf(options.headers, auth),
    }),
    store: options.store === undefined ? defaultStore : storeOf(options.store),
    derivedFrom: undefined,
  };
}

/**
 * A `retry` option (the client's, a derived client's or a call's) over the policy it refines:
 * what it leaves out is `base`'s.
 */
export function resolveRetry(value: unknown, base: RetryPolicy): RetryPolicy {
  if (value === undefined) return base;
  const retry = plainObject("retry", value);
  knownKeys("retry options", retry, ["retries", "rateLimitRetries", "statuses"]);
  let retryStatuses = base.retryStatuses;
  if (retry.statuses !== undefined) {
    const statuses = retry.statuses;
    if (
      !Array.isArray(statuses) ||
      statuses.some((s) => !Number.isInteger(s) || (s as number) < 100 || (s as number) > 599)
    ) {
      throw new TypeError(
        `Expected \`retry.statuses\` to be an array of HTTP statuses, got ${String(statuses)}`,
      );
    }
    if (statuses.includes(429)) {
      throw new RangeError(
        "`retry.statuses` must not include 429: 429s are paced by `retry.rateLimitRetries`",
      );
    }
    retryStatuses = new Set(statuses as number[]);
  }
  return {
    retries: retry.retries === undefined ? base.retries : countOf("retry.retries", retry.retries),
    rateLimitRetries:
      retry.rateLimitRetries === undefined
        ? base.rateLimitRetries
        : countOf("retry.rateLimitRetries", retry.rateLimitRetries),
    retryStatuses,
  };
}

/**
 * The caller's fetch, or the default transport. An agent's timer runs on real time, so only on
 * the real clock may the default transport's agent enforce the attempt timeout.
 */
function transportOf(fetch: FetchLike | undefined, clock: Clock, timeoutMs: number): Transport {
  if (fetch !== undefined) return customTransport(fn("fetch", fetch));
  return defaultTransport(clock === realClock ? timeoutMs : undefined);
}

function baseUrlOf(value: unknown): URL {
  if (!(value instanceof URL)) nonEmptyString("baseUrl", value);
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError(`Expected \`baseUrl\` to be an absolute URL, got ${JSON.stringify(String(value))}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Expected \`baseUrl\` to use http: or https:, got ${JSON.stringify(url.protocol)}`);
  }
  if (url.username || url.password) {
    throw new TypeError("Expected `baseUrl` without credentials: pass the key as `apiKey`");
  }
  // Every request's URL is resolved below the base: a query on it would be dropped without a word.
  if (url.search !== "") {
    throw new TypeError(
      `Expected \`baseUrl\` without a query, got ${JSON.stringify(url.search)}: pass it per request (\`query\`) or as a header`,
    );
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  url.hash = "";
  return url;
}

/** An API key as a header can carry it; `name` is the option's, for the message. */
export function apiKeyOf(name: string, value: unknown): string {
  nonEmptyString(name, value);
  // A control character would split the header (and is never part of a real key).
  if (hasControlCharacter(value as string) || (value as string).trim() !== value) {
    throw new TypeError(`Expected \`${name}\` to hold no whitespace at its ends and no control characters`);
  }
  if (!isByteString(value as string)) {
    throw new TypeError(`Expected \`${name}\` to be a valid header value: characters up to U+00FF only`);
  }
  return value as string;
}

/** The base URL's origin and those of `origins`, each an http(s) origin and nothing more. */
function originsOf(baseUrl: URL, value: unknown): ReadonlySet<string> {
  const origins = new Set([baseUrl.origin]);
  if (value === undefined) return origins;
  if (!Array.isArray(value)) throw new TypeError("Expected `origins` to be an array of URLs");
  for (const [i, entry] of value.entries()) {
    let url: URL;
    try {
      url = new URL(String(entry));
    } catch {
      throw new TypeError(
        `Expected \`origins[${i}]\` to be an absolute URL, got ${JSON.stringify(String(entry))}`,
      );
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) {
      throw new TypeError(
        `Expected \`origins[${i}]\` to be an http: or https: origin, got ${JSON.stringify(url.href)}`,
      );
    }
    origins.add(url.origin);
  }
  return origins;
}

export function headerValue(name: string, value: unknown): string {
  nonEmptyString(name, value);
  if (hasControlCharacter(value as string)) {
    throw new TypeError(`Expected \`${name}\` to hold no line breaks or control characters`);
  }
  if (!isByteString(value as string)) {
    throw new TypeError(`Expected \`${name}\` to be a valid header value: characters up to U+00FF only`);
  }
  return value as string;
}

/** What a header value may hold (WebIDL's ByteString): fetch refuses anything above U+00FF. */
function isByteString(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

/** RFC 9110's `token`: the characters a header name may hold. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The `headers` option, names in lower case (a `User-Agent` among them replaces the default). */
export function headersOf(value: unknown, auth: ResolvedAuth): Record<string, string> {
  if (value === undefined) return {};
  // No prototype: a header named `__proto__` is a header like any other.
  const headers: Record<string, string> = Object.create(null);
  for (const [name, v] of Object.entries(plainObject("headers", value))) {
    headerValue(`headers[${JSON.stringify(name)}]`, v);
    if (!HEADER_NAME.test(name)) {
      throw new TypeError(`Expected \`headers\` names to be HTTP tokens, got ${JSON.stringify(name)}`);
    }
    const credentialHeader = auth.kind === "header" || auth.kind === "from-request" ? auth.name : undefined;
    if (name.toLowerCase() === credentialHeader) {
      throw new TypeError(
        `Expected \`headers\` without \`${name}\`: it carries the API key (\`apiKey\` and \`auth\`)`,
      );
    }
    headers[name.toLowerCase()] = v as string;
  }
  return headers;
}

function countOf(name: string, value: unknown): number {
  const n = nonNegativeNumber(name, value);
  if (!Number.isInteger(n))
    throw new RangeError(`Expected \`${name}\` to be an integer from 0 and up, got \`${n}\``);
  return n;
}

function dialectOf(value: unknown): Dialect {
  const d = plainObject("dialect", value);
  if (typeof d.name !== "string" || !Array.isArray(d.limits) || typeof d.counts !== "function") {
    throw new TypeError("Expected `dialect` to be made by campone(), boothzen() or ietf()");
  }
  if (d.readRateLimit !== undefined) fn("dialect.readRateLimit", d.readRateLimit);
  return value as Dialect;
}

function clockOf(value: unknown): Clock {
  const c = plainObject("clock", value);
  fn("clock.now", c.now);
  fn("clock.sleep", c.sleep);
  return value as Clock;
}

export function hooksOf(value: unknown): Hooks {
  const hooks = plainObject("hooks", value);
  knownKeys("hooks", hooks, ["request", "wait", "response", "rateLimited", "retry", "giveUp", "event"]);
  for (const [name, hook] of Object.entries(hooks)) if (hook !== undefined) fn(`hooks.${name}`, hook);
  return value as Hooks;
}

function storeOf(value: unknown): PacerStore {
  const s = plainObject("store", value);
  fn("store.pacerFor", s.pacerFor);
  return value as PacerStore;
}

/** A control character (CR and LF among them) would split or forge a header line. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
