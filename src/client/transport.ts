import { Agent } from "undici";

/** Any function with the signature of `fetch`. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface Transport {
  /** Sends one request. `init` is the client's own, made for this one send: the transport may add to it. */
  fetch: FetchLike;
  /** Releases the transport's connections, ending requests still in flight. */
  close(): Promise<void>;
  /**
   * True when the transport itself frees a request that has waited the attempt timeout for its
   * response headers. An attempt then passes `fetch` no `AbortSignal` of its own: on Node's fetch
   * a signal costs more than the rest of a paced call together (docs/design.md, "Overhead").
   */
  readonly freesOverdueRequests: boolean;
  /**
   * Whether `error`, which `fetch` rejected with, is fetch refusing the request's arguments (a
   * body on a GET, a header value that is not a byte string) rather than a network failure: then
   * nothing was sent and sending again will not help. Node's fetch reports both as `TypeError`; a
   * network failure is `TypeError("fetch failed")` with the socket's error as its `cause`.
   */
  isRefusal(error: unknown): boolean;
  /**
   * The transport for calls whose attempt timeout is `timeoutMs` (a derived client's, or a call's
   * own): this one where it frees overdue requests after that time or not at all, else one over the
   * same connections' lifecycle (closed with this one) that leaves the timeout to the attempt's signal.
   */
  withAttemptTimeout(timeoutMs: number): Transport;
}

/** Node's fetch (undici): an argument it refuses is a `TypeError` of its own, without a cause. */
function isFetchRefusal(error: unknown): boolean {
  return error instanceof TypeError && error.cause === undefined && error.message !== "fetch failed";
}

/** `setTimeout`, which undici's timers use, fires at once for delays above 2^31-1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The default transport: `globalThis.fetch`, looked up at call time so that msw's `setupServer`
 * (which patches the global) intercepts it in users' tests, with a keep-alive undici `Agent` as
 * its dispatcher. The agent is made on first use and destroyed by `close()`.
 *
 * With `attemptTimeoutMs` (real time only), the agent's `headersTimeout` frees a connection whose
 * request overran the attempt timeout, so the client can stop waiting for it without a signal.
 */
export function defaultTransport(attemptTimeoutMs?: number): Transport {
  let agent: Agent | undefined;
  /** The agent of calls with another attempt timeout: without `headersTimeout`, their signal ends them. */
  let untimedAgent: Agent | undefined;
  let untimed: Transport | undefined;
  const headersTimeout = timerMs(attemptTimeoutMs);
  const transport: Transport = {
    fetch(input, init) {
      agent ??= new Agent({ keepAliveTimeout: 10_000, connections: 128, headersTimeout });
      // The options are the client's own, made for this send: the dispatcher goes onto them, not
      // onto a spread copy, whose new hidden class each time keeps fetch's reading of its options
      // off V8's fast path (docs/design.md, "Performance").
      // (Node's RequestInit types `dispatcher` with its own bundled undici's types, not ours.)
      const options: { dispatcher?: unknown } = init ?? {};
      options.dispatcher ??= agent;
      return globalThis.fetch(input, options as RequestInit);
    },
    async close() {
      const closing = [agent, untimedAgent];
      agent = undefined;
      untimedAgent = undefined;
      // Not `close()`: that waits for requests in flight, and those of aborted calls may carry
      // no signal; the client has ended every call already.
      await Promise.all(closing.map((a) => a?.destroy()));
    },
    freesOverdueRequests: headersTimeout !== undefined,
    isRefusal: isFetchRefusal,
    withAttemptTimeout(timeoutMs) {
      // Without a `headersTimeout` of ours (a virtual clock), every attempt carries its signal already.
      if (headersTimeout === undefined || timerMs(timeoutMs) === headersTimeout) return transport;
      // One more agent, whatever the timeouts asked for: a pool per value would grow without bound.
      untimed ??= {
        fetch(input, init) {
          untimedAgent ??= new Agent({ keepAliveTimeout: 10_000, connections: 128, headersTimeout: 0 });
          const options: { dispatcher?: unknown } = init ?? {};
          options.dispatcher ??= untimedAgent;
          return globalThis.fetch(input, options as RequestInit);
        },
        close: transport.close,
        freesOverdueRequests: false,
        isRefusal: isFetchRefusal,
        withAttemptTimeout: transport.withAttemptTimeout,
      };
      return untimed;
    },
  };
  return transport;
}

/** An attempt timeout as undici's timers can hold it. */
function timerMs(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.min(Math.ceil(ms), MAX_TIMER_MS);
}

/**
 * A caller's own fetch: pacekeeper does not own its connections, so closing it does nothing; and
 * what it rejects with is its own business, so every rejection counts as a failure to send.
 */
export function customTransport(fetch: FetchLike): Transport {
  const transport: Transport = {
    fetch,
    close: async () => {},
    freesOverdueRequests: false,
    isRefusal: () => false,
    // Every attempt of a caller's fetch carries its signal already: any timeout is the signal's.
    withAttemptTimeout: () => transport,
  };
  return transport;
}
