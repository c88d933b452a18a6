import { HTTP_ERROR_NAMES, isBranded } from "./brand.js";
import type { ConnectionError } from "./connection-error.js";
import type { HttpError } from "./http-error.js";
import type { PacekeeperError } from "./pacekeeper-error.js";
import type { RateLimitError } from "./rate-limit-error.js";
import type {
  AuthenticationError,
  ClientError,
  NotFoundError,
  PermissionError,
  ServerError,
} from "./status-errors.js";
import type { TimeoutError } from "./timeout-error.js";
import type { RequestValidationError, ResponseValidationError } from "./validation-errors.js";

// The guards check the `Symbol.for("pacekeeper.error")` brand and the `name`, never the prototype
// chain, so an error thrown by another copy of pacekeeper in the same process is recognised.
// They never throw, whatever they are given.

/** Any error pacekeeper made, from this copy of the package or another. */
export function isPacekeeperError(error: unknown): error is PacekeeperError {
  return isBranded(error);
}

/** A non-success response: `HttpError` or one of its status subclasses. */
export function isHttpError(error: unknown): error is HttpError {
  return isBranded(error, HTTP_ERROR_NAMES);
}

/** A 429, or pacekeeper's local refusal (`decidedLocally`); read `retryAfterMs`. */
export function isRateLimitError(error: unknown): error is RateLimitError {
  return isBranded(error, ["RateLimitError"]);
}

/** A 401. */
export function isAuthenticationError(error: unknown): error is AuthenticationError {
  return isBranded(error, ["AuthenticationError"]);
}

/** A 403. */
export function isPermissionError(error: unknown): error is PermissionError {
  return isBranded(error, ["PermissionError"]);
}

/** A 404. */
export function isNotFoundError(error: unknown): error is NotFoundError {
  return isBranded(error, ["NotFoundError"]);
}

/** A 4xx other than 401, 403, 404 and 429. For any 4xx: `isHttpError(e) && e.status < 500`. */
export function isClientError(error: unknown): error is ClientError {
  return isBranded(error, ["ClientError"]);
}

/** A 5xx. */
export function isServerError(error: unknown): error is ServerError {
  return isBranded(error, ["ServerError"]);
}

/** A network failure below HTTP. */
export function isConnectionError(error: unknown): error is ConnectionError {
  return isBranded(error, ["ConnectionError"]);
}

/** A per-attempt timeout or the total deadline. */
export function isTimeoutError(error: unknown): error is TimeoutError {
  return isBranded(error, ["TimeoutError"]);
}

/** The request failed its schema and was not sent. */
export function isRequestValidationError(error: unknown): error is RequestValidationError {
  return isBranded(error, ["RequestValidationError"]);
}

/** The response did not match its schema. */
export function isResponseValidationError(error: unknown): error is ResponseValidationError {
  return isBranded(error, ["ResponseValidationError"]);
}
