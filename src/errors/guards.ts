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

/**
 * Any error pacekeeper made, from this copy of the package or another.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isPacekeeperError(error)) console.error(error.code, error.message); // no API key in either
 *   throw error;
 * }
 * ```
 */
export function isPacekeeperError(error: unknown): error is PacekeeperError {
  return isBranded(error);
}

/**
 * A non-success response: `HttpError` or one of its status subclasses.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isHttpError(error)) console.error(error.status, error.requestId, error.body?.message);
 *   throw error;
 * }
 * ```
 */
export function isHttpError(error: unknown): error is HttpError {
  return isBranded(error, HTTP_ERROR_NAMES);
}

/**
 * A 429, or pacekeeper's local refusal (`decidedLocally`); read `retryAfterMs`.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isRateLimitError(error)) console.error(`the key can send again in ${error.retryAfterMs ?? "?"} ms`);
 *   throw error;
 * }
 * ```
 */
export function isRateLimitError(error: unknown): error is RateLimitError {
  return isBranded(error, ["RateLimitError"]);
}

/**
 * A 401.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isAuthenticationError(error)) console.error("the server refused the API key (401)");
 *   throw error;
 * }
 * ```
 */
export function isAuthenticationError(error: unknown): error is AuthenticationError {
  return isBranded(error, ["AuthenticationError"]);
}

/**
 * A 403.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isPermissionError(error)) console.error("the key may not do this (403):", error.body?.message);
 *   throw error;
 * }
 * ```
 */
export function isPermissionError(error: unknown): error is PermissionError {
  return isBranded(error, ["PermissionError"]);
}

/**
 * A 404.
 * @example
 * ```ts
 * const booking = await client.get(`/api/v1/bookings/${id}`).catch((error: unknown) => {
 *   if (isNotFoundError(error)) return undefined; // no such booking
 *   throw error;
 * });
 * ```
 */
export function isNotFoundError(error: unknown): error is NotFoundError {
  return isBranded(error, ["NotFoundError"]);
}

/**
 * A 4xx other than 401, 403, 404 and 429. For any 4xx: `isHttpError(e) && e.status < 500`.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isClientError(error)) console.error(error.status, error.body?.message); // a 400, 409, 422…: fix the request
 *   throw error;
 * }
 * ```
 */
export function isClientError(error: unknown): error is ClientError {
  return isBranded(error, ["ClientError"]);
}

/**
 * A 5xx.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isServerError(error)) console.error(`${error.status} after ${error.attempts} attempts`);
 *   throw error;
 * }
 * ```
 */
export function isServerError(error: unknown): error is ServerError {
  return isBranded(error, ["ServerError"]);
}

/**
 * A network failure below HTTP.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isConnectionError(error)) console.error(`${error.method} ${error.url}: no answer`, error.cause);
 *   throw error;
 * }
 * ```
 */
export function isConnectionError(error: unknown): error is ConnectionError {
  return isBranded(error, ["ConnectionError"]);
}

/**
 * A per-attempt timeout or the total deadline.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isTimeoutError(error)) console.error(`the ${error.scope} timeout (${error.timeoutMs} ms) passed`);
 *   throw error;
 * }
 * ```
 */
export function isTimeoutError(error: unknown): error is TimeoutError {
  return isBranded(error, ["TimeoutError"]);
}

/**
 * The request failed its schema and was not sent.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isRequestValidationError(error)) console.error(error.part, error.issues); // nothing was sent
 *   throw error;
 * }
 * ```
 */
export function isRequestValidationError(error: unknown): error is RequestValidationError {
  return isBranded(error, ["RequestValidationError"]);
}

/**
 * The response did not match its schema.
 * @example
 * ```ts
 * try {
 *   await client.get("/api/v1/bookings");
 * } catch (error) {
 *   if (isResponseValidationError(error)) console.error(error.requestId, error.issues); // the body did not match
 *   throw error;
 * }
 * ```
 */
export function isResponseValidationError(error: unknown): error is ResponseValidationError {
  return isBranded(error, ["ResponseValidationError"]);
}
