import { ConnectionError } from "../errors/connection-error.js";
import { createLocalRateLimitError } from "../errors/create-http-error.js";
import type { RateLimitError } from "../errors/rate-limit-error.js";
import { TimeoutError } from "../errors/timeout-error.js";
import { type RequestPart, RequestValidationError } from "../errors/validation-errors.js";
import type { PacerDeadlineError } from "../pacer/deadline-error.js";

/** What an error needs to know of the request it reports on. The key travels only as a secret to redact. */
export interface FailedRequest {
  method: string;
  url: string;
  secrets: readonly string[];
}

export function connectionFailed(cause: unknown, request: FailedRequest, attempts: number): ConnectionError {
  return new ConnectionError({
    cause,
    method: request.method,
    url: request.url,
    attempts,
    secrets: request.secrets,
  });
}

export function timedOut(
  timeoutMs: number,
  scope: "attempt" | "total",
  request: FailedRequest,
  attempts: number,
): TimeoutError {
  return new TimeoutError({
    timeoutMs,
    scope,
    method: request.method,
    url: request.url,
    attempts,
    secrets: request.secrets,
  });
}

/** The pacer knows the key cannot send before the deadline: fail now and say when to come back. */
export function rateLimitedLocally(
  refusal: PacerDeadlineError,
  request: FailedRequest,
  attempts: number,
  deadline: number,
): RateLimitError {
  const now = refusal.retryAt - refusal.retryAfterMs;
  return createLocalRateLimitError({
    retryAfterMs: refusal.retryAfterMs,
    now,
    deadlineMs: Math.max(0, deadline - now),
    method: request.method,
    url: request.url,
    attempts,
    secrets: request.secrets,
    cause: refusal,
  });
}

/**
 * A request refused before anything was sent: what fetch itself would refuse, or what would carry
 * the key to another origin.
 */
export function invalidRequest(
  part: RequestPart,
  message: string,
  path: readonly PropertyKey[],
  request: { method: unknown; url: unknown; options: { secrets: readonly string[] } },
): RequestValidationError {
  return new RequestValidationError({
    issues: [{ message, path, code: "invalid_request" }],
    part,
    method: typeof request.method === "string" ? request.method : undefined,
    url: safeUrlText(request.url),
    secrets: request.options.secrets,
  });
}

function safeUrlText(value: unknown): string | undefined {
  try {
    return String(value);
  } catch {
    return undefined;
  }
}
