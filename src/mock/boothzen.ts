/**
 * BoothZen (as its rate-limit documentation describes it): per key, a main limit and a burst limit; the IETF RateLimit
 * headers on every `/api/v1/*` response, errors included; 429 with `Retry-After`; `X-Request-Id` on
 * every response; the error shape `{"error": {"type", "code", "message", "request_id"}}`.
 */
import {
  BOOTHZEN_BOOTH_COUNT,
  type BoothZenBooking,
  bookingId,
  bookingSequence,
  boothId,
  boothzenFixtures,
} from "./boothzen-data.js";
import { attempt, type Counter } from "./counter.js";
import type { Dialect, DialectResult, RequestContext } from "./dialect.js";
import { isoDateTime } from "./index-hash.js";
import { MAX_BODY_BYTES, readJsonObject } from "./json-body.js";
import { jsonResponse } from "./json-response.js";
import { type Caller, KeyTable } from "./key-table.js";
import type { ResolvedOptions } from "./options.js";
import { integerField, integerParam, parseIsoDateTime, stringField } from "./query.js";
import { RecordList } from "./record-list.js";
import { RequestIdSequence } from "./request-id.js";
import { resetSeconds, retryAfterSeconds } from "./seconds.js";

/** The largest page of `GET /api/v1/bookings`; the default is 50. */
export const BOOTHZEN_MAX_PAGE_SIZE = 200;
export const BOOTHZEN_DEFAULT_PAGE_SIZE = 50;

/** One page of a list; pass `next_cursor` as `cursor` for the next page (null on the last). */
export interface BoothZenList<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "api_error";

/** `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` of one response. */
interface RateLimitState {
  limit: number;
  remaining: number;
  reset: number;
}

export class BoothZenApi implements Dialect {
  readonly #keys: KeyTable;
  readonly #ids = new RequestIdSequence();
  readonly #bookings = new RecordList<BoothZenBooking>(boothzenFixtures());

  constructor(options: ResolvedOptions) {
    this.#keys = new KeyTable(options);
  }

  async handle(request: Request, context: RequestContext): Promise<DialectResult> {
    const requestId = this.#ids.next(context.now);
    // "Internal hosts and admin tooling are not counted against your bucket — only /api/v1/* traffic
    // authenticated with your key": no counting, no RateLimit headers outside /api/v1.
    if (context.path !== "/api/v1" && !context.path.startsWith("/api/v1/")) {
      return { response: this.#outside(request, context.path, requestId) };
    }
    const caller = this.#keys.authenticate(request.headers.get("authorization"));
    if ("failure" in caller) {
      // A 401 cannot be attributed to a key and is not counted. "Every /api/v1/* response — including
      // errors — carries the IETF RateLimit headers": those of a key that has sent nothing yet.
      const fresh = this.#keys.fresh(this.#keys.defaultKey()).main;
      const message =
        caller.failure === "missing"
          ? "No API key provided. Send `Authorization: Bearer <API key or access token>`."
          : caller.failure === "malformed"
            ? "Malformed Authorization header. Send `Authorization: Bearer <API key or access token>`."
            : "Invalid API key or access token.";
      const code = caller.failure === "missing" ? "missing_api_key" : "invalid_api_key";
      const response = errorResponse(401, "authentication_error", code, message, requestId, {
        ...rateLimitHeaders(snapshot(fresh, context.now)),
        "www-authenticate": 'Bearer realm="api"',
      });
      return { response };
    }
    const who = { key: caller.key, tenant: caller.config.tenant };
    const { main, burst } = this.#keys.countersOf(caller, context.now);
    // "Aggressive retries dig a deeper hole; the bucket only refills with time": a refused request
    // takes nothing, and is answered when a request would succeed under both limits.
    const outcome = attempt(burst === undefined ? [main] : [main, burst], context.now, false);
    if (!outcome.allowed) {
      const seconds = retryAfterSeconds(outcome.retryAfterMs);
      const headers = {
        "retry-after": String(seconds),
        ...rateLimitHeaders({ limit: main.limit, remaining: 0, reset: seconds }),
      };
      const message = `Rate limit exceeded. Retry after ${seconds} seconds.`;
      return {
        response: errorResponse(429, "rate_limit_error", "rate_limit_exceeded", message, requestId, headers),
        caller: who,
      };
    }
    let response: Response;
    try {
      response = await this.#route(request, context, caller, requestId);
    } catch {
      response = internalError(requestId);
    }
    for (const [name, value] of Object.entries(rateLimitHeaders(snapshot(main, context.now)))) {
      response.headers.set(name, value);
    }
    return { response, caller: who };
  }

  callerOf(request: Request, context: RequestContext): DialectResult["caller"] {
    if (context.path !== "/api/v1" && !context.path.startsWith("/api/v1/")) return undefined;
    const caller = this.#keys.authenticate(request.headers.get("authorization"));
    return "failure" in caller ? undefined : { key: caller.key, tenant: caller.config.tenant };
  }

  crash(now: number): Response {
    return internalError(this.#ids.next(now));
  }

  reset(): void {
    this.#keys.reset();
    this.#ids.reset();
    this.#bookings.clear();
  }

  #outside(request: Request, path: string, requestId: string): Response {
    const known = path === "/health" || path === "/internal" || path.startsWith("/internal/");
    if (!known) return routeNotFound(request, requestId);
    if (request.method.toUpperCase() !== "GET") return methodNotAllowed(request.method, "GET", requestId);
    return jsonResponse(200, { status: "ok" }, { "x-request-id": requestId });
  }

  async #route(
    request: Request,
    context: RequestContext,
    caller: Caller,
    requestId: string,
  ): Promise<Response> {
    const [resource, id, ...rest] = context.path
      .slice("/api/v1".length)
      .split("/")
      .filter((segment) => segment !== "");
    if (resource !== "bookings" || rest.length > 0) return routeNotFound(request, requestId);
    const method = request.method.toUpperCase();
    if (id !== undefined) {
      if (method !== "GET") return methodNotAllowed(method, "GET", requestId);
      return this.#retrieve(id, requestId);
    }
    if (method === "GET") return this.#list(context.url.searchParams, requestId);
    if (method === "POST") return this.#create(request, caller, context.now, requestId);
    return methodNotAllowed(method, "GET, POST", requestId);
  }

  #find(id: string): BoothZenBooking | undefined {
    const sequence = bookingSequence(id);
    return sequence === undefined ? undefined : this.#bookings.bySequence(sequence);
  }

  #retrieve(rawId: string, requestId: string): Response {
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      id = rawId;
    }
    const booking = this.#find(id);
    if (booking === undefined) {
      const message = `No booking with id ${JSON.stringify(id)}.`;
      return errorResponse(404, "not_found_error", "resource_missing", message, requestId);
    }
    return jsonResponse(200, booking, { "x-request-id": requestId, "x-boothzen-scope": "read:bookings" });
  }

  #list(params: URLSearchParams, requestId: string): Response {
    const pageSize = integerParam(params, "page_size", {
      min: 1,
      max: BOOTHZEN_MAX_PAGE_SIZE,
      fallback: BOOTHZEN_DEFAULT_PAGE_SIZE,
    });
    if (!pageSize.ok) return invalidParameter(pageSize.message, requestId);
    const bookings = this.#bookings;
    let start = 0;
    const cursor = params.get("cursor");
    if (cursor !== null) {
      const sequence = bookingSequence(cursor);
      const index = sequence === undefined ? -1 : bookings.indexOfSequence(sequence);
      if (index === -1) {
        return invalidParameter(
          `\`cursor\` must be the id of a booking, got ${JSON.stringify(cursor)}`,
          requestId,
        );
      }
      start = index + 1;
    }
    const data = bookings.slice(start, start + pageSize.value);
    const hasMore = start + pageSize.value < bookings.length;
    const body: BoothZenList<BoothZenBooking> = {
      object: "list",
      data,
      has_more: hasMore,
      next_cursor: hasMore ? (data.at(-1)?.id ?? null) : null,
    };
    return jsonResponse(200, body, { "x-request-id": requestId, "x-boothzen-scope": "read:bookings" });
  }

  async #create(request: Request, caller: Caller, now: number, requestId: string): Promise<Response> {
    if (caller.config.readOnly) {
      const message = "This key lacks the write:bookings scope.";
      return errorResponse(403, "permission_error", "insufficient_scope", message, requestId);
    }
    const body = await readJsonObject(request);
    if (!body.ok) {
      if (body.problem === "too_large") {
        const message = `Request body is larger than ${MAX_BODY_BYTES} bytes.`;
        return errorResponse(413, "invalid_request_error", "body_too_large", message, requestId);
      }
      const message =
        body.problem === "invalid_json" ? "Malformed JSON body." : "Expected a JSON object of a booking.";
      return errorResponse(400, "invalid_request_error", "invalid_json", message, requestId);
    }
    const fields = body.value;
    const booth = stringField(fields, "booth_id", 20);
    if (!booth.ok) return invalidParameter(booth.message, requestId);
    const boothNumber = /^booth_\d{3}$/.test(booth.value) ? Number(booth.value.slice("booth_".length)) : 0;
    if (boothNumber < 1 || boothNumber > BOOTHZEN_BOOTH_COUNT) {
      const message = `\`booth_id\` must be one of booth_001 to ${boothId(BOOTHZEN_BOOTH_COUNT - 1)}, got ${JSON.stringify(booth.value)}`;
      return invalidParameter(message, requestId);
    }
    const name = stringField(fields, "customer_name", 200);
    if (!name.ok) return invalidParameter(name.message, requestId);
    let email = "";
    if (fields.customer_email !== undefined) {
      const parsed = stringField(fields, "customer_email", 254);
      if (!parsed.ok || !parsed.value.includes("@")) {
        const message = `\`customer_email\` must be an email address, got ${JSON.stringify(fields.customer_email)}`;
        return invalidParameter(message, requestId);
      }
      email = parsed.value;
    }
    const startsAt = parseIsoDateTime("starts_at", fields.starts_at);
    if (!startsAt.ok) return invalidParameter(startsAt.message, requestId);
    const endsAt = parseIsoDateTime("ends_at", fields.ends_at);
    if (!endsAt.ok) return invalidParameter(endsAt.message, requestId);
    if (endsAt.value <= startsAt.value)
      return invalidParameter("`ends_at` must be after `starts_at`", requestId);
    let amount = 10_000;
    if (fields.amount_cents !== undefined) {
      const parsed = integerField(fields, "amount_cents", 0, 100_000_000);
      if (!parsed.ok) return invalidParameter(parsed.message, requestId);
      amount = parsed.value;
    }
    const booking: BoothZenBooking = {
      id: bookingId(this.#bookings.nextSequence),
      object: "booking",
      booth_id: booth.value,
      customer_name: name.value,
      customer_email: email,
      starts_at: isoDateTime(startsAt.value),
      ends_at: isoDateTime(endsAt.value),
      status: "confirmed",
      amount_cents: amount,
      currency: "EUR",
      created_at: isoDateTime(now),
    };
    this.#bookings.add(booking);
    return jsonResponse(201, booking, { "x-request-id": requestId, "x-boothzen-scope": "write:bookings" });
  }
}

/** The main limit's headers after this request; the document's headers describe one window, the main one. */
function snapshot(main: Counter, now: number): RateLimitState {
  return { limit: main.limit, remaining: main.remaining(now), reset: resetSeconds(main.resetMs(now)) };
}

function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    "ratelimit-limit": String(state.limit),
    "ratelimit-remaining": String(state.remaining),
    "ratelimit-reset": String(state.reset),
  };
}

/** BoothZen's error shape, with `X-Request-Id` equal to `request_id`. */
function errorResponse(
  status: number,
  type: ErrorType,
  code: string,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  return jsonResponse(
    status,
    { error: { type, code, message, request_id: requestId } },
    { ...headers, "x-request-id": requestId },
  );
}

function invalidParameter(message: string, requestId: string): Response {
  return errorResponse(400, "invalid_request_error", "invalid_parameter", `${message}.`, requestId);
}

function routeNotFound(request: Request, requestId: string): Response {
  const message = `Unknown route: ${request.method.toUpperCase()} ${new URL(request.url).pathname}.`;
  return errorResponse(404, "not_found_error", "route_not_found", message, requestId);
}

function methodNotAllowed(method: string, allow: string, requestId: string): Response {
  const message = `Method ${method.toUpperCase()} is not allowed here; use ${allow}.`;
  return errorResponse(405, "invalid_request_error", "method_not_allowed", message, requestId, { allow });
}

function internalError(requestId: string): Response {
  return errorResponse(500, "api_error", "internal_error", "An internal error occurred.", requestId);
}
