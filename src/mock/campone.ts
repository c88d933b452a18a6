/**
 * CampOne (as its rate-limit guide documents it): one rolling-hour budget per key, 429 with `Retry-After` and
 * `{"detail": …}`, no RateLimit headers, every authenticated request counted, 401 not counted.
 * Errors use the same `{"detail": "…"}` shape as the document's 429.
 */
import { type CampOneBooking, camponeFixtures } from "./campone-data.js";
import { attempt } from "./counter.js";
import type { Dialect, DialectResult, RequestContext } from "./dialect.js";
import { isoDateTime } from "./index-hash.js";
import { MAX_BODY_BYTES, readJsonObject } from "./json-body.js";
import { jsonResponse } from "./json-response.js";
import { type Caller, KeyTable } from "./key-table.js";
import type { ResolvedOptions } from "./options.js";
import { integerField, integerParam, type Parsed, parseIsoDate } from "./query.js";
import { RecordList } from "./record-list.js";
import { retryAfterSeconds } from "./seconds.js";

/** "Use page_size=200 for bulk reads" — the largest page; the default is 50. */
export const CAMPONE_MAX_PAGE_SIZE = 200;
export const CAMPONE_DEFAULT_PAGE_SIZE = 50;

/** One page of a list: `next` is the next page number, or null on the last page. */
export interface CampOnePage<T> {
  results: T[];
  page: number;
  page_size: number;
  total: number;
  next: number | null;
}

const COLLECTIONS = ["sites", "customers", "bookings"] as const;
type Collection = (typeof COLLECTIONS)[number];

export class CampOneApi implements Dialect {
  readonly #keys: KeyTable;
  readonly #bookings = new RecordList<CampOneBooking>(camponeFixtures().bookings);

  constructor(options: ResolvedOptions) {
    this.#keys = new KeyTable(options);
  }

  async handle(request: Request, context: RequestContext): Promise<DialectResult> {
    const caller = this.#keys.authenticate(request.headers.get("authorization"));
    // "The single exception is 401 Unauthorized — failed authentication doesn't count, because the
    // call cannot be attributed to a specific key." Not counted, and not audited either.
    if ("failure" in caller) {
      const detail =
        caller.failure === "missing" ? "Authentication credentials were not provided." : "Invalid token.";
      return { response: detailResponse(401, detail, { "www-authenticate": 'Bearer realm="api"' }) };
    }
    const who = { key: caller.key, tenant: caller.config.tenant };
    // "Every authenticated request is counted, regardless of outcome: … 400, 403, 404, 429 — counted",
    // so a refused request counts too, and Retry-After is computed with it counted.
    const outcome = attempt([this.#keys.countersOf(caller, context.now).main], context.now, true);
    if (!outcome.allowed) {
      const seconds = retryAfterSeconds(outcome.retryAfterMs);
      return {
        response: detailResponse(429, `Request was throttled. Expected available in ${seconds} seconds.`, {
          "retry-after": String(seconds),
        }),
        caller: who,
      };
    }
    let response: Response;
    try {
      response = await this.#route(request, context, caller);
    } catch {
      response = this.crash();
    }
    return { response, caller: who };
  }

  callerOf(request: Request): DialectResult["caller"] {
    const caller = this.#keys.authenticate(request.headers.get("authorization"));
    return "failure" in caller ? undefined : { key: caller.key, tenant: caller.config.tenant };
  }

  crash(): Response {
    return detailResponse(500, "A server error occurred.");
  }

  reset(): void {
    this.#keys.reset();
    this.#bookings.clear();
  }

  async #route(request: Request, { url, path, now }: RequestContext, caller: Caller): Promise<Response> {
    const [name, id, ...rest] = path.split("/").filter((segment) => segment !== "");
    if (!isCollection(name) || rest.length > 0) return detailResponse(404, "Not found.");
    const method = request.method.toUpperCase();
    if (id !== undefined) {
      if (method !== "GET") return methodNotAllowed(method, "GET");
      const record = this.#find(name, id);
      return record === undefined ? detailResponse(404, "Not found.") : jsonResponse(200, record);
    }
    if (method === "GET") return this.#list(name, url.searchParams);
    if (method === "POST" && name === "bookings") return this.#create(request, caller, now);
    return methodNotAllowed(method, name === "bookings" ? "GET, POST" : "GET");
  }

  #records(name: Collection): RecordList<object> | readonly object[] {
    return name === "bookings" ? this.#bookings : camponeFixtures()[name];
  }

  #find(name: Collection, rawId: string): object | undefined {
    if (!/^\d{1,9}$/.test(rawId)) return undefined;
    // Ids are 1-based and dense in every collection.
    const records = this.#records(name);
    const sequence = Number(rawId);
    return records instanceof RecordList ? records.bySequence(sequence) : records[sequence - 1];
  }

  #list(name: Collection, params: URLSearchParams): Response {
    const page = integerParam(params, "page", { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: 1 });
    if (!page.ok) return detailResponse(400, `${page.message}.`);
    const pageSize = integerParam(params, "page_size", {
      min: 1,
      max: CAMPONE_MAX_PAGE_SIZE,
      fallback: CAMPONE_DEFAULT_PAGE_SIZE,
    });
    if (!pageSize.ok) return detailResponse(400, `${pageSize.message}.`);
    let records = this.#records(name);
    if (name === "bookings") {
      const range = dateRange(params);
      if (!range.ok) return detailResponse(400, `${range.message}.`);
      const { from, to } = range.value;
      if (from !== undefined || to !== undefined) {
        records = this.#bookings.filter(
          (booking) =>
            (from === undefined || booking.arrival >= from) && (to === undefined || booking.arrival <= to),
        );
      }
    }
    const start = (page.value - 1) * pageSize.value;
    const body: CampOnePage<object> = {
      results: records.slice(start, start + pageSize.value),
      page: page.value,
      page_size: pageSize.value,
      total: records.length,
      next: start + pageSize.value < records.length ? page.value + 1 : null,
    };
    return jsonResponse(200, body);
  }

  async #create(request: Request, caller: Caller, now: number): Promise<Response> {
    if (caller.config.readOnly)
      return detailResponse(403, "You do not have permission to perform this action.");
    const body = await readJsonObject(request);
    if (!body.ok) {
      if (body.problem === "too_large") {
        return detailResponse(413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
      }
      return detailResponse(
        400,
        body.problem === "invalid_json" ? "JSON parse error." : "Expected a JSON object of a booking.",
      );
    }
    const fields = body.value;
    const { sites, customers } = camponeFixtures();
    const siteId = integerField(fields, "site_id", 1, sites.length);
    if (!siteId.ok) return invalidBooking(siteId.message);
    const customerId = integerField(fields, "customer_id", 1, customers.length);
    if (!customerId.ok) return invalidBooking(customerId.message);
    const arrival = parseIsoDate("arrival", fields.arrival);
    if (!arrival.ok) return invalidBooking(arrival.message);
    const departure = parseIsoDate("departure", fields.departure);
    if (!departure.ok) return invalidBooking(departure.message);
    const guests = integerField(fields, "guests", 1, 12);
    if (!guests.ok) return invalidBooking(guests.message);
    if (departure.value <= arrival.value) {
      return invalidBooking("`departure` must be after `arrival`");
    }
    const booking: CampOneBooking = {
      id: this.#bookings.nextSequence,
      site_id: siteId.value,
      customer_id: customerId.value,
      arrival: arrival.value,
      departure: departure.value,
      guests: guests.value,
      status: "confirmed",
      created_at: isoDateTime(now),
    };
    this.#bookings.add(booking);
    return jsonResponse(201, booking);
  }
}

/** `from` and `to` (inclusive, on `arrival`), each optional. */
function dateRange(params: URLSearchParams): Parsed<{ from: string | undefined; to: string | undefined }> {
  const bounds: { from: string | undefined; to: string | undefined } = { from: undefined, to: undefined };
  for (const name of ["from", "to"] as const) {
    const raw = params.get(name);
    if (raw === null) continue;
    const date = parseIsoDate(name, raw);
    if (!date.ok) return date;
    bounds[name] = date.value;
  }
  if (bounds.from !== undefined && bounds.to !== undefined && bounds.from > bounds.to) {
    return { ok: false, message: "`from` must not be after `to`" };
  }
  return { ok: true, value: bounds };
}

function isCollection(name: string | undefined): name is Collection {
  return (COLLECTIONS as readonly (string | undefined)[]).includes(name);
}

function invalidBooking(message: string): Response {
  return detailResponse(400, `Invalid booking: ${message}.`);
}

function methodNotAllowed(method: string, allow: string): Response {
  return detailResponse(405, `Method "${method}" not allowed.`, { allow });
}

/** CampOne's error shape: `{"detail": "…"}`. */
function detailResponse(status: number, detail: string, headers: Record<string, string> = {}): Response {
  return jsonResponse(status, { detail }, headers);
}
