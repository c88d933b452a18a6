export { HTTP_ERROR_NAMES, type HttpErrorName, PACEKEEPER_ERROR_BRAND } from "./brand.js";
export { ConnectionError, type ConnectionErrorInit } from "./connection-error.js";
export {
  type CreateHttpErrorInput,
  createHttpError,
  createLocalRateLimitError,
  type LocalRateLimitInput,
} from "./create-http-error.js";
export type { ErrorBodyParser, ParsedErrorBody } from "./error-body.js";
export {
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
} from "./guards.js";
export {
  formatHttpErrorMessage,
  HttpError,
  type HttpErrorCode,
  type HttpErrorInit,
  MAX_BODY_TEXT_CHARS,
  reasonPhrase,
} from "./http-error.js";
export { PacekeeperError, type PacekeeperErrorOptions } from "./pacekeeper-error.js";
export { RateLimitError, type RateLimitErrorInit } from "./rate-limit-error.js";
export { createRedactor, isSecretParamName, REDACTED, type Redactor, redactUrl } from "./redact.js";
export {
  AuthenticationError,
  ClientError,
  NotFoundError,
  PermissionError,
  ServerError,
} from "./status-errors.js";
export { TimeoutError, type TimeoutErrorInit } from "./timeout-error.js";
export {
  formatIssuePath,
  type RequestPart,
  RequestValidationError,
  type RequestValidationErrorInit,
  ResponseValidationError,
  type ResponseValidationErrorInit,
  type ValidationIssue,
} from "./validation-errors.js";
