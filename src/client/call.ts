import type { RateLimitSnapshot } from "../headers/types.js";
import { emit } from "../hooks.js";
import { transientBackoff } from "../retry/backoff.js";
import { type AttemptFailure, decideRetry, type RetryCounts } from "../retry/decide.js";
import { type AttemptResult, sendAttempt } from "./attempt.js";
import type { CallContext } from "./context.js";
import { discard } from "./discard.js";
import { eventUrl } from "./event-url.js";
import { connectionFailed } from "./failures.js";
import type { PreparedRequest } from "./prepare.js";
import { MAX_REDIRECTS, redirectedRequest } from "./redirect.js";

/** How a call ended with a response (any status): what `fetch` resolves with and `request` reads. */
export interface CallResult {
  response: Response;
  /** The final request: after redirects, its URL and method. */
  request: PreparedRequest;
  attempts: number;
  rateLimit: RateLimitSnapshot | undefined;
  retryAfterMs: number | undefined;
}

/** Where a call stands between its attempts. */
interface Progress extends RetryCounts {
  /** The request the next attempt sends: the first, or where a redirect on the same origin led. */
  request: PreparedRequest;
  /** The number of the attempt being made, from 1. */
  attempt: number;
  redirects: number;
}

/**
 * One call: attempts until a response is final, a failure is not retryable, or the retry budget is
 * spent. Rate-limit waits belong to the key (the pacer's gate holds the next attempt); transient
 * waits belong to the request (a full-jitter backoff here, on the injected clock).
 *
 * The loop is ours, not p-retry's: p-retry 7 sleeps on the real `setTimeout` and measures
 * `maxRetryTime` on `performance.now()`, outside the injected clock, and has no per-attempt
 * server-given delay (p-retry#27). docs/design.md says more.
 *
 * Written as attempt → decide → attempt rather than an async loop: nearly every call ends with its
 * first attempt, and an async loop allocates its frame (all its locals) and a promise per request
 * for nothing (~320 of the ~3,800 bytes a call allocated, docs/benchmarks.md).
 */
export function performCall(ctx: CallContext, first: PreparedRequest): Promise<CallResult> {
  return sendAndDecide(ctx, { request: first, attempt: 1, redirects: 0, transient: 0, rateLimited: 0 });
}

/** Makes the attempt `progress` stands at, then decides what its result leads to. */
function sendAndDecide(ctx: CallContext, progress: Progress): Promise<CallResult> {
  ctx.attempts = progress.attempt;
  return sendAttempt(ctx, progress.request, progress.attempt).then((result) => decide(ctx, progress, result));
}

/** What an attempt's result leads to: the call's result, or its next attempt (after a wait). */
function decide(
  ctx: CallContext,
  progress: Progress,
  result: AttemptResult,
): CallResult | Promise<CallResult> {
  const { options } = ctx;
  const { clock } = options;
  const { request, attempt } = progress;
  if (result.kind === "response") {
    const next = redirectedRequest(result.response, result.status, request, options);
    if (next && progress.redirects < MAX_REDIRECTS) {
      progress.redirects++;
      discard(result.response);
      if (!next.sameOrigin) return followElsewhere(ctx, next.request, attempt);
      progress.request = next.request;
      progress.attempt++;
      return sendAndDecide(ctx, progress);
    }
    if (request.redirect === "error" && isRedirect(result.status)) {
      discard(result.response);
      throw new TypeError(`Redirect refused: the request was made with redirect: "error"`);
    }
  }
  const failure = failureOf(result);
  const decision = failure && decideRetry(failure, request, retryPolicy(ctx), progress);
  if (!decision?.retry) return finish(ctx, request, result, attempt);

  let delayMs = 0;
  if (decision.budget === "rate-limit") {
    // A paced request's 429 closed the key's gate, which holds the next attempt; an unpaced
    // one's (a path the server does not count) closed nothing: the request waits itself.
    if (result.kind === "response" && !request.paced) {
      delayMs = result.retryAfterMs ?? transientBackoff(progress.rateLimited, options.dialect.backoff);
      if (clock.now() + delayMs > ctx.deadline) return finish(ctx, request, result, attempt);
    }
    progress.rateLimited++;
  } else {
    const serverDelay = result.kind === "response" ? (result.retryAfterMs ?? 0) : 0;
    delayMs = Math.max(serverDelay, transientBackoff(progress.transient, options.dialect.backoff));
    progress.transient++;
    // Sleeping past the deadline helps no one: give up now with what we have.
    if (clock.now() + delayMs > ctx.deadline) return finish(ctx, request, result, attempt);
  }
  emit(options.hooks, {
    type: "retry",
    key: ctx.key,
    dialect: options.dialect.name,
    method: request.method,
    url: eventUrl(request),
    at: clock.now(),
    attempt,
    cause: causeOf(result),
    status: result.kind === "response" ? result.status : undefined,
    delayMs,
  });
  if (result.kind === "response") discard(result.response);
  progress.attempt++;
  if (delayMs <= 0) return sendAndDecide(ctx, progress);
  return clock.sleep(delayMs, ctx.signal).then(() => sendAndDecide(ctx, progress));
}

function finish(
  ctx: CallContext,
  request: PreparedRequest,
  result: AttemptResult,
  attempts: number,
): CallResult {
  if (result.kind !== "response") {
    const error = result.error as Error & { attempts?: number };
    emitGiveUp(ctx, request, attempts, error);
    throw error;
  }
  return {
    response: result.response,
    request,
    attempts,
    rateLimit: result.rateLimit,
    retryAfterMs: result.retryAfterMs,
  };
}

/** A redirect to another origin: sent once, without the key and unpaced — it is not the API's budget. */
async function followElsewhere(
  ctx: CallContext,
  request: PreparedRequest,
  attempts: number,
): Promise<CallResult> {
  let response: Response;
  try {
    response = await ctx.options.transport.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "follow",
      signal: ctx.signal,
    });
  } catch (error) {
    if (ctx.aborted) throw ctx.reason;
    // Every call ends in a result or a typed error, a hop elsewhere too (not undici's bare TypeError).
    const failure = connectionFailed(error, request, attempts);
    emitGiveUp(ctx, request, attempts, failure);
    throw failure;
  }
  return { response, request, attempts, rateLimit: undefined, retryAfterMs: undefined };
}

export function emitGiveUp(ctx: CallContext, request: PreparedRequest, attempts: number, error: Error): void {
  emit(ctx.options.hooks, {
    type: "give-up",
    key: ctx.key,
    dialect: ctx.options.dialect.name,
    method: request.method,
    url: eventUrl(request),
    at: ctx.options.clock.now(),
    attempts,
    error: { name: error.name, code: (error as { code?: string }).code, message: error.message },
  });
}

function retryPolicy(ctx: CallContext) {
  const { retries, rateLimitRetries, retryStatuses } = ctx.options;
  return { retries, rateLimitRetries, retryStatuses };
}

function failureOf(result: AttemptResult): AttemptFailure | undefined {
  if (result.kind === "timeout") return { kind: "timeout" };
  if (result.kind === "connection") return { kind: "connection", provablyUnsent: result.provablyUnsent };
  const { status } = result;
  return status >= 200 && status < 300 ? undefined : { kind: "status", status };
}

function causeOf(result: AttemptResult): "rate-limited" | "status" | "connection" | "timeout" {
  if (result.kind !== "response") return result.kind;
  return result.status === 429 ? "rate-limited" : "status";
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}
