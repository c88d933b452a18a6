import type { z } from "zod";
import { equalTimeouts } from "../equal-timeouts.js";
import { keyFingerprint } from "../fingerprint.js";
import { LinkedList } from "../linked-list.js";
import { startCall } from "./call.js";
import { CallContext } from "./context.js";
import { type ClientOptions, resolveOptions } from "./options.js";
import { type PreparedRequest, prepareRequest } from "./prepare.js";
import { type RequestOptions, requestJson } from "./request.js";

export interface Client {
  /**
   * `fetch`, paced and retried: resolves with the final `Response` for any status (a 429 only
   * once the retry policy gave up). Relative paths resolve against `baseUrl`; another origin is refused.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /**
   * A JSON call: `query` and `body` validated before anything is sent, the response parsed by
   * `schema`; a non-2xx status throws the matching `HttpError`.
   */
  request<S extends z.ZodType>(options: RequestOptions & { schema: S }): Promise<z.output<S>>;
  request(options: RequestOptions): Promise<unknown>;
  /** The key's fingerprint (`key_` + 12 hex digits), as hooks and logs show it. */
  readonly key: string;
  /**
   * The earliest moment (the clock's epoch ms) this key could send its next request, as far as
   * its pacer knows now: `clock.now()` when it could send at once. A key pool routes by it.
   */
  nextSendAt(): number;
  /** Requests of this key waiting for their turn in this process. */
  readonly waiting: number;
  /** Ends the client: calls in progress reject, the transport's connections close. Idempotent. */
  close(): Promise<void>;
}

/** Runs one call: its context lives exactly as long as the call. */
export type RunCall = <T>(
  request: PreparedRequest,
  totalTimeoutMs: number | undefined,
  body: (ctx: CallContext) => Promise<T>,
) => Promise<T>;

/** Makes a client of one API key. Options are validated here, so a mistake throws now, not later. */
export function createClient(options: ClientOptions): Client {
  const resolved = resolveOptions(options);
  const key = keyFingerprint(resolved.apiKey);
  // Every client of the same dialect, base URL and key in the process shares one pacer (the memory
  // store gives clients on another clock, such as a test's virtual one, a pacer of their own).
  const pacer = resolved.store.pacerFor(`${resolved.dialect.name} ${resolved.baseUrl.href} ${key}`, {
    limits: resolved.dialect.limits,
    probeFirst: resolved.dialect.sendsRateLimitHeaders,
    backoff: resolved.dialect.backoff,
    clock: resolved.clock,
  });
  const attemptTimeouts = equalTimeouts(resolved.clock, resolved.timeoutMs);
  const inProgress = new LinkedList<CallContext>();
  let closedReason: unknown;
  let closed: Promise<void> | undefined;

  // A call's context lives from `beginCall` to `endCall`, linked among the calls that `close()` aborts.
  const beginCall = (request: PreparedRequest, totalTimeoutMs: number | undefined): CallContext => {
    if (closed) throw closedReason;
    const ctx = new CallContext(
      resolved,
      pacer,
      key,
      attemptTimeouts,
      request,
      totalTimeoutMs ?? resolved.totalTimeoutMs,
      request.signal,
    );
    inProgress.push(ctx);
    return ctx;
  };
  const endCall = (ctx: CallContext): void => {
    inProgress.remove(ctx);
    ctx.dispose();
  };
  const runCall: RunCall = async (request, totalTimeoutMs, body) => {
    const ctx = beginCall(request, totalTimeoutMs);
    try {
      return await body(ctx);
    } finally {
      endCall(ctx);
    }
  };

  // Not `runCall`: the response settles the call's promise in the turn it arrives, with no async
  // function or promise between (each cost a turn and an allocation per request, docs/benchmarks.md).
  const fetchPrepared = (request: PreparedRequest): Promise<Response> =>
    new Promise((resolve, reject) => {
      const ctx = beginCall(request, undefined);
      startCall(
        ctx,
        request,
        (result) => {
          endCall(ctx);
          resolve(result.response);
        },
        (error) => {
          endCall(ctx);
          reject(error);
        },
      );
    });

  return {
    key,
    nextSendAt: () => pacer.nextSendAt(),
    get waiting() {
      return pacer.waiting;
    },
    fetch(input, init) {
      let prepared: PreparedRequest | Promise<PreparedRequest>;
      try {
        prepared = prepareRequest(resolved, input, init);
      } catch (error) {
        return Promise.reject(error);
      }
      // Waited for only when it is a promise (a `Request` with a body): each turn costs.
      return prepared instanceof Promise ? prepared.then(fetchPrepared) : fetchPrepared(prepared);
    },
    request(options: RequestOptions & { schema?: z.ZodType }) {
      return requestJson(resolved, options, runCall);
    },
    close() {
      closed ??= (async () => {
        closedReason = new DOMException("The pacekeeper client was closed", "AbortError");
        for (const ctx of inProgress.toArray()) ctx.abort(closedReason);
        await resolved.transport.close();
      })();
      return closed;
    },
  } as Client;
}
