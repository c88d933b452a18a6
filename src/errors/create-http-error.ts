import { requestIdOf } from "../headers/request-id.js";
import type { RateLimitSnapshot } from "../headers/types.js";
import { type ErrorBodyParser, genericErrorBody, type ParsedErrorBody } from "./error-body.js";
import { HttpError, type HttpErrorInit } from "./http-error.js";
import { validDelay } from "./normalize.js";
import { RateLimitError } from "./rate-limit-error.js";
import {
  AuthenticationError,
  ClientError,
  NotFoundError,
  PermissionError,
  ServerError,
} from "./status-errors.js";

export interface CreateHttpErrorInput {
  status: number;
  statusText?: string;
  /** The **response** headers (`X-Request-Id`); never the request's, which hold the key. */
  headers: Headers;
  /** The response body as text (the client reads it once, whatever its content type). */
  bodyText: string;
  /** The dialect's error-body parser. @default genericErrorBody */
  errorBody?: ErrorBodyParser;
  rateLimit?: RateLimitSnapshot;
  /**
   * Whether the server refused the request for its rate, whatever the status (GitHub's 403).
   * @default status === 429
   */
  rateLimited?: boolean;
  /** The wait the server asked for, in milliseconds (parsed `Retry-After`). */
  retryAfterMs?: number;
  /** Attempts made, this one included. */
  attempts: number;
  method: string;
  url: string | URL;
  /** Strings never to show (the API key): replaced by `[REDACTED]` in message, status text, body and URL. */
  secrets?: readonly string[];
  /** `clock.now()` when the response arrived; with `retryAfterMs` it sets `RateLimitError.retryAt`. */
  now?: number;
  cause?: unknown;
}

/**
 * The error for a response that is not a success, of the class its status calls for (the model is
 * openai-node's `APIError.generate`): 429 (or another refusal for the rate, `rateLimited`)
 * `RateLimitError`, 401 `AuthenticationError`, 403
 * `PermissionError`, 404 `NotFoundError`, other 4xx `ClientError`, 5xx `ServerError`, anything
 * else `HttpError`. The body is parsed by `errorBody`; `requestId` comes from `X-Request-Id`, else
 * the body. Never throws, whatever the body or the parser does.
 */
export function createHttpError(input: CreateHttpErrorInput): HttpError {
  const body = parseBody(input.errorBody ?? genericErrorBody, input.bodyText);
  const init: HttpErrorInit = {
    status: input.status,
    statusText: input.statusText,
    requestId: requestIdOf(input.headers) ?? body?.requestId,
    body,
    bodyText: typeof input.bodyText === "string" ? input.bodyText : "",
    rateLimit: input.rateLimit,
    retryAfterMs: input.retryAfterMs,
    attempts: input.attempts,
    method: input.method,
    url: input.url,
    secrets: input.secrets,
  };
  if (input.cause !== undefined) init.cause = input.cause;
  const status = input.status;
  if (input.rateLimited ?? status === 429) {
    const wait = validDelay(input.retryAfterMs);
    const retryAt = wait !== undefined && typeof input.now === "number" ? input.now + wait : undefined;
    return new RateLimitError({ ...init, retryAt });
  }
  if (status === 401) return new AuthenticationError(init);
  if (status === 403) return new PermissionError(init);
  if (status === 404) return new NotFoundError(init);
  if (status >= 400 && status < 500) return new ClientError(init);
  if (status >= 500 && status < 600) return new ServerError(init);
  return new HttpError(init);
}

export interface LocalRateLimitInput {
  /** How long until the key can send again, in milliseconds. */
  retryAfterMs: number;
  /** `clock.now()` at the refusal; `retryAt` is `now + retryAfterMs`. */
  now: number;
  /** Time that was left until the caller's deadline, in milliseconds, for the message. */
  deadlineMs?: number;
  method: string;
  url: string | URL;
  /** Attempts already sent (0 when the first one was refused). */
  attempts: number;
  /** The last rate-limit snapshot of the key, where one is known. */
  rateLimit?: RateLimitSnapshot;
  secrets?: readonly string[];
  /** The pacer's refusal, if it threw one. */
  cause?: unknown;
}

/**
 * The `RateLimitError` pacekeeper throws without sending when the key's next possible send lies
 * beyond the caller's deadline: `decidedLocally: true`, and `retryAfterMs`/`retryAt` say when to
 * come back. Status 429 so that code written for the server's 429 handles it the same way.
 */
export function createLocalRateLimitError(input: LocalRateLimitInput): RateLimitError {
  const wait = validDelay(input.retryAfterMs);
  const retryAt = wait !== undefined && Number.isFinite(input.now) ? input.now + wait : undefined;
  const when =
    wait === undefined
      ? "at an unknown time"
      : `in ${formatWait(wait)}${retryAt === undefined ? "" : `, at ${isoTime(retryAt)}`}`;
  const deadline =
    validDelay(input.deadlineMs) === undefined
      ? "the caller's deadline"
      : `the caller's deadline (in ${formatWait(input.deadlineMs ?? 0)})`;
  const message = `429 Too Many Requests (decided locally, not sent): the key can send again ${when}, after ${deadline}; retry after that time`;
  const init = {
    message,
    status: 429,
    statusText: "Too Many Requests",
    bodyText: "",
    rateLimit: input.rateLimit,
    retryAfterMs: wait,
    attempts: input.attempts,
    method: input.method,
    url: input.url,
    secrets: input.secrets,
    decidedLocally: true,
    retryAt,
  };
  return new RateLimitError(input.cause === undefined ? init : { ...init, cause: input.cause });
}

/** `"250 ms"`, `"1.5 s"`, `"3600 s"`. */
function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)} ms`;
  if (ms < 10_000) return `${Math.ceil(ms / 100) / 10} s`;
  return `${Math.ceil(ms / 1000)} s`;
}

function isoTime(epochMs: number): string {
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? `${epochMs} ms since the epoch` : date.toISOString();
}

/** A custom parser may throw or return junk; only a well-formed result is kept. */
function parseBody(parse: ErrorBodyParser, bodyText: unknown): ParsedErrorBody | undefined {
  if (typeof bodyText !== "string") return undefined;
  try {
    const body = parse(bodyText);
    if (typeof body !== "object" || body === null || typeof body.message !== "string") return undefined;
    const clean: ParsedErrorBody = { message: body.message, raw: body.raw };
    if (typeof body.code === "string") clean.code = body.code;
    if (typeof body.type === "string") clean.type = body.type;
    if (typeof body.requestId === "string" && body.requestId !== "") clean.requestId = body.requestId;
    return clean;
  } catch {
    return undefined;
  }
}
