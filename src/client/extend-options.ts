import { combineHooks } from "../events/combine-hooks.js";
import type { Hooks } from "../events/hooks.js";
import { knownKeys, plainObject, positiveNumber } from "../internal/validate.js";
import type { OptionChanges } from "./derive.js";
import {
  headersOf,
  headerValue,
  hooksOf,
  type ResolvedOptions,
  type RetryOptions,
  resolveRetry,
} from "./options.js";

/**
 * The options of `client.extend()`: other request defaults for the same key. Whatever is left out
 * is the parent client's.
 */
export interface ExtendOptions {
  /** Headers sent with every request, over the parent's: a name the parent sets is replaced. */
  headers?: Record<string, string>;
  /** The `User-Agent` header, in place of the parent's. */
  userAgent?: string;
  /** Pacing hooks, called after the parent's (which keep being called). */
  hooks?: Hooks;
  /** Time limit of one attempt, from being sent to the response headers, in milliseconds. */
  timeoutMs?: number;
  /** Time limit of a whole call across waits and retries, in milliseconds. */
  totalTimeoutMs?: number;
  /** The retry policy, over the parent's: what it leaves out is the parent's. */
  retry?: RetryOptions;
}

const EXTEND_OPTIONS = ["headers", "userAgent", "hooks", "timeoutMs", "totalTimeoutMs", "retry"] as const;

/** What makes the client the key's: a derived client keeps them, or it would be another client. */
const FIXED_OPTIONS = ["baseUrl", "apiKey", "auth", "origins", "dialect", "fetch", "clock", "store"];

/**
 * Validates `extend()`'s options against the parent's, with `createClient`'s messages, and gives
 * what they change. An option that makes the client the key's (`baseUrl`, `apiKey`, `dialect`…) is
 * refused by name.
 */
export function resolveExtendOptions(parent: ResolvedOptions, value: ExtendOptions): OptionChanges {
  const options = plainObject("options", value);
  for (const name of Object.keys(options)) {
    if (FIXED_OPTIONS.includes(name)) {
      throw new TypeError(
        `\`${name}\` cannot be changed by extend(): a derived client is the same key with other request defaults; make another client with createClient() for another \`${name}\``,
      );
    }
  }
  knownKeys("extend() options", options, EXTEND_OPTIONS);
  const changes: OptionChanges = {};
  if (options.headers !== undefined || options.userAgent !== undefined) {
    // Spread, as `createClient` builds them: a header named `__proto__` stays a header.
    changes.headers = Object.freeze({
      ...parent.headers,
      ...(options.userAgent === undefined
        ? {}
        : { "user-agent": headerValue("userAgent", options.userAgent) }),
      ...headersOf(options.headers, parent.auth),
    });
  }
  if (options.hooks !== undefined) changes.hooks = combineHooks(parent.hooks, hooksOf(options.hooks));
  if (options.timeoutMs !== undefined) changes.timeoutMs = positiveNumber("timeoutMs", options.timeoutMs);
  if (options.totalTimeoutMs !== undefined) {
    changes.totalTimeoutMs = positiveNumber("totalTimeoutMs", options.totalTimeoutMs);
  }
  if (options.retry !== undefined) {
    const retry = resolveRetry(options.retry, parent);
    changes.retries = retry.retries;
    changes.rateLimitRetries = retry.rateLimitRetries;
    changes.retryStatuses = retry.retryStatuses;
  }
  return changes;
}
