import { attemptTimeouts } from "./attempt-timeouts.js";
import type { ClientRuntime } from "./context.js";
import { Credentials } from "./credentials.js";
import type { ResolvedOptions } from "./options.js";

/** What a derived client (`extend`) or a call with options of its own may change. */
export type OptionChanges = Partial<
  Pick<
    ResolvedOptions,
    "headers" | "hooks" | "timeoutMs" | "totalTimeoutMs" | "retries" | "rateLimitRetries" | "retryStatuses"
  >
>;

/**
 * `base` with `changes` over it: the same key, pacer, transport and clock, other request defaults.
 * Another attempt timeout takes the transport for it (`withAttemptTimeout`).
 */
export function deriveOptions(base: ResolvedOptions, changes: OptionChanges): ResolvedOptions {
  const options: ResolvedOptions = { ...base, derivedFrom: base };
  for (const [name, value] of Object.entries(changes)) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[name] = value;
  }
  if (options.timeoutMs !== base.timeoutMs) {
    options.transport = base.transport.withAttemptTimeout(options.timeoutMs);
  }
  return options;
}

/**
 * The runtime one call runs in when it brings options of its own (`timeoutMs`, `retry`): the
 * client's, with those options, and a queue of attempt timeouts of its own if its timeout differs
 * (a queue holds timeouts of one length). Its calls are still the client's, which `close()` ends.
 */
export function runtimeForCall(runtime: ClientRuntime, changes: OptionChanges): ClientRuntime {
  const options = deriveOptions(runtime.options, changes);
  return {
    options,
    credentials: runtime.credentials,
    key: runtime.key,
    attemptTimeouts:
      options.timeoutMs === runtime.options.timeoutMs
        ? runtime.attemptTimeouts
        : attemptTimeouts(options.clock, options.timeoutMs),
    calls: runtime.calls,
    // Read when the call starts, which may be a turn after this runtime is made: the client's, then.
    get closed() {
      return runtime.closed;
    },
  };
}

/** Whether a call made with `options` is one of the client whose options are `client`'s, or of a client derived from it. */
export function belongsTo(options: ResolvedOptions, client: ResolvedOptions): boolean {
  for (let o: ResolvedOptions | undefined = options; o !== undefined; o = o.derivedFrom) {
    if (o === client) return true;
  }
  return false;
}

/**
 * The runtime of a client derived from `parent` (`extend`): `options` derived from the parent's,
 * the parent's pacers (through its keys), its calls in progress (so that closing the parent ends
 * them all), and closed when it is closed or the parent is.
 */
export function derivedRuntime(parent: ClientRuntime, options: ResolvedOptions): ClientRuntime {
  let closed: { reason: unknown } | undefined;
  return {
    options,
    credentials: new Credentials(options, parent.credentials),
    key: parent.key,
    attemptTimeouts:
      options.timeoutMs === parent.options.timeoutMs
        ? parent.attemptTimeouts
        : attemptTimeouts(options.clock, options.timeoutMs),
    calls: parent.calls,
    get closed() {
      return closed ?? parent.closed;
    },
    set closed(value) {
      closed = value;
    },
  };
}
