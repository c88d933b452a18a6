import { emit, isObserved } from "../events/hooks.js";
import type { RateLimitSnapshot } from "../headers/types.js";
import { transientBackoff } from "../retry/backoff.js";
import { type AttemptFailure, decideRetry, type RetryCounts } from "../retry/decide.js";
import { type AttemptListener, type AttemptResult, sendAttempt } from "./attempt.js";
import { CallContext, type ClientRuntime } from "./context.js";
import { discard } from "./discard.js";
import { eventUrl } from "./event-url.js";
import { invalidRequest } from "./failures.js";
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
  /** `clock.now()` when the final response arrived: what `retryAfterMs` counts from. */
  receivedAt: number;
  /** Whether the final response is the server refusing the request for its rate. */
  rateLimited: boolean;
}

/**
 * Turns a call's result into its value: a `Response` as it is, or a body read and parsed still
 * inside the call, so that an abort or the total timeout stops the read too.
 */
export type Finish<T> = (result: CallResult, ctx: CallContext) => T | Promise<T>;

/**
 * Runs one call from start to end, for `client.fetch` and `client.request` alike: its context is
 * opened (refused once the client is closed), its attempts run until a response is final, a
 * failure is not retryable or the retry budget is spent, and `finish` makes the call's value.
 *
 * Every call that ends in an error tells the hooks so, once (`give-up`). With `bodyOutlives`
 * (`client.fetch`, whose caller reads the body after the call), the caller's signal and the total
 * deadline keep reaching the transport until the body is read: aborting then ends the read.
 *
 * Rate-limit waits belong to the key (the pacer's gate holds the next attempt); transient waits
 * belong to the request (a full-jitter backoff here, on the injected clock). The loop is ours, not
 * p-retry's: docs/design.md says why.
 */
export function runCall<T>(
  runtime: ClientRuntime,
  request: PreparedRequest,
  totalTimeoutMs: number | undefined,
  finish: Finish<T>,
  bodyOutlives = false,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (runtime.closed) {
      emitGiveUp(
        { options: runtime.options, key: request.credential?.key ?? runtime.key },
        request,
        0,
        runtime.closed.reason,
      );
      throw runtime.closed.reason;
    }
    const ctx = new CallContext(
      runtime,
      request,
      totalTimeoutMs ?? runtime.options.totalTimeoutMs,
      request.signal,
    );
    runtime.calls.push(ctx);
    const end = (keepDeadline: boolean) => {
      runtime.calls.remove(ctx);
      ctx.dispose(keepDeadline);
    };
    const fail = (error: unknown) => {
      end(false);
      emitGiveUp(ctx, ctx.lastRequest ?? request, ctx.attempts, error);
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
          end(false);
          resolve(v);
        }, fail);
      } else {
        end(bodyOutlives);
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
    this.ctx.lastRequest = this.request;
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
    if (result.kind === "refused") throw result.error;
    const { ctx, request, attempt } = this;
    const { options } = ctx;
    const { clock } = options;
    if (result.kind === "response") {
      const next = redirectedRequest(result.response, result.status, request, options);
      if (next && this.redirects < MAX_REDIRECTS) {
        // A hop is an attempt like any other: on the API's origin paced, elsewhere sent without the
        // key and unpaced (it is not the API's budget), each with its timeout and retries.
        this.redirects++;
        discard(result.response);
        this.request = next;
        this.attempt++;
        this.next();
        return undefined;
      }
      if (request.redirect === "error" && isRedirect(result.status)) {
        discard(result.response);
        throw invalidRequest(
          "url",
          'Redirect refused: the request was made with redirect: "error"',
          ["redirect"],
          {
            method: request.method,
            url: request.url,
            options,
          },
        );
      }
      if (this.redirects > 0) markRedirected(result.response);
    }
    const failure = failureOf(result);
    const decision = failure && decideRetry(failure, request, retryPolicy(ctx), this);
    if (!decision?.retry) return resultOf(request, result, attempt);

    let delayMs = 0;
    if (decision.budget === "rate-limit") {
      // A paced request's 429 closed the key's gate, which holds the next attempt; an unpaced
      // one's (a path the server does not count) closed nothing: the request waits itself.
      if (result.kind === "response" && !request.paced) {
        delayMs = result.retryAfterMs ?? transientBackoff(this.rateLimited, options.dialect.backoff);
        if (clock.now() + delayMs >= ctx.deadline) return resultOf(request, result, attempt);
      }
      this.rateLimited++;
    } else {
      const serverDelay = result.kind === "response" ? (result.retryAfterMs ?? 0) : 0;
      delayMs = Math.max(serverDelay, transientBackoff(this.transient, options.dialect.backoff));
      this.transient++;
      // Sleeping past the deadline helps no one: give up now with what we have.
      if (clock.now() + delayMs >= ctx.deadline) return resultOf(request, result, attempt);
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

function resultOf(request: PreparedRequest, result: AttemptResult, attempts: number): CallResult {
  if (result.kind !== "response") throw result.error;
  return {
    response: result.response,
    request,
    attempts,
    rateLimit: result.rateLimit,
    retryAfterMs: result.retryAfterMs,
    rateLimited: result.rateLimited,
    receivedAt: result.receivedAt,
  };
}

/** The hooks hear that a call ended in `error`: once per call, whatever ended it. */
export function emitGiveUp(
  runtime: Pick<ClientRuntime, "options" | "key">,
  request: { method: string; url: string; secrets: readonly string[] },
  attempts: number,
  error: unknown,
): void {
  const { options } = runtime;
  if (!isObserved(options.hooks)) return;
  emit(options.hooks, {
    type: "give-up",
    key: runtime.key,
    dialect: options.dialect.name,
    method: request.method,
    url: eventUrl(request),
    at: options.clock.now(),
    attempts,
    error: describeError(error),
  });
}

/** What an event says of an error: its name, code and message; never the error itself. */
function describeError(error: unknown): { name: string; code: string | undefined; message: string } {
  if (error instanceof Error || (typeof error === "object" && error !== null)) {
    const e = error as { name?: unknown; code?: unknown; message?: unknown };
    return {
      name: typeof e.name === "string" ? e.name : "Error",
      code: typeof e.code === "string" ? e.code : undefined,
      message: typeof e.message === "string" ? e.message : String(error),
    };
  }
  return { name: "Error", code: undefined, message: String(error) };
}

function retryPolicy(ctx: CallContext) {
  const { retries, rateLimitRetries, retryStatuses } = ctx.options;
  return { retries, rateLimitRetries, retryStatuses };
}

type Sent = Exclude<AttemptResult, { kind: "refused" }>;

function failureOf(result: Sent): AttemptFailure | undefined {
  if (result.kind === "timeout") return { kind: "timeout" };
  if (result.kind === "connection") return { kind: "connection", provablyUnsent: result.provablyUnsent };
  const { status } = result;
  return status >= 200 && status < 300
    ? undefined
    : { kind: "status", status, rateLimited: result.rateLimited };
}

function causeOf(result: Sent): "rate-limited" | "status" | "connection" | "timeout" {
  if (result.kind !== "response") return result.kind;
  return result.rateLimited ? "rate-limited" : "status";
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/**
 * What fetch says of a response it reached through redirects: `redirected` is true. The client
 * follows redirects itself, so it says so on the final response.
 */
function markRedirected(response: Response): void {
  try {
    Object.defineProperty(response, "redirected", { value: true, configurable: true });
  } catch {
    // a frozen response of a caller's fetch: left as it is
  }
}
