import { emit } from "../events/hooks.js";
import type { RateLimitSnapshot } from "../headers/types.js";
import { transientBackoff } from "../retry/backoff.js";
import { type AttemptFailure, decideRetry, type RetryCounts } from "../retry/decide.js";
import { type AttemptListener, type AttemptResult, sendAttempt } from "./attempt.js";
import { CallContext } from "./context.js";
import { discard } from "./discard.js";
import { eventUrl } from "./event-url.js";
import { connectionFailed } from "./failures.js";
import type { PreparedRequest } from "./prepare.js";
import { MAX_REDIRECTS, redirectedRequest } from "./redirect.js";
import type { ClientRuntime } from "./runtime.js";

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
 * Runs one call from start to end, for `client.fetch` and `client.request` alike: its context is
 * opened (refused once the client is closed), its attempts run until a response is final, a
 * failure is not retryable or the retry budget is spent, and `finish` turns the result into the
 * call's value — a `Response` as it is, or a body read and parsed, still inside the call, so that
 * an abort or the total timeout stops the read too. The context is closed when `finish` is done.
 *
 * Rate-limit waits belong to the key (the pacer's gate holds the next attempt); transient waits
 * belong to the request (a full-jitter backoff here, on the injected clock). The loop is ours, not
 * p-retry's: docs/design.md says why.
 */
export function runCall<T>(
  runtime: ClientRuntime,
  request: PreparedRequest,
  totalTimeoutMs: number | undefined,
  finish: (result: CallResult, ctx: CallContext) => T | Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (runtime.closed) throw runtime.closed.reason;
    const ctx = new CallContext(
      runtime,
      request,
      totalTimeoutMs ?? runtime.options.totalTimeoutMs,
      request.signal,
    );
    runtime.calls.add(ctx);
    const end = () => {
      runtime.calls.delete(ctx);
      ctx.dispose();
    };
    const fail = (error: unknown) => {
      end();
      reject(error);
    };
    const succeed = (result: CallResult) => {
      let value: T | Promise<T>;
      try {
        value = finish(result, ctx);
      } catch (error) {
        fail(error);
        return;
      }
      // Most calls finish at once (`client.fetch`): then no promise stands between the response and the caller.
      if (value instanceof Promise) {
        value.then((v) => {
          end();
          resolve(v);
        }, fail);
      } else {
        end();
        resolve(value);
      }
    };
    new Call(ctx, request, succeed, fail).next();
  });
}

/**
 * Where a call stands between its attempts, and how it settles: each attempt tells it how it
 * ended (`AttemptListener`), and it decides — the call's result, or its next attempt.
 *
 * Written as attempt → decide → attempt rather than an async loop, and with no promise per attempt:
 * nearly every call ends with its first attempt, and each promise between the transport and the
 * caller costs a turn of the microtask queue per request (docs/design.md, "Performance").
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
