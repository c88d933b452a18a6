// The public surface of `pacekeeper`: named exports only. Internal modules not listed here
// (src/client/*, the pacer's parts) may change between minor versions.

// Batch jobs: a key pool, worker threads, progress and logging (src/batch/).
export {
  createKeyPool,
  createLogHooks,
  createProgress,
  isWorkerCrashedError,
  type JobOutcome,
  type KeyPool,
  type KeyPoolFromClientsOptions,
  type KeyPoolFromKeysOptions,
  type KeyPoolKeyStats,
  type KeyPoolOptions,
  LOG_LEVELS,
  type LogHooksOptions,
  type LogLevelName,
  type LogRecord,
  type PinoLikeLogger,
  type Progress,
  type ProgressBudget,
  type ProgressOptions,
  type ProgressStream,
  type ProgressSummary,
  type RunInWorkersOptions,
  runInWorkers,
  type SerializedError,
  serializeError,
  serveWorkerJobs,
  toLogRecord,
  type WorkerBatchResult,
  type WorkerClientContext,
  WorkerCrashedError,
  type WorkerJobHandler,
} from "./batch/index.js";
export type { Client } from "./client/create-client.js";
export { createClient } from "./client/create-client.js";
export type { ClientOptions, RetryOptions } from "./client/options.js";
export type { QueryValue, RequestOptions } from "./client/request.js";
export { type Clock, realClock } from "./clock.js";
export type { ErrorBodyParser, ParsedErrorBody } from "./dialects/error-bodies.js";
export type {
  BackoffOptions,
  BoothZenOptions,
  CampOneOptions,
  Dialect,
  IetfOptions,
} from "./dialects/index.js";
export { boothzen, campone, ietf } from "./dialects/index.js";
export {
  AuthenticationError,
  ClientError,
  ConnectionError,
  createHttpError,
  HttpError,
  type HttpErrorCode,
  type HttpErrorName,
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
  NotFoundError,
  PacekeeperError,
  PermissionError,
  RateLimitError,
  type RequestPart,
  RequestValidationError,
  ResponseValidationError,
  ServerError,
  TimeoutError,
  type ValidationIssue,
} from "./errors/index.js";
// Not exported: the redaction helpers and error `…Init` shapes (src/errors/*), internal to the errors.
export { keyFingerprint } from "./fingerprint.js";
export { parseRetryAfter, readRateLimit } from "./headers/index.js";
export type { RateLimitPolicy, RateLimitSnapshot } from "./headers/types.js";
export type {
  GiveUpEvent,
  Hooks,
  PacekeeperEvent,
  RateLimitedEvent,
  RequestEvent,
  ResponseEvent,
  RetryEvent,
  WaitEvent,
} from "./hooks.js";
export { channels } from "./hooks.js";
export { createPacer, type Pacer, type PacerOptions } from "./pacer/create-pacer.js";
export { PacerDeadlineError } from "./pacer/deadline-error.js";
export { type KeyPacerConfig, LocalKeyPacer } from "./pacer/local-key-pacer.js";
export { memoryStore, type PacerStore } from "./pacer/store.js";
export type {
  AcquireOptions,
  Limit,
  Permit,
  ReleaseResult,
  SendOutcome,
  WaitInfo,
  WaitReason,
} from "./pacer/types.js";
export type { BackoffPolicy } from "./retry/backoff.js";
export type { FetchLike } from "./transport.js";
export { VERSION } from "./version.js";
export { createVirtualClock, type VirtualClock } from "./virtual-clock.js";
