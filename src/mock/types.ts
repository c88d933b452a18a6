/**
 * The public types of `pacekeeper/mock`. The mock servers share no code with the client
 * (they are its adversary in tests), so nothing here is imported from outside `src/mock/`.
 */
import type { RequestHandler } from "msw";
import type { MockFault, MockFaultOptions } from "./faults.js";

export type { MockFault, MockFaultOptions } from "./faults.js";

/** Which API the mock reproduces: CampOne or BoothZen, as each API's rate-limit documentation describes it. */
export type MockDialect = "campone" | "boothzen";

/**
 * How the mock counts requests against a limit (see "Counting models" in https://github.com/pacekeeper/pacekeeper/blob/main/docs/mock-servers.md).
 *
 * - `"rolling"`: an exact log; a request ages out `windowMs` after it was counted.
 * - `"fixed"`: back-to-back windows of `windowMs`, aligned to the key's first counted request.
 * - `"bucket"`: a token bucket of capacity `limit`, refilled continuously at `limit / windowMs`.
 */
export type CountingModel = "rolling" | "fixed" | "bucket";

/** A time source. Every rule of the mock reads `now()`; nothing waits on a timer. */
export interface MockClock {
  /** Milliseconds, usually since the epoch. Readings that go backwards are treated as the last reading. */
  now(): number;
}

/** One API key (or OAuth access token) the mock accepts, as an operator would issue it. */
export interface MockKeyOptions {
  /**
   * The tenant the key belongs to, as recorded in the audit log.
   * @default "default"
   */
  tenant?: string;
  /**
   * The key's own limit per `windowMs` (CampOne: "Operators can set the limit when the key is created").
   * @default the mock's `limit`
   */
  limit?: number;
  /**
   * BoothZen only: the key's own burst limit per `burstWindowMs`.
   * @default the mock's `burst`
   */
  burst?: number;
  /**
   * A key that may read but not write: `POST` answers 403 (which counts, as the CampOne document says of 403).
   * @default false
   */
  readOnly?: boolean;
}

/** Options shared by every front of the mock (`createMockApi`, `createMockHandlers`, `startMockServer`, the CLI). */
export interface MockApiOptions {
  /** Which API to reproduce. Required. */
  dialect: MockDialect;
  /**
   * Requests per `windowMs` per key.
   * @default 1000 for campone, 600 for boothzen
   */
  limit?: number;
  /**
   * Length of the main window, in milliseconds.
   * @default 3_600_000 (an hour) for campone, 60_000 (a minute) for boothzen
   */
  windowMs?: number;
  /**
   * BoothZen only: the burst limit, requests per `burstWindowMs` per key.
   * @default 60
   */
  burst?: number;
  /**
   * BoothZen only: length of the burst window, in milliseconds.
   * @default 1_000
   */
  burstWindowMs?: number;
  /**
   * How both limits are counted.
   * @default "rolling" for campone (the document's "rolling hour"), "fixed" for boothzen (a `RateLimit-Reset` that counts down)
   */
  counting?: CountingModel;
  /**
   * Fixed counting only: every key's windows (main and burst) start on one grid through this
   * time, in milliseconds on the mock's clock, as on a server whose windows follow its own clock.
   * A client then cannot assume that a window starts at its first request.
   * @default undefined (each key's windows start at its first counted request)
   * @example
   * // Windows of 3 s that start 1.1 s after the mock does, whenever a key first calls.
   * createMockApi({ dialect: "boothzen", counting: "fixed", windowMs: 3_000, windowOrigin: Date.now() + 1_100 });
   */
  windowOrigin?: number;
  /**
   * The keys the mock accepts, by key. When given, any other key gets 401; when absent, every
   * well-formed bearer token is a key of tenant `"default"` with the mock's limits.
   */
  keys?: Record<string, MockKeyOptions>;
  /**
   * The time source of every rule, so tests can run on virtual time.
   * @default `{ now: Date.now }`
   */
  clock?: MockClock;
  /**
   * Fault mode: resets, 5xx, slow or cut answers, hostile rate-limit headers, unparsable error
   * bodies, drawn per request from a seeded generator or scripted ("Fault mode" in https://github.com/pacekeeper/pacekeeper/blob/main/docs/mock-servers.md).
   * Audit rows then say which fault each request got and whether the API processed it.
   * @default undefined (no faults)
   */
  faults?: MockFaultOptions;
  /**
   * Rows the audit log keeps, at most: the newest. A long-running mock's memory stays bounded.
   * @default 100_000
   */
  auditLimit?: number;
}

/** One row of the audit log: an authenticated call, whatever its outcome. Never a body. */
export interface AuditEntry {
  /** The tenant of the key (`"default"` when the mock was started without `keys`). */
  tenant: string;
  /** The API key or access token that was presented. */
  key: string;
  /** HTTP method, upper case. */
  method: string;
  /** Request path, without the query string. */
  path: string;
  /** Response status code. */
  status: number;
  /** Milliseconds the mock took to answer, measured on the mock's clock. */
  latencyMs: number;
  /** When the request arrived, in milliseconds on the mock's clock. */
  timestamp: number;
  /**
   * Fault mode only: the fault this request got, or `null`. A request a fault answered or cut before
   * the API saw it is recorded too (status 0 when no answer was sent at all).
   */
  fault?: MockFault | null;
  /**
   * Fault mode only: whether the API handled the request — its rules counted it and did what it
   * asked — even if a fault then kept the answer from the client (`reset-after`, `truncated-body`).
   * `false`: a fault answered in the API's place or cut the connection first; nothing was counted.
   */
  processed?: boolean;
  /**
   * Fault mode only: the trace id of the request's W3C `traceparent` header, where it has one — what
   * tells the attempts of one call apart from other calls to the same path.
   */
  traceId?: string;
}

/** Which rows `audit()` returns. */
export interface AuditFilter {
  /** Only rows of this tenant (the document's "per-tenant audit log"). */
  tenant?: string;
  /** Only rows of this key. */
  key?: string;
}

/** The one implementation of a dialect, over the Fetch API. The other fronts wrap it. */
export interface MockApi {
  /**
   * Answers one request. Never rejects: a failure inside the mock becomes a 500 in the dialect's error shape.
   * @example
   * ```ts
   * const response = await api.handle(
   *   new Request("https://api.campone.test/bookings", { headers: { authorization: "Bearer key_live_a" } }),
   * );
   * ```
   */
  handle(request: Request): Promise<Response>;
  /**
   * The audit log, oldest first (a copy).
   * @example
   * ```ts
   * api.audit({ key: "key_live_a" }).map((row) => row.status); // [200, 429, …]
   * ```
   */
  audit(filter?: AuditFilter): AuditEntry[];
  /**
   * Forgets every counter, the audit log, created bookings and the request-id sequence.
   * @example
   * ```ts
   * api.reset(); // a fresh mock: no counters, no audit rows, no created bookings
   * ```
   */
  reset(): void;
}

/** Options of `createMockHandlers`. */
export interface MockHandlersOptions extends MockApiOptions {
  /** Absolute URL the handlers answer under, e.g. `"https://api.campone.test"`. A path prefix is allowed. */
  baseUrl: string;
}

/** What `createMockHandlers` returns: msw request handlers and the log of what they answered. */
export interface MockHandlers {
  /** For `setupServer(...handlers)` from `msw/node`. */
  handlers: RequestHandler[];
  /**
   * The audit log, oldest first (a copy).
   * @example
   * ```ts
   * afterEach(() => expect(campone.audit().filter((row) => row.status === 429)).toEqual([]));
   * ```
   */
  audit(filter?: AuditFilter): AuditEntry[];
  /**
   * Forgets every counter, the audit log, created bookings and the request-id sequence.
   * @example
   * ```ts
   * afterEach(() => campone.reset()); // each test starts with a fresh mock
   * ```
   */
  reset(): void;
}

/** Options of `startMockServer`. */
export interface MockServerOptions extends MockApiOptions {
  /**
   * TCP port on 127.0.0.1; 0 picks any free port.
   * @default 0
   */
  port?: number;
}

/** A running mock server. */
export interface MockServer {
  /** `"http://127.0.0.1:PORT"`, no trailing slash. */
  url: string;
  /** The port the server listens on. */
  port: number;
  /** The dialect it speaks. */
  dialect: MockDialect;
  /**
   * The audit log, oldest first (a copy).
   * @example
   * ```ts
   * const statuses = server.audit().map((row) => row.status); // also GET /__admin/audit
   * ```
   */
  audit(filter?: AuditFilter): AuditEntry[];
  /**
   * Forgets every counter, the audit log, created bookings and the request-id sequence.
   * @example
   * ```ts
   * server.reset(); // also POST /__admin/reset
   * ```
   */
  reset(): void;
  /**
   * Stops accepting connections and resolves once the server is closed. Idempotent.
   * @example
   * ```ts
   * afterEach(() => server.close());
   * ```
   */
  close(): Promise<void>;
}
