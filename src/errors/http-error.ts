import type { RateLimitSnapshot } from "../headers/types.js";
import { HTTP_ERROR_NAMES, type HttpErrorName, registerErrorClass } from "./brand.js";
import type { ParsedErrorBody } from "./error-body.js";
import { attemptCount, oneLine, truncate, validDelay } from "./normalize.js";
import { PacekeeperError, type PacekeeperErrorOptions } from "./pacekeeper-error.js";
import { createRedactor, type Redactor, redactUrl } from "./redact.js";

/** The `code` of each `HttpError` class. */
export type HttpErrorCode =
  | "http_error"
  | "rate_limited"
  | "authentication_failed"
  | "permission_denied"
  | "not_found"
  | "client_error"
  | "server_error";

/** `bodyText` keeps this many characters (UTF-16 code units) of the response body. */
export const MAX_BODY_TEXT_CHARS = 2048;

/** The longest body message quoted in `error.message`. */
const MAX_MESSAGE_CHARS = 500;

export interface HttpErrorInit extends PacekeeperErrorOptions {
  /** Replaces the message `"<status> <statusText>: <body message> (request <id>)"`. */
  message?: string;
  status: number;
  /** The reason phrase; empty (HTTP/2) or missing falls back to the standard one. */
  statusText?: string;
  requestId?: string;
  body?: ParsedErrorBody;
  /** The response body as text; kept redacted and truncated to `MAX_BODY_TEXT_CHARS`. */
  bodyText?: string;
  rateLimit?: RateLimitSnapshot;
  /** Milliseconds the server asked to wait (`Retry-After`); ignored unless finite and ≥ 0. */
  retryAfterMs?: number;
  /** Attempts made, this one included. */
  attempts: number;
  method: string;
  url: string | URL;
}

/**
 * The server answered with a status that is not a success. Subclasses by status:
 * `RateLimitError` (429), `AuthenticationError` (401), `PermissionError` (403),
 * `NotFoundError` (404), `ClientError` (other 4xx), `ServerError` (5xx); any other status
 * (an unexpected 1xx/3xx) is an `HttpError` itself. Made by `createHttpError`.
 */
export class HttpError extends PacekeeperError {
  static {
    registerErrorClass(HttpError, "HttpError", HTTP_ERROR_NAMES);
  }

  override readonly name: HttpErrorName = "HttpError";
  readonly code: HttpErrorCode = "http_error";
  /** The response status. */
  readonly status: number;
  /** The reason phrase, or the standard one where the server sent none. */
  readonly statusText: string;
  /** `X-Request-Id`, else the body's request id: quote it to the API's support. */
  readonly requestId: string | undefined;
  /** The error body, where it matched the dialect's schema; else undefined (see `bodyText`). */
  readonly body: ParsedErrorBody | undefined;
  /** The body as text, at most `MAX_BODY_TEXT_CHARS` characters, secrets redacted. */
  readonly bodyText: string;
  /** What the response's rate-limit headers said (openai-node#1477: errors must keep them). */
  readonly rateLimit: RateLimitSnapshot | undefined;
  /** How long the server asked to wait before the next request of the key, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** Attempts made before giving up, this one included. */
  readonly attempts: number;
  /** The request method, upper-cased. */
  readonly method: string;
  /** The request URL without userinfo, fragment or secret-looking query values. */
  readonly url: string;

  constructor(init: HttpErrorInit) {
    const redactor = createRedactor(init.secrets);
    const status = init.status;
    const given = typeof init.statusText === "string" ? init.statusText : "";
    const statusText = redactor.text(given === "" ? reasonPhrase(status) : given);
    const requestId = typeof init.requestId === "string" ? redactor.text(init.requestId) : undefined;
    const body = init.body === undefined ? undefined : redactBody(init.body, redactor);
    super(init.message ?? formatHttpErrorMessage(status, statusText, body?.message, requestId), init);
    this.status = status;
    this.statusText = statusText;
    this.requestId = requestId;
    this.body = body;
    this.bodyText = truncate(redactor.text(init.bodyText ?? ""), MAX_BODY_TEXT_CHARS);
    this.rateLimit = init.rateLimit;
    this.retryAfterMs = validDelay(init.retryAfterMs);
    this.attempts = attemptCount(init.attempts);
    this.method = redactor.text(String(init.method).toUpperCase());
    this.url = redactor.text(redactUrl(init.url));
  }
}

/** `"429 Too Many Requests: Rate limit exceeded. (request req_1)"`; a generic phrase stands in for a missing body message. */
export function formatHttpErrorMessage(
  status: number,
  statusText: string,
  bodyMessage: string | undefined,
  requestId: string | undefined,
): string {
  const said = bodyMessage === undefined ? "" : oneLine(bodyMessage, MAX_MESSAGE_CHARS);
  const head = statusText === "" ? `${status}` : `${status} ${oneLine(statusText, 100)}`;
  const id = requestId === undefined || requestId === "" ? "" : ` (request ${oneLine(requestId, 200)})`;
  return `${head}: ${said === "" ? genericMessage(status) : said}${id}`;
}

function genericMessage(status: number): string {
  if (status === 429) return "rate limited by the server";
  if (status === 401) return "authentication failed; check the API key";
  if (status === 403) return "the key is not permitted to do this";
  if (status === 404) return "not found";
  if (status === 408) return "the server timed out waiting for the request";
  if (status >= 400 && status < 500) return "the server rejected the request";
  if (status >= 500 && status < 600) return "the server failed to handle the request";
  return "unexpected response status";
}

const REASON_PHRASES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  425: "Too Early",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The standard reason phrase of a status (HTTP/2 responses have none), else "". */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? "";
}

function redactBody(body: ParsedErrorBody, redactor: Redactor): ParsedErrorBody {
  if (!redactor.active) return body;
  const copy: ParsedErrorBody = { message: redactor.text(body.message), raw: redactor.deep(body.raw) };
  if (body.code !== undefined) copy.code = redactor.text(body.code);
  if (body.type !== undefined) copy.type = redactor.text(body.type);
  if (body.requestId !== undefined) copy.requestId = redactor.text(body.requestId);
  return copy;
}
