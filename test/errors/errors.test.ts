import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { boothZenErrorBody, campOneErrorBody } from "../../src/dialects/error-bodies.js";
import { PACEKEEPER_ERROR_BRAND } from "../../src/errors/brand.js";
import { ConnectionError } from "../../src/errors/connection-error.js";
import {
  type CreateHttpErrorInput,
  createHttpError,
  createLocalRateLimitError,
} from "../../src/errors/create-http-error.js";
import {
  isAuthenticationError,
  isClientError,
  isConnectionError,
  isHttpError,
  isNotFoundError,
  isPacekeeperError,
  isPermissionError,
  isRateLimitError,
  isRequestValidationError,
  isResponseValidationError,
  isServerError,
  isTimeoutError,
} from "../../src/errors/guards.js";
import { HttpError, MAX_BODY_TEXT_CHARS } from "../../src/errors/http-error.js";
import { PacekeeperError } from "../../src/errors/pacekeeper-error.js";
import { RateLimitError } from "../../src/errors/rate-limit-error.js";
import { createRedactor, redactUrl } from "../../src/errors/redact.js";
import {
  AuthenticationError,
  ClientError,
  NotFoundError,
  PermissionError,
  ServerError,
} from "../../src/errors/status-errors.js";
import { TimeoutError } from "../../src/errors/timeout-error.js";
import { RequestValidationError, ResponseValidationError } from "../../src/errors/validation-errors.js";
import type { RateLimitSnapshot } from "../../src/headers/types.js";

const CAMPONE_429 = '{ "detail": "Request was throttled. Expected available in 600 seconds." }';
const BOOTHZEN_429 = JSON.stringify({
  error: {
    type: "rate_limit_error",
    code: "rate_limit_exceeded",
    message: "Rate limit exceeded. Retry after 14 seconds.",
    request_id: "req_01HX9KAVD3JZ7P4M2N5Q6R8T9V",
  },
});

function input(overrides: Partial<CreateHttpErrorInput> = {}): CreateHttpErrorInput {
  return {
    status: 500,
    headers: new Headers(),
    bodyText: "",
    attempts: 1,
    method: "GET",
    url: "http://127.0.0.1:4010/api/v1/bookings",
    ...overrides,
  };
}

const guards = {
  isRateLimitError,
  isAuthenticationError,
  isPermissionError,
  isNotFoundError,
  isClientError,
  isServerError,
  isConnectionError,
  isTimeoutError,
  isRequestValidationError,
  isResponseValidationError,
};

describe("createHttpError maps each status to its class", () => {
  it.each([
    [429, RateLimitError, "RateLimitError", "rate_limited", "isRateLimitError"],
    [401, AuthenticationError, "AuthenticationError", "authentication_failed", "isAuthenticationError"],
    [403, PermissionError, "PermissionError", "permission_denied", "isPermissionError"],
    [404, NotFoundError, "NotFoundError", "not_found", "isNotFoundError"],
    [400, ClientError, "ClientError", "client_error", "isClientError"],
    [408, ClientError, "ClientError", "client_error", "isClientError"],
    [422, ClientError, "ClientError", "client_error", "isClientError"],
    [499, ClientError, "ClientError", "client_error", "isClientError"],
    [500, ServerError, "ServerError", "server_error", "isServerError"],
    [503, ServerError, "ServerError", "server_error", "isServerError"],
    [599, ServerError, "ServerError", "server_error", "isServerError"],
    [302, HttpError, "HttpError", "http_error", undefined],
    [101, HttpError, "HttpError", "http_error", undefined],
    [600, HttpError, "HttpError", "http_error", undefined],
  ] as const)("%i → %O", (status, errorClass, name, code, guard) => {
    const error = createHttpError(input({ status }));
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toBeInstanceOf(PacekeeperError);
    expect(error).toBeInstanceOf(Error);
    expect(error.constructor).toBe(errorClass);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(isPacekeeperError(error)).toBe(true);
    expect(isHttpError(error)).toBe(true);
    for (const [guardName, check] of Object.entries(guards)) {
      expect(check(error), guardName).toBe(guardName === guard);
    }
  });
});

describe("HttpError fields", () => {
  it("carries everything the caller needs to decide", () => {
    const rateLimit: RateLimitSnapshot = {
      limit: 600,
      remaining: 0,
      resetMs: 14_000,
      policies: [{ limit: 600, windowMs: 60_000 }],
      source: "ietf-06",
    };
    const error = createHttpError(
      input({
        status: 429,
        statusText: "Too Many Requests",
        headers: new Headers({ "X-Request-Id": "req_header", "Retry-After": "14" }),
        bodyText: BOOTHZEN_429,
        errorBody: boothZenErrorBody,
        rateLimit,
        retryAfterMs: 14_000,
        attempts: 3,
        method: "post",
        url: new URL("http://127.0.0.1:4010/api/v1/bookings?page_size=200"),
        now: 1_000_000,
      }),
    );
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({
      status: 429,
      statusText: "Too Many Requests",
      requestId: "req_header",
      body: {
        message: "Rate limit exceeded. Retry after 14 seconds.",
        code: "rate_limit_exceeded",
        type: "rate_limit_error",
        requestId: "req_01HX9KAVD3JZ7P4M2N5Q6R8T9V",
      },
      bodyText: BOOTHZEN_429,
      rateLimit,
      retryAfterMs: 14_000,
      attempts: 3,
      method: "POST",
      url: "http://127.0.0.1:4010/api/v1/bookings?page_size=200",
      decidedLocally: false,
      retryAt: 1_014_000,
    });
  });

  it("takes the request id from the body when X-Request-Id is missing", () => {
    const error = createHttpError(
      input({ status: 429, bodyText: BOOTHZEN_429, errorBody: boothZenErrorBody }),
    );
    expect(error.requestId).toBe("req_01HX9KAVD3JZ7P4M2N5Q6R8T9V");
    expect(createHttpError(input()).requestId).toBeUndefined();
  });

  it("leaves body undefined when the body does not match the dialect, and keeps bodyText", () => {
    const error = createHttpError(
      input({ status: 429, bodyText: CAMPONE_429, errorBody: boothZenErrorBody }),
    );
    expect(error.body).toBeUndefined();
    expect(error.bodyText).toBe(CAMPONE_429);
    expect(error.message).toBe("429 Too Many Requests: rate limited by the server");
  });

  it("uses the generic parser when no dialect parser is given", () => {
    const error = createHttpError(input({ status: 404, bodyText: '{"message":"No such booking"}' }));
    expect(error.body?.message).toBe("No such booking");
  });

  it("truncates bodyText to 2 KiB of characters, never splitting a surrogate pair", () => {
    const long = "a".repeat(MAX_BODY_TEXT_CHARS - 1) + "😀".repeat(10);
    const error = createHttpError(input({ bodyText: long }));
    expect(error.bodyText.startsWith("a".repeat(MAX_BODY_TEXT_CHARS - 1))).toBe(true);
    expect(error.bodyText).toContain(`[truncated, ${long.length} characters]`);
    expect(error.bodyText).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(createHttpError(input({ bodyText: "short" })).bodyText).toBe("short");
  });

  it("drops a retryAfterMs that is not a finite wait ≥ 0, and normalizes attempts", () => {
    for (const retryAfterMs of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      expect(createHttpError(input({ status: 429, retryAfterMs, now: 0 }))).toMatchObject({
        retryAfterMs: undefined,
        retryAt: undefined,
      });
    }
    expect(createHttpError(input({ status: 429, retryAfterMs: 0 })).retryAfterMs).toBe(0);
    expect(createHttpError(input({ attempts: Number.NaN })).attempts).toBe(0);
    expect(createHttpError(input({ attempts: 2.7 })).attempts).toBe(2);
  });

  it("never throws, whatever the parser or headers do", () => {
    const throwing = () => {
      throw new Error("parser bug");
    };
    const junk = () => ({ message: 42 }) as never;
    const badHeaders = {
      get() {
        throw new Error("boom");
      },
    } as unknown as Headers;
    expect(createHttpError(input({ errorBody: throwing, bodyText: "{}" })).body).toBeUndefined();
    expect(createHttpError(input({ errorBody: junk, bodyText: "{}" })).body).toBeUndefined();
    expect(createHttpError(input({ headers: badHeaders })).requestId).toBeUndefined();
    expect(() => createHttpError(input({ url: "::not a url::" }))).not.toThrow();
  });
});

describe("message format: <status> <statusText>: <message> (request <id>)", () => {
  it("quotes the documented CampOne 429", () => {
    const error = createHttpError(
      input({
        status: 429,
        statusText: "Too Many Requests",
        bodyText: CAMPONE_429,
        errorBody: campOneErrorBody,
      }),
    );
    expect(error.message).toBe(
      "429 Too Many Requests: Request was throttled. Expected available in 600 seconds.",
    );
  });

  it("quotes the documented BoothZen 429 with its request id", () => {
    const error = createHttpError(
      input({
        status: 429,
        statusText: "Too Many Requests",
        headers: new Headers({ "x-request-id": "req_01HX9KAVD3JZ7P4M2N5Q6R8T9V" }),
        bodyText: BOOTHZEN_429,
        errorBody: boothZenErrorBody,
      }),
    );
    expect(error.message).toBe(
      "429 Too Many Requests: Rate limit exceeded. Retry after 14 seconds. (request req_01HX9KAVD3JZ7P4M2N5Q6R8T9V)",
    );
  });

  it("falls back to the standard reason phrase (HTTP/2 has none) and a generic message", () => {
    expect(createHttpError(input({ status: 401, statusText: "" })).message).toBe(
      "401 Unauthorized: authentication failed; check the API key",
    );
    expect(createHttpError(input({ status: 503 })).message).toBe(
      "503 Service Unavailable: the server failed to handle the request",
    );
    expect(createHttpError(input({ status: 418 })).message).toBe("418: the server rejected the request");
  });

  it("keeps server text on one line and bounded", () => {
    const error = createHttpError(
      input({
        status: 400,
        bodyText: JSON.stringify({ message: `line one\nINJECTED log line\r\n${"x".repeat(2000)}` }),
      }),
    );
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message.startsWith("400 Bad Request: line one INJECTED log line x")).toBe(true);
    expect(error.message.length).toBeLessThan(700);
  });
});

describe("RateLimitError decided locally", () => {
  const error = createLocalRateLimitError({
    retryAfterMs: 3_600_000,
    now: Date.UTC(2025, 0, 1),
    deadlineMs: 30_000,
    method: "get",
    url: "http://127.0.0.1:4010/api/v1/sites",
    attempts: 1,
  });

  it("says when to come back", () => {
    expect(error).toBeInstanceOf(RateLimitError);
    expect(isRateLimitError(error)).toBe(true);
    expect(error).toMatchObject({
      decidedLocally: true,
      status: 429,
      retryAfterMs: 3_600_000,
      retryAt: Date.UTC(2025, 0, 1, 1),
      attempts: 1,
      method: "GET",
      bodyText: "",
      requestId: undefined,
      body: undefined,
    });
    expect(error.message).toBe(
      "429 Too Many Requests (decided locally, not sent): the key can send again in 3600 s, at 2025-01-01T01:00:00.000Z, after the caller's deadline (in 30 s); retry after that time",
    );
  });

  it("keeps the pacer's refusal as cause", () => {
    const cause = new Error("gate closed");
    const wrapped = createLocalRateLimitError({
      retryAfterMs: 250,
      now: 0,
      method: "GET",
      url: "/x",
      attempts: 0,
      cause,
    });
    expect(wrapped.cause).toBe(cause);
    expect(wrapped.message).toContain("in 250 ms");
  });
});

describe("guards and instanceof across duplicate copies of the package", () => {
  /** What another copy's error looks like to this copy: a different class, the same brand and name. */
  function foreign(name: string, extra: Record<string, unknown> = {}) {
    const error = Object.assign(new Error("from another copy"), { name, ...extra });
    Object.defineProperty(error, Symbol.for("pacekeeper.error"), { value: true });
    return error;
  }

  it("uses the global symbol registry", () => {
    expect(PACEKEEPER_ERROR_BRAND).toBe(Symbol.for("pacekeeper.error"));
    expect((createHttpError(input()) as unknown as Record<symbol, unknown>)[PACEKEEPER_ERROR_BRAND]).toBe(
      true,
    );
  });

  it("recognises a branded error by its name", () => {
    const other = foreign("RateLimitError", { status: 429, retryAfterMs: 5000 });
    expect(isPacekeeperError(other)).toBe(true);
    expect(isHttpError(other)).toBe(true);
    expect(isRateLimitError(other)).toBe(true);
    expect(isServerError(other)).toBe(false);
    expect(other instanceof RateLimitError).toBe(true);
    expect(other instanceof HttpError).toBe(true);
    expect(other instanceof PacekeeperError).toBe(true);
    expect(other instanceof ServerError).toBe(false);
    expect(other instanceof ConnectionError).toBe(false);

    const timeout = foreign("TimeoutError");
    expect(isTimeoutError(timeout)).toBe(true);
    expect(isHttpError(timeout)).toBe(false);
    expect(timeout instanceof TimeoutError).toBe(true);
    expect(timeout instanceof HttpError).toBe(false);
  });

  it("rejects look-alikes without the brand, and never throws", () => {
    const unbranded = Object.assign(new Error("x"), { name: "RateLimitError", status: 429 });
    expect(isRateLimitError(unbranded)).toBe(false);
    expect(isPacekeeperError(unbranded)).toBe(false);
    expect(unbranded instanceof RateLimitError).toBe(false);
    expect(isPacekeeperError({ [Symbol.for("pacekeeper.error")]: "yes", name: "HttpError" })).toBe(false);
    for (const value of [undefined, null, 0, "RateLimitError", Symbol("x"), () => {}]) {
      expect(isPacekeeperError(value)).toBe(false);
      expect(isRateLimitError(value)).toBe(false);
    }
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("trap");
        },
      },
    );
    expect(isPacekeeperError(hostile)).toBe(false);
    expect(() => hostile instanceof RateLimitError).not.toThrow();
  });

  it("recognises subclasses made elsewhere (the pacer's own errors) by prototype and brand", () => {
    class PacerRefusal extends PacekeeperError {
      override readonly name = "PacerRefusal";
      readonly code = "refused";
    }
    const error = new PacerRefusal("no");
    expect(isPacekeeperError(error)).toBe(true);
    expect(error instanceof PacerRefusal).toBe(true);
    expect(isHttpError(error)).toBe(false);
    expect(foreign("PacerRefusal") instanceof PacerRefusal).toBe(false); // unregistered: prototype chain only
    expect(error.toJSON()).toMatchObject({ name: "PacerRefusal", code: "refused", message: "no" });
  });
});

describe("toJSON and util.inspect", () => {
  it("serializes to a plain object of the safe fields, without the stack", () => {
    const error = createHttpError(
      input({ status: 503, headers: new Headers({ "x-request-id": "r1" }), bodyText: '{"message":"down"}' }),
    );
    const json = JSON.parse(JSON.stringify(error));
    expect(json).toEqual(error.toJSON());
    expect(json).toEqual({
      name: "ServerError",
      code: "server_error",
      message: "503 Service Unavailable: down (request r1)",
      status: 503,
      statusText: "Service Unavailable",
      requestId: "r1",
      body: { message: "down", raw: { message: "down" } },
      bodyText: '{"message":"down"}',
      attempts: 1,
      method: "GET",
      url: "http://127.0.0.1:4010/api/v1/bookings",
    });
    expect(Object.getPrototypeOf(error.toJSON())).toBe(Object.prototype);
  });

  it("summarizes the cause chain", () => {
    const socket = Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" });
    const error = new ConnectionError({
      method: "GET",
      url: "http://h/x",
      attempts: 2,
      cause: new TypeError("fetch failed", { cause: socket }),
    });
    expect(error.toJSON().cause).toEqual({
      name: "TypeError",
      message: "fetch failed",
      cause: { name: "Error", message: "other side closed", code: "UND_ERR_SOCKET" },
    });
  });

  it("inspects with name, message and fields, and no request headers", () => {
    const error = createHttpError(input({ status: 404, headers: new Headers({ "x-request-id": "r2" }) }));
    const text = inspect(error);
    expect(text).toContain("NotFoundError: 404 Not Found: not found (request r2)");
    expect(text).toContain("status: 404");
    expect(text).toContain("code: 'not_found'");
    expect(Object.keys(error)).not.toContain("headers");
    expect(text).not.toMatch(/authorization/i);
  });
});

describe("ConnectionError, TimeoutError", () => {
  it("ConnectionError names the innermost cause", () => {
    const socket = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4010"), { code: "ECONNREFUSED" });
    const cause = new TypeError("fetch failed", { cause: socket });
    const error = new ConnectionError({
      method: "get",
      url: "http://127.0.0.1:4010/api/v1/x",
      attempts: 1,
      cause,
    });
    expect(error.message).toBe(
      "Network error on GET http://127.0.0.1:4010/api/v1/x: connect ECONNREFUSED 127.0.0.1:4010",
    );
    expect(error).toMatchObject({ name: "ConnectionError", code: "connection_failed", attempts: 1, cause });
    expect(isConnectionError(error)).toBe(true);
    expect(new ConnectionError({ method: "GET", url: "/x", attempts: 1 }).message).toBe(
      "Network error on GET /x: the connection failed",
    );
  });

  it("TimeoutError says which limit ran out", () => {
    const attempt = new TimeoutError({
      timeoutMs: 5000,
      scope: "attempt",
      method: "GET",
      url: "http://h/x",
      attempts: 1,
    });
    expect(attempt).toMatchObject({
      name: "TimeoutError",
      code: "timeout",
      timeoutMs: 5000,
      scope: "attempt",
    });
    expect(attempt.message).toBe("GET http://h/x timed out: the per-attempt timeout of 5000 ms ran out");
    const total = new TimeoutError({
      timeoutMs: 60_000,
      scope: "total",
      method: "GET",
      url: "http://h/x",
      attempts: 4,
    });
    expect(total.message).toContain("the total deadline of 60000 ms");
    expect(isTimeoutError(total)).toBe(true);
  });
});

describe("validation errors", () => {
  const Booking = z.object({
    items: z.array(z.object({ name: z.string() })),
    "page-size": z.number().max(200),
  });

  it("RequestValidationError puts the field path in the message", () => {
    const result = Booking.safeParse({ items: [{ name: "ok" }, { name: 7 }], "page-size": 500 });
    expect(result.success).toBe(false);
    const error = new RequestValidationError({
      issues: result.error?.issues ?? [],
      part: "body",
      method: "post",
    });
    expect(error.message).toMatch(
      /^Invalid request body at "items\[1\]\.name": Invalid input: expected string, received number \(and 1 more issue\); the request was not sent$/,
    );
    expect(error.issues).toHaveLength(2);
    expect(error).toMatchObject({ code: "request_invalid", part: "body", method: "POST", url: undefined });
    expect(isRequestValidationError(error)).toBe(true);

    const quoted = Booking.safeParse({ items: [], "page-size": 500 });
    expect(
      new RequestValidationError({ issues: quoted.error?.issues ?? [], part: "query" }).message,
    ).toContain('Invalid request query at "["page-size"]"');
    const root = z.string().safeParse(1);
    expect(new RequestValidationError({ issues: root.error?.issues ?? [] }).message).toContain(
      'Invalid request at "(root)"',
    );
  });

  it("ResponseValidationError carries status, request id and issues", () => {
    const result = z.object({ id: z.string() }).safeParse({ id: 1 });
    const error = new ResponseValidationError({
      status: 200,
      requestId: "req_9",
      issues: result.error?.issues ?? [],
      method: "GET",
      url: "http://h/api/v1/bookings/1",
      attempts: 1,
    });
    expect(error.message).toBe(
      'Response to GET http://h/api/v1/bookings/1 (200, request req_9) did not match the schema at "id": Invalid input: expected string, received number',
    );
    expect(error).toMatchObject({ code: "response_invalid", status: 200, requestId: "req_9" });
    expect(isResponseValidationError(error)).toBe(true);
  });

  it("ResponseValidationError for a body that is not JSON", () => {
    let cause: unknown;
    try {
      JSON.parse("<html>");
    } catch (error) {
      cause = error;
    }
    const error = new ResponseValidationError({
      status: 200,
      issues: [],
      method: "GET",
      url: "/x",
      attempts: 1,
      cause,
    });
    expect(error.message).toMatch(/^Response to GET \/x \(200\) could not be parsed: Unexpected token/);
    expect(error.cause).toBe(cause);
  });
});

describe("redactUrl", () => {
  it.each([
    ["http://user:pw@h/x", "http://h/x"],
    ["http://h/x?api_key=k1&page=2", "http://h/x?api_key=REDACTED&page=2"],
    ["http://h/x?page=2#access_token=abc", "http://h/x?page=2"],
    [
      "http://h/x?key=1&apikey=2&token=3&access_token=4&secret=5&password=6&signature=7&sig=8",
      "http://h/x?key=REDACTED&apikey=REDACTED&token=REDACTED&access_token=REDACTED&secret=REDACTED&password=REDACTED&signature=REDACTED&sig=REDACTED",
    ],
    [
      "http://h/x?apiKey=1&X-Amz-Signature=2&client_secret=3&refreshToken=4&q=a%20b+c",
      "http://h/x?apiKey=REDACTED&X-Amz-Signature=REDACTED&client_secret=REDACTED&refreshToken=REDACTED&q=a%20b+c",
    ],
    ["http://h/x?api%5Fkey=1&monkey=2&sort=asc", "http://h/x?api%5Fkey=REDACTED&monkey=2&sort=asc"],
    ["/api/v1/x?token=abc&page_size=200", "/api/v1/x?token=REDACTED&page_size=200"],
    ["::not a url::?token=abc", "/::not%20a%20url::?token=REDACTED"],
  ])("%s → %s", (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it("accepts URL objects", () => {
    expect(redactUrl(new URL("https://u:p@example.com/a?secret=s"))).toBe(
      "https://example.com/a?secret=REDACTED",
    );
  });
});

describe("createRedactor", () => {
  it("finds a key inside other text, in any case", () => {
    expect(createRedactor(["key_live_123456"]).text("xKEY_LIVE_123456y")).toBe("x[REDACTED]y");
  });

  it("finds a short key (a test's) only whole, not inside words", () => {
    const { text } = createRedactor(["k"]);
    expect(text("Network error on GET http://h/bookings/k?x=k")).toBe(
      "Network error on GET http://h/bookings/[REDACTED]?x=[REDACTED]",
    );
  });

  it("leaves text it redacted as it is: the marker is never redacted again", () => {
    for (const secret of ["e", "ACT", "[REDACTED]", "key_REDACTED_0001"]) {
      const { text } = createRedactor([secret]);
      const once = text(`${secret}: Expected a key`);
      expect(text(once)).toBe(once);
      expect(once.startsWith("[REDACTED]:")).toBe(true);
    }
  });
});

describe("secrets never appear in an error", () => {
  const KEY = "key_live_9f8e7d6c5b4a3210";

  function renderings(error: Error): Record<string, string> {
    return {
      message: error.message,
      stack: String(error.stack),
      inspect: inspect(error, { depth: Number.POSITIVE_INFINITY }),
      json: JSON.stringify(error),
      properties: JSON.stringify(Object.entries(error)),
      string: String(error),
    };
  }

  function expectAbsent(error: Error, key: string): void {
    const escaped = JSON.stringify(key).slice(1, -1);
    for (const [where, text] of Object.entries(renderings(error))) {
      expect(text.includes(key), `${where} contains the key: ${text}`).toBe(false);
      expect(text.includes(escaped), `${where} contains the escaped key`).toBe(false);
    }
  }

  /** Every place a key can reach an HttpError: URL (query, userinfo, path), status text, request id, body. */
  function leakyHttpError(key: string, secrets: string[] | undefined) {
    const url = new URL("http://127.0.0.1:4010/");
    url.username = key;
    url.password = key;
    url.pathname = `/api/v1/keys/${key}`;
    url.searchParams.set("api_key", key);
    url.searchParams.set("page", "2");
    return createHttpError({
      status: 429,
      statusText: `Too Many Requests for ${key}`,
      headers: new Headers({ "x-request-id": `req_${encodeURIComponent(key)}` }),
      bodyText: JSON.stringify({
        error: { type: "rate_limit_error", code: key, message: `Key ${key} is throttled`, request_id: key },
        echo: { [key]: key, list: [key, `prefix ${key} suffix`] },
      }),
      errorBody: boothZenErrorBody,
      retryAfterMs: 1000,
      attempts: 1,
      method: "GET",
      url,
      secrets,
    });
  }

  it("keeps a key out of the URL even without the secrets list (userinfo, secret-looking query names)", () => {
    const url = `http://${KEY}:${KEY}@127.0.0.1:4010/api/v1/x?api_key=${KEY}&token=${KEY}#${KEY}`;
    for (const error of [
      createHttpError(input({ url })),
      new ConnectionError({ method: "GET", url, attempts: 1 }),
      new TimeoutError({ method: "GET", url, attempts: 1, timeoutMs: 1, scope: "total" }),
      new ResponseValidationError({ status: 200, issues: [], method: "GET", url, attempts: 1 }),
      new RequestValidationError({ issues: [], url }),
      createLocalRateLimitError({ retryAfterMs: 1, now: 0, method: "GET", url, attempts: 0 }),
    ]) {
      expectAbsent(error, KEY);
    }
  });

  it("redacts a key the server reflected, wherever it is", () => {
    const error = leakyHttpError(KEY, [KEY]);
    expectAbsent(error, KEY);
    expect(error.message).toBe(
      "429 Too Many Requests for [REDACTED]: Key [REDACTED] is throttled (request req_[REDACTED])",
    );
    expect(error.body).toMatchObject({ code: "[REDACTED]", requestId: "[REDACTED]" });
    expect(error.bodyText).toContain("[REDACTED]");
  });

  it.each(['key"with\\quotes', "key with spaces/and+plus=", "kéy_ünïcode_🔑_1234"])(
    "redacts a key that JSON or URLs must escape: %s",
    (key) => {
      const error = leakyHttpError(key, [key]);
      expectAbsent(error, key);
      expect(error.bodyText).not.toContain(JSON.stringify(key).slice(1, -1));
      expect(error.url).not.toContain(encodeURIComponent(key));
      expect(error.url).not.toContain(encodeURI(key));
    },
  );

  it("the test above can fail: without the secrets list the reflected key shows", () => {
    const error = leakyHttpError(KEY, undefined);
    expect(error.message).toContain(KEY);
    expect(error.url).toContain("api_key=REDACTED");
  });

  it("redacts a key in a wrapped cause without mutating the caller's error", () => {
    const socket = Object.assign(new Error(`reset while sending ${KEY}`), {
      code: "ECONNRESET",
      detail: KEY,
    });
    const cause = new TypeError("fetch failed", { cause: socket });
    const error = new ConnectionError({
      method: "GET",
      url: "http://h/x",
      attempts: 1,
      cause,
      secrets: [KEY],
    });
    expectAbsent(error, KEY);
    expect(error.message).toBe(
      "Network error on GET http://h/x: reset while sending [REDACTED] (ECONNRESET)",
    );
    // A redacted copy of the same class, with the same code.
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(((error.cause as Error).cause as { code: string }).code).toBe("ECONNRESET");
    expect(socket.message).toContain(KEY);
    // A cause that does not mention the key is kept as is.
    const clean = new Error("boom");
    expect(
      new ConnectionError({ method: "GET", url: "/x", attempts: 1, cause: clean, secrets: [KEY] }).cause,
    ).toBe(clean);
  });

  it("redacts the key in validation messages and issues", () => {
    const schema = z.object({
      token: z.string().refine((value) => value.length < 5, { message: `bad ${KEY}` }),
    });
    const result = schema.safeParse({ token: KEY });
    const error = new RequestValidationError({
      issues: result.error?.issues ?? [],
      part: "body",
      secrets: [KEY],
    });
    expectAbsent(error, KEY);
    expect(error.message).toContain("bad [REDACTED]");
  });

  const realisticKey = fc.string({
    unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~+/="),
    minLength: 8,
    maxLength: 64,
  });

  /** Leaves out keys that are part of the rendering anyway ("Requests", "REDACTED", "http://1"): no leak can be told apart there. */
  function incidental(key: string): boolean {
    const control = renderings(leakyHttpError("Zq9Zq9Zq9Zq9", ["Zq9Zq9Zq9Zq9"]));
    return Object.values(control).some(
      (text) => text.includes(key) || text.includes(JSON.stringify(key).slice(1, -1)),
    );
  }

  it("property: a key of 8+ characters placed in url and body never appears (realistic alphabet)", () => {
    fc.assert(
      fc.property(realisticKey, (key) => {
        fc.pre(!incidental(key));
        expectAbsent(leakyHttpError(key, [key]), key);
      }),
      { numRuns: 300 },
    );
  });

  it("property: the same for arbitrary printable strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 8, maxLength: 40 }), (key) => {
        fc.pre(key.trim() === key && !/\s/.test(key) && !incidental(key));
        expectAbsent(leakyHttpError(key, [key]), key);
        expectAbsent(
          new ConnectionError({
            method: "GET",
            url: `http://h/${key}`,
            attempts: 1,
            cause: new Error(key),
            secrets: [key],
          }),
          key,
        );
      }),
      { numRuns: 300 },
    );
  });
});
