import type { RateLimitSnapshot } from "../headers/types.js";
import { emit } from "../hooks.js";
import { transientBackoff } from "../retry/backoff.js";
import { type AttemptFailure, decideRetry, type RetryCounts } from "../retry/decide.js";
import { type AttemptListener, type AttemptResult, sendAttempt } from "./attempt.js";
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

/**
 * One call: attempts until a response is final, a failure is not retryable, or the retry budget is
 * spent. Rate-limit waits belong to the key (the pacer's gate holds the next attempt); transient
 * waits belong to the request (a full-jitter backoff here, on the injected clock).
 *
 * The loop is ours, not p-retry's: p-retry 7 sleeps on the real `setTimeout` and measures
 * `maxRetryTime` on `performance.now()`, outside the injected clock, and has no per-attempt
 * server-given delay (p-retry#27). docs/design.md says more.
 */
export function performCall(ctx: CallContext, first: PreparedRequest): Promise<CallResult> {
  return new Promise((resolve, reject) => startCall(ctx, first, resolve, reject));
}

/**
 * Starts a call that ends in exactly one of `resolve` or `reject`, without a promise of its own:
 * `client.fetch` settles its promise from them, with the response.
 */
export function startCall(
  ctx: CallContext,
  first: PreparedRequest,
  resolve: (result: CallResult) => void,
  reject: (reason: unknown) => void,
): void {
  new Call(ctx, first, resolve, reject).next();
}

/**
 * Where a call stands between its attempts, and how it settles: each attempt tells it how it
 * ended (`AttemptListener`), and it decides — the call's result, or its next attempt.
 *
 * Written as attempt → decide → attempt rather than an async loop, and with no promise per attempt:
 * nearly every call ends with its first attempt, and each async frame or promise between the
 * transport and the caller cost an allocation and a turn of the microtask queue per request
 * (docs/benchmarks.md, "Overhead").
 */
class Call implements AttemptListener, RetryCounts {
  /** The number of the attempt being made, from 1. */
  private attempt = 1;
  private redirects = 0;
  /** What the retry policy has spent: transient failures and 429s retried (`RetryCounts`). */
  transient = 0;
  rateLimited = 0;

  constructor(
    private readonly ctx: CallContext,
    /** The request the next attempt sends: the first, or where a redirect on the same origin led. */
    private request: PreparedRequest,
    private readonly resolve: (result: CallResult) => void,
    private readonly reject: (reason: unknown) => void,
  ) {}

  /** Makes the attempt the call stands at. */
  next(): void {
    this.ctx.attempts = this.attempt;
    try {
      sendAttempt(this.ctx, this.request, this.attempt, this);
    } catch (error) {
      // A custom pacer's `tryAcquire` threw: the call ends with its error, whichever turn it is.
      this.reject(error);
    }
  }

  attemptEnded(result: AttemptResult): void {
    try {
      const final = this.decide(result);
      if (final) this.resolve(final);
    } catch (error) {
      this.reject(error);
    }
  }

  callFailed(error: unknown): void {
    this.reject(error);
  }

  /** What an attempt's result leads to: the call's result, or undefined when another attempt follows. */
  private decide(result: AttemptResult): CallResult | undefined {
    const { ctx, request, attempt } = this;
    const { options } = ctx;
    const { clock } = options;
    if (result.kind === "response") {
      const next = redirectedRequest(result.response, result.status, request, options);
      if (next && this.redirects < MAX_REDIRECTS) {
        this.redirects++;
        discard(result.response);
        if (!next.sameOrigin) {
          followElsewhere(ctx, next.request, attempt).then(this.resolve, this.reject);
          return undefined;
        }
        this.request = next.request;
        this.attempt++;
        this.next();
        return undefined;
      }
      if (request.redirect === "error" && isRedirect(result.status)) {
        discard(result.response);
        throw new TypeError(`Redirect refused: the request was made with redirect: "error"`);
      }
    }
    const failure = failureOf(result);
    const decision = failure && decideRetry(failure, request, retryPolicy(ctx), this);
    if (!decision?.retry) return finish(ctx, request, result, attempt);

    let delayMs = 0;
    if (decision.budget === "rate-limit") {
      // A paced request's 429 closed the key's gate, which holds the next attempt; an unpaced
      // one's (a path the server does not count) closed nothing: the request waits itself.
      if (result.kind === "response" && !request.paced) {
        delayMs = result.retryAfterMs ?? transientBackoff(this.rateLimited, options.dialect.backoff);
        if (clock.now() + delayMs >= ctx.deadline) return finish(ctx, request, result, attempt);
      }
      this.rateLimited++;
    } else {
      const serverDelay = result.kind === "response" ? (result.retryAfterMs ?? 0) : 0;
      delayMs = Math.max(serverDelay, transientBackoff(this.transient, options.dialect.backoff));
      this.transient++;
      // Sleeping past the deadline helps no one: give up now with what we have.
      if (clock.now() + delayMs >= ctx.deadline) return finish(ctx, request, result, attempt);
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
    this.attempt++;
    if (delayMs <= 0) this.next();
    else clock.sleep(delayMs, ctx.signal).then(() => this.next(), this.reject);
    return undefined;
  }
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
