import { LinkedList } from "../internal/linked-list.js";
import { attemptTimeouts } from "./attempt-timeouts.js";
import { type ReadsBudget, readBudget } from "./budget.js";
import { emitGiveUp, runCall } from "./call.js";
import { CallPromise } from "./call-promise.js";
import type { ClientRuntime } from "./context.js";
import { Credentials } from "./credentials.js";
import { belongsTo, derivedRuntime, deriveOptions } from "./derive.js";
import { type ExtendOptions, resolveExtendOptions } from "./extend-options.js";
import { apiKeyOf, type ClientOptions, resolveOptions } from "./options.js";
import { type PaginateOptions, type Paginates, paginate } from "./paginate.js";
import { type ClientRequestInit, type PreparedRequest, prepareRequest } from "./prepare.js";
import {
  type RequestMethod,
  type RequestOptions,
  requestJson,
  type Shortcut,
  type ShortcutOptions,
} from "./request.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

/**
 * `client.get`, `post`, `put`, `patch`, `delete`: `client.request` with its method set and the
 * path first. Typed by `schema`, else by a type argument (`client.get<Booking[]>(path)`), else
 * `unknown`.
 */
export interface ShortcutMethod {
  <S extends StandardSchemaV1>(
    path: string,
    options: ShortcutOptions<S> & { schema: S },
  ): CallPromise<StandardSchemaV1.InferOutput<S>>;
  <T = unknown>(path: string, options?: ShortcutOptions<undefined>): CallPromise<T>;
  (path: string, options?: ShortcutOptions): CallPromise<unknown>;
}

export interface Client extends Paginates, ReadsBudget {
  /**
   * `fetch`, paced and retried: resolves with the final `Response` for any status (a 429 only
   * once the retry policy gave up). Relative paths resolve against `baseUrl`; another origin is refused.
   * Its `init` is fetch's, and `apiKey`; for another attempt timeout or retry policy, use the
   * `fetch` of a derived client (`client.extend({ timeoutMs }).fetch`).
   * @example
   * const response = await client.fetch("/api/v1/bookings?page_size=200");
   * if (response.ok) console.log(await response.json());
   */
  fetch(input: string | URL | Request, init?: ClientRequestInit): Promise<Response>;
  /**
   * A JSON call: `query` and `body` validated before anything is sent, the response parsed by
   * `schema` (any Standard Schema: zod, valibot, ArkType…), which types the result; a non-2xx
   * status throws the matching `HttpError`. `.withResponse()` on the promise gives the response too.
   * @example
   * const page = await client.request({
   *   method: "GET",
   *   path: "/api/v1/bookings",
   *   query: { page_size: 200 },
   *   schema: z.object({ data: z.array(Booking), has_more: z.boolean() }),
   * });
   */
  request<S extends StandardSchemaV1>(
    options: RequestOptions<S> & { schema: S },
  ): CallPromise<StandardSchemaV1.InferOutput<S>>;
  request<T = unknown>(options: RequestOptions<undefined>): CallPromise<T>;
  request(options: RequestOptions): CallPromise<unknown>;
  /**
   * A GET: `client.request({ method: "GET", path, ...options })`.
   * @example
   * const bookings = await client.get("/api/v1/bookings", { query: { page_size: 200 }, schema: BookingList });
   * const one = await client.get<{ id: string }>("/api/v1/bookings/bkg_000001"); // trusted, not checked
   */
  get: ShortcutMethod;
  /**
   * A POST of `options.body` as JSON: `client.request({ method: "POST", path, ...options })`.
   * @example
   * const created = await client.post("/api/v1/bookings", {
   *   body: { booth_id: "booth_007", customer_name: "Ada", starts_at: "2026-03-02T09:00:00Z", ends_at: "2026-03-02T17:00:00Z" },
   *   idempotencyKey: "booking-ada-0302",
   *   schema: Booking,
   * });
   */
  post: ShortcutMethod;
  /**
   * A PUT: `client.request({ method: "PUT", path, ...options })`.
   * @example
   * await client.put("/api/v1/bookings/bkg_1", { body: { site: "s2", nights: 3 } });
   */
  put: ShortcutMethod;
  /**
   * A PATCH (sent as `PATCH`): `client.request({ method: "PATCH", path, ...options })`.
   * @example
   * const updated = await client.patch("/api/v1/bookings/bkg_1", { body: { nights: 4 }, schema: Booking });
   */
  patch: ShortcutMethod;
  /**
   * A DELETE: `client.request({ method: "DELETE", path, ...options })`.
   * @example
   * await client.delete("/api/v1/bookings/bkg_1");
   */
  delete: ShortcutMethod;
  /**
   * A client of the same key with other request defaults: `headers` over this client's, `hooks`
   * called after this client's, its own `timeoutMs`, `totalTimeoutMs` and `retry` (over this
   * client's). It shares this client's pacer and transport: requests of both spend one budget.
   * `baseUrl`, `apiKey`, `auth`, `origins`, `dialect`, `fetch`, `clock` and `store` cannot change
   * (a `TypeError` names the option). Closing the derived client ends its calls (and those of
   * clients derived from it), never this client's nor the transport; closing this client ends the
   * derived client's calls too, and refuses its new ones.
   * @example
   * const traced = client.extend({ headers: { "x-trace-id": traceId }, timeoutMs: 5_000 });
   * const bookings = await traced.get("/api/v1/bookings");
   */
  extend(options: ExtendOptions): Client;
  /**
   * The fingerprint of the client's `apiKey` (`key_` + 12 hex digits), as hooks and logs show it;
   * `""` with `auth: { fromRequest }`, where each request's credential is a key of its own.
   */
  readonly key: string;
  /**
   * The earliest moment (the clock's epoch ms) this key could send its next request, as far as
   * its pacer knows now: `clock.now()` when it could send at once. A key pool routes by it.
   * @param apiKey another key than the client's `apiKey` (one a request names, or an SDK sets)
   * @example
   * const waitMs = Math.max(0, client.nextSendAt() - Date.now());
   */
  nextSendAt(apiKey?: string): number;
  /** Requests of the client's `apiKey` waiting for their turn in this process. */
  readonly waiting: number;
  /**
   * Ends the client: its calls in progress reject (with an `AbortError`), later ones are refused,
   * and the transport's connections close. Closing a derived client (`extend`) ends its own calls
   * and those of clients derived from it, and leaves the transport to the client it came from.
   * Idempotent.
   * @example
   * await client.close();
   */
  close(): Promise<void>;
}

/**
 * Makes a client of one API key. Options are validated here, so a mistake throws now, not later.
 * @example
 * const client = createClient({ baseUrl: "https://api.boothzen.com", apiKey: process.env.BOOTHZEN_KEY!, dialect: boothzen() });
 * const bookings = await client.get("/api/v1/bookings", { schema: BookingList });
 */
export function createClient(options: ClientOptions): Client {
  const resolved = resolveOptions(options);
  const credentials = new Credentials(resolved);
  const runtime: ClientRuntime = {
    options: resolved,
    credentials,
    key: resolved.apiKey === undefined ? "" : credentials.of(resolved.apiKey).key,
    attemptTimeouts: attemptTimeouts(resolved.clock, resolved.timeoutMs),
    calls: new LinkedList(),
    closed: undefined,
  };
  return clientOf(runtime, () => resolved.transport.close());
}

/**
 * The client over a runtime: a client made by `createClient`, which owns its transport and closes
 * it, or one derived from it by `extend`, which does not.
 */
function clientOf(runtime: ClientRuntime, closeTransport: (() => Promise<void>) | undefined): Client {
  const resolved = runtime.options;
  const { credentials, key } = runtime;
  const own = resolved.apiKey === undefined ? undefined : credentials.of(resolved.apiKey);
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

  const call = (options: unknown, shortcut?: Shortcut) =>
    new CallPromise(requestJson(runtime, options, shortcut));
  const shortcut = (method: RequestMethod) =>
    ((path: unknown, options?: unknown) => call(options, { method, path })) as ShortcutMethod;

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
    request: (options: unknown) => call(options),
    get: shortcut("GET"),
    post: shortcut("POST"),
    put: shortcut("PUT"),
    patch: shortcut("PATCH"),
    delete: shortcut("DELETE"),
    extend(options) {
      const derived = deriveOptions(resolved, resolveExtendOptions(resolved, options));
      return clientOf(derivedRuntime(runtime, derived), undefined);
    },
    paginate: (options: PaginateOptions) => paginate(runtime, options),
    budget: (options) => readBudget(runtime, options),
    close() {
      closing ??= (async () => {
        const reason = new DOMException("The pacekeeper client was closed", "AbortError");
        runtime.closed = { reason };
        // The list holds the calls of the clients derived from this one too (they share it).
        for (const call of runtime.calls.toArray()) {
          if (belongsTo(call.options, resolved)) call.abort(reason);
        }
        await closeTransport?.();
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
