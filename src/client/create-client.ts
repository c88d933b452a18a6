import type { z } from "zod";
import { LinkedList } from "../internal/linked-list.js";
import { attemptTimeouts } from "./attempt-timeouts.js";
import { type ReadsBudget, readBudget } from "./budget.js";
import { emitGiveUp, runCall } from "./call.js";
import type { ClientRuntime } from "./context.js";
import { Credentials } from "./credentials.js";
import { apiKeyOf, type ClientOptions, resolveOptions } from "./options.js";
import { type PaginateOptions, type Paginates, paginate } from "./paginate.js";
import { type ClientRequestInit, type PreparedRequest, prepareRequest } from "./prepare.js";
import { type RequestOptions, requestJson } from "./request.js";

export interface Client extends Paginates, ReadsBudget {
  /**
   * `fetch`, paced and retried: resolves with the final `Response` for any status (a 429 only
   * once the retry policy gave up). Relative paths resolve against `baseUrl`; another origin is refused.
   */
  fetch(input: string | URL | Request, init?: ClientRequestInit): Promise<Response>;
  /**
   * A JSON call: `query` and `body` validated before anything is sent, the response parsed by
   * `schema`; a non-2xx status throws the matching `HttpError`.
   */
  request<S extends z.ZodType>(options: RequestOptions & { schema: S }): Promise<z.output<S>>;
  request(options: RequestOptions): Promise<unknown>;
  /**
   * The fingerprint of the client's `apiKey` (`key_` + 12 hex digits), as hooks and logs show it;
   * `""` with `auth: { fromRequest }`, where each request's credential is a key of its own.
   */
  readonly key: string;
  /**
   * The earliest moment (the clock's epoch ms) this key could send its next request, as far as
   * its pacer knows now: `clock.now()` when it could send at once. A key pool routes by it.
   * @param apiKey another key than the client's `apiKey` (one a request names, or an SDK sets)
   */
  nextSendAt(apiKey?: string): number;
  /** Requests of the client's `apiKey` waiting for their turn in this process. */
  readonly waiting: number;
  /** Ends the client: calls in progress reject, the transport's connections close. Idempotent. */
  close(): Promise<void>;
}

/** Makes a client of one API key. Options are validated here, so a mistake throws now, not later. */
export function createClient(options: ClientOptions): Client {
  const resolved = resolveOptions(options);
  const credentials = new Credentials(resolved);
  const own = resolved.apiKey === undefined ? undefined : credentials.of(resolved.apiKey);
  const key = own?.key ?? "";
  const runtime: ClientRuntime = {
    options: resolved,
    credentials,
    key,
    attemptTimeouts: attemptTimeouts(resolved.clock, resolved.timeoutMs),
    calls: new LinkedList(),
    closed: undefined,
  };
  let closing: Promise<void> | undefined;

  const fetchPrepared = (request: PreparedRequest): Promise<Response> =>
    runCall(runtime, request, undefined, (result) => result.response, true);

  /** A call refused before it started (its input is invalid) still ends in an error the hooks hear of. */
  const refuse = (error: unknown, method: unknown, url: unknown): Promise<never> => {
    emitGiveUp(
      runtime,
      { method: typeof method === "string" ? method : "GET", url: safeText(url), secrets: resolved.secrets },
      0,
      error,
    );
    return Promise.reject(error);
  };

  return {
    key,
    nextSendAt(apiKey?: string) {
      const credential = apiKey === undefined ? own : credentials.of(apiKeyOf("apiKey", apiKey));
      return credential ? credential.pacer.nextSendAt() : resolved.clock.now();
    },
    get waiting() {
      return own?.pacer.waiting ?? 0;
    },
    fetch(input, init) {
      let prepared: PreparedRequest | Promise<PreparedRequest>;
      try {
        prepared = prepareRequest(resolved, credentials, input, init);
      } catch (error) {
        return refuse(error, init?.method ?? (input instanceof Request ? input.method : undefined), input);
      }
      // Waited for only when it is a promise (a `Request` with a body).
      return prepared instanceof Promise
        ? prepared.then(fetchPrepared, (error: unknown) => refuse(error, init?.method, input))
        : fetchPrepared(prepared);
    },
    request(options: RequestOptions & { schema?: z.ZodType }) {
      return requestJson(runtime, options);
    },
    paginate: (options: PaginateOptions) => paginate(runtime, options),
    budget: (options) => readBudget(runtime, options),
    close() {
      closing ??= (async () => {
        const reason = new DOMException("The pacekeeper client was closed", "AbortError");
        runtime.closed = { reason };
        for (const call of runtime.calls.toArray()) call.abort(reason);
        await resolved.transport.close();
      })();
      return closing;
    },
  } as Client;
}

/** A URL as events show it, whatever the caller passed (a `Request`, a `URL`, a string). */
function safeText(value: unknown): string {
  try {
    return value instanceof Request ? value.url : String(value);
  } catch {
    return "";
  }
}
