// `pacekeeper`: the client, its dialects, errors, events, and the pacer's contract. Named exports
// only; everything not listed here is internal and may change between minor versions.
// Batch tooling is `pacekeeper/batch`, test helpers `pacekeeper/testing`.

export type { Auth, SignableRequest } from "./client/auth.js";
export type { BudgetOptions } from "./client/budget.js";
// `CallPromise` is a type only: the client makes them, callers only read them.
export type { CallPromise, WithResponse } from "./client/call-promise.js";
// The client. (`Paginates` and `ReadsBudget` are parts of `Client`, named through it.)
export type { Client, ShortcutMethod } from "./client/create-client.js";
export { createClient } from "./client/create-client.js";
export type { ExtendOptions } from "./client/extend-options.js";
export type { ClientOptions, RetryOptions } from "./client/options.js";
export type { PaginateOptions } from "./client/paginate.js";
export type { ClientRequestInit } from "./client/prepare.js";
export type { QueryValue, RequestMethod, RequestOptions, ShortcutOptions } from "./client/request.js";
// Any schema library that implements it: zod, valibot, ArkType…
export type { StandardSchemaV1 } from "./client/standard-schema.js";
export type { FetchLike } from "./client/transport.js";
export type { Clock } from "./clock/clock.js";
export { type BoothZenOptions, boothzen } from "./dialects/boothzen.js";
export { type CampOneOptions, campone } from "./dialects/campone.js";
// Dialects: what pacekeeper knows of an API's rate limiting, as data.
export type { BackoffOptions, Dialect } from "./dialects/dialect.js";
export { type GitHubOptions, github } from "./dialects/github.js";
export { type IetfOptions, ietf } from "./dialects/ietf.js";
export { type OpenAiOptions, openai } from "./dialects/openai.js";
export type { NextPage, PageContext, PageQuery, Pagination } from "./dialects/pagination.js";
export type { HttpErrorName } from "./errors/brand.js";
export { ConnectionError } from "./errors/connection-error.js";
// Errors, and guards that recognise them across copies of the package.
export type { ErrorBodyParser, ParsedErrorBody } from "./errors/error-body.js";
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
} from "./errors/guards.js";
export { HttpError, type HttpErrorCode } from "./errors/http-error.js";
export { PacekeeperError } from "./errors/pacekeeper-error.js";
export { RateLimitError } from "./errors/rate-limit-error.js";
export {
  AuthenticationError,
  ClientError,
  NotFoundError,
  PermissionError,
  ServerError,
} from "./errors/status-errors.js";
export { TimeoutError } from "./errors/timeout-error.js";
export {
  type RequestPart,
  RequestValidationError,
  ResponseValidationError,
  type ValidationIssue,
} from "./errors/validation-errors.js";
// Events: the hooks' types, and the `diagnostics_channel` channels they are published on.
export {
  channels,
  type GiveUpEvent,
  type Hooks,
  type PacekeeperEvent,
  type RateLimitedEvent,
  type RequestEvent,
  type ResponseEvent,
  type RetryEvent,
  type WaitEvent,
} from "./events/hooks.js";
export { readRateLimit } from "./headers/read-rate-limit.js";

// Headers: the parsers the client reads every response with.
export { parseRetryAfter } from "./headers/retry-after.js";
export type { RateLimitPolicy, RateLimitQuota, RateLimitSnapshot, RateLimitSource } from "./headers/types.js";
// The pacer: standalone use, and the contract a custom store implements.
export type { BudgetLimit, KeyBudget } from "./pacer/budget.js";
export { createPacer, type Pacer, type PacerOptions } from "./pacer/create-pacer.js";
export { PacerDeadlineError } from "./pacer/deadline-error.js";
export { memoryStore, type PacerStore } from "./pacer/store.js";
export type {
  AcquireOptions,
  KeyPacer,
  KeyPacerConfig,
  Limit,
  Permit,
  ReleaseResult,
  SendOutcome,
  WaitInfo,
  WaitReason,
} from "./pacer/types.js";
export type { BackoffPolicy } from "./retry/backoff.js";
