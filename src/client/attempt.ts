import { emit, isObserved } from "../events/hooks.js";
import { readRateLimit } from "../headers/read-rate-limit.js";
import { parseRetryAfter, parseRetryAfterMs } from "../headers/retry-after.js";
import type { RateLimitSnapshot } from "../headers/types.js";
import { plainObject } from "../internal/validate.js";
import { PacerDeadlineError } from "../pacer/deadline-error.js";
import type { Permit } from "../pacer/types.js";
import type { Timeout } from "./attempt-timeouts.js";
import type { Signer } from "./auth.js";
import type { CallContext } from "./context.js";
import { discard } from "./discard.js";
import { eventUrl } from "./event-url.js";
import { connectionFailed, invalidRequest, rateLimitedLocally, timedOut } from "./failures.js";
import type { PreparedRequest } from "./prepare.js";

export type AttemptResult =
  | {
      kind: "response";
      response: Response;
      /** `response.status`, read once: each of undici's getters checks its receiver's brand. */
      status: number;
      rateLimit: RateLimitSnapshot | undefined;
      retryAfterMs: number | undefined;
      /** Whether the server refused the request for its rate (`Dialect.isRateLimited`). */
      rateLimited: boolean;
      /** `clock.now()` when the response arrived: what `retryAfterMs` counts from. */
      receivedAt: number;
    }
  | { kind: "connection"; error: Error; provablyUnsent: boolean }
  | { kind: "timeout"; error: Error }
  /** The transport refused the request's arguments (fetch's own `TypeError`): nothing was sent. */
  | { kind: "refused"; error: Error };

/** What every event of one attempt carries; undefined when no one listens. */
type EventBase = { key: string; dialect: string; method: string; url: string } | undefined;

/** Connection errors that prove the request never reached the server. */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

/** undici's own attempt timeout (the default transport's agent): the same verdict as ours. */
const HEADERS_TIMEOUT = "UND_ERR_HEADERS_TIMEOUT";

/** The call an attempt reports to. Each attempt calls one of the two, once. */
export interface AttemptListener {
  /** The attempt ended with a response, a connection failure or its timeout: the call decides what next. */
  attemptEnded(result: AttemptResult): void;
  /**
   * The call ends at once with `error`: the caller's abort, a wait past the deadline, or an error
   * reading the response (a custom dialect's rule, a custom store's release).
   */
  callFailed(error: unknown): void;
}

/**
 * One attempt: wait for the key's permit, send, and tell the pacer how it ended, then the call
 * (`listener`). This is the only place a request meets the pacer, so every send the server counts
 * is paced and every permit released.
 *
 * Not a promise of its own: when the key may send at once (nearly always), the attempt is one
 * object from permit to result, and the transport's response reaches the call in the same turn.
 * Each promise between them costs a turn of the microtask queue per request (docs/design.md,
 * "Performance").
 */
export function sendAttempt(
  ctx: CallContext,
  request: PreparedRequest,
  attempt: number,
  listener: AttemptListener,
): void {
  if (ctx.aborted) {
    listener.callFailed(ctx.reason);
    return;
  }
  const base: EventBase = isObserved(ctx.options.hooks)
    ? { key: ctx.key, dialect: ctx.options.dialect.name, method: request.method, url: eventUrl(request) }
    : undefined;
  // A path the server never counts is not the key's budget: sent at once, without a permit.
  const permit = request.paced ? ctx.pacer.tryAcquire?.(request.route) : undefined;
  if (permit || !request.paced) {
    new InFlight(ctx, request, attempt, permit, base, listener).send();
  } else {
    waitForPermit(ctx, request, attempt, base).then(
      (waited) => new InFlight(ctx, request, attempt, waited, base, listener).send(),
      (error: unknown) => listener.callFailed(error),
    );
  }
}

/** The key may not send yet: queue for its permit; a wait past the call's deadline fails now. */
async function waitForPermit(
  ctx: CallContext,
  request: PreparedRequest,
  attempt: number,
  base: EventBase,
): Promise<Permit> {
  const { hooks, clock } = ctx.options;
  try {
    return await ctx.pacer.acquire({
      route: request.route,
      signal: ctx.signal,
      deadline: ctx.deadline,
      onWait: base && ((info) => emit(hooks, { type: "wait", ...base, at: clock.now(), ...info })),
    });
  } catch (error) {
    if (error instanceof PacerDeadlineError)
      throw rateLimitedLocally(error, request, attempt - 1, ctx.deadline);
    throw error;
  }
}

/**
 * One send in flight, from its permit to its result: at once the entry of its attempt timeout and
 * the call's link to the attempt, one object rather than a closure for each (it is made for every
 * request). It settles on the first of: the response headers, the attempt timeout, a failure, or
 * the call's abort (the call fails with its reason).
 *
 * It settles whether or not the transport has let go of the request by then. On Node's fetch an
 * `AbortSignal` costs more than the rest of a paced call together, so the default transport gets
 * one only when the caller can abort the call: an overdue request is freed by its agent
 * (`headersTimeout`), one of a closing client by `close()`, and a response that comes after its
 * attempt was given up is discarded. A caller's own fetch always gets a signal.
 */
class InFlight implements Timeout {
  at = 0;
  prev: Timeout | undefined = undefined;
  next: Timeout | undefined = undefined;
  private settled = false;
  /** The transport's signal, where it cannot free an overdue request itself. */
  private readonly own: AbortController | undefined;
  /** When the request left, as the pacer knows it: its permit's grant. */
  private readonly sentAt: number;

  constructor(
    private readonly ctx: CallContext,
    private readonly request: PreparedRequest,
    private readonly attempt: number,
    private readonly permit: Permit | undefined,
    private readonly base: EventBase,
    private readonly listener: AttemptListener,
  ) {
    this.own = ctx.options.transport.freesOverdueRequests ? undefined : new AbortController();
    this.sentAt = permit ? permit.grantedAt : ctx.options.clock.now();
  }

  send(): void {
    const { ctx, request, base } = this;
    const { hooks, clock } = ctx.options;
    if (base) emit(hooks, { type: "request", ...base, at: clock.now(), attempt: this.attempt });
    // On the client's clock, never the permit's grant time: a custom store may share the key's pacer
    // with clients on other clocks, and the pacer keeps the clock it was made with.
    ctx.attemptTimeouts.start(this);
    // Stays linked once settled: an abort of the call while the caller reads the body stops it.
    ctx.linkAttempt(this);
    if (this.settled) return; // the call had aborted already: nothing is sent
    const signal = this.transportSignal();
    const { auth } = ctx.options;
    if (auth.kind === "sign" && request.credential)
      this.signThenSend(auth.sign, request.credential.secret, signal);
    else this.transmit(request, signal);
  }

  /** Hands the request to the transport; its response or failure settles the attempt. */
  private transmit(request: PreparedRequest, signal: AbortSignal | undefined): void {
    let sending: Promise<Response>;
    try {
      // A caller's fetch may throw, or return something that is not a promise.
      sending = Promise.resolve(this.ctx.options.transport.fetch(request.url, fetchInit(request, signal)));
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      (response) => this.responded(response),
      (error: unknown) => this.failed(error),
    );
  }

  /**
   * `auth: { sign }`: each attempt is signed as it leaves (a signature carries its time), and the
   * headers the signer returns are added. A signer that throws ends the call with its error, the
   * permit given back: nothing was sent.
   */
  private signThenSend(sign: Signer, apiKey: string, signal: AbortSignal | undefined): void {
    const { request } = this;
    let signing: Promise<Readonly<Record<string, string>>>;
    try {
      signing = Promise.resolve(
        sign({ method: request.method, url: request.url, headers: request.headers }, apiKey),
      );
    } catch (error) {
      signing = Promise.reject(error);
    }
    signing
      .then((added) => {
        const headers: Record<string, string> = { ...request.headers };
        for (const [name, value] of Object.entries(plainObject("the signer's headers", added))) {
          headers[name.toLowerCase()] = String(value);
        }
        return headers;
      })
      .then(
        (headers) => {
          if (!this.settled) this.transmit({ ...request, headers }, signal);
        },
        (error: unknown) => {
          if (this.settle()) this.end({ kind: "refused", error: error as Error }, { kind: "unsent" });
        },
      );
  }

  /**
   * The signal the transport gets: the attempt's own (a transport that cannot free an overdue
   * request itself), and the call's, which follows the caller's signal (where something other than
   * the client's close can abort the call); none when neither is needed.
   */
  private transportSignal(): AbortSignal | undefined {
    const { ctx, own } = this;
    if (!ctx.abortableByCaller) return own?.signal;
    return own ? AbortSignal.any([own.signal, ctx.transportSignal]) : ctx.transportSignal;
  }

  /** The attempt timeout has passed. */
  fire(): void {
    const error = timedOut(this.ctx.options.timeoutMs, "attempt", this.request, this.attempt);
    this.own?.abort(error);
    if (this.settle()) this.end({ kind: "timeout", error }, { kind: "failed" });
  }

  /** The call aborted. */
  abort(reason: unknown): void {
    this.own?.abort(reason);
    if (!this.settle()) return;
    this.releaseQuietly();
    this.listener.callFailed(reason);
  }

  private responded(response: Response): void {
    if (!this.settle()) {
      discard(response);
      return;
    }
    let result: AttemptResult;
    try {
      result = this.report(response);
    } catch (error) {
      // Reading it threw (a custom dialect's rule, a custom store's release, or a fetch that
      // resolved with no `Response`): the call ends with that error, and the key's permit is freed.
      this.endWith(error);
      try {
        discard(response);
      } catch {
        // not a `Response` at all: nothing to free
      }
      return;
    }
    this.listener.attemptEnded(result);
  }

  private failed(error: unknown): void {
    if (!this.settle()) return;
    try {
      const code = errorCode(error) ?? "";
      const { request, attempt } = this;
      if (code === HEADERS_TIMEOUT) {
        const timeout = timedOut(this.ctx.options.timeoutMs, "attempt", request, attempt);
        this.end({ kind: "timeout", error: timeout }, { kind: "failed" });
      } else if (this.ctx.options.transport.isRefusal(error)) {
        // fetch refused the request's arguments: nothing was sent, and sending again will not help.
        this.end(
          { kind: "refused", error: refused(error, request, this.ctx.options.secrets) },
          { kind: "unsent" },
        );
      } else {
        const provablyUnsent = NEVER_SENT.has(code);
        this.end(
          { kind: "connection", error: connectionFailed(error, request, attempt), provablyUnsent },
          provablyUnsent ? { kind: "unsent" } : { kind: "failed" },
        );
      }
    } catch (unreadable) {
      // An error that cannot even be read (a throwing getter) still ends the call.
      this.endWith(unreadable);
    }
  }

  /** Ends a settled attempt with an error of its own: the permit is freed, the call fails. */
  private endWith(error: unknown): void {
    this.releaseQuietly();
    this.listener.callFailed(error);
  }

  /**
   * Ends an attempt that got no response: the pacer learns how, the call gets the result — or the
   * error of a custom store whose release threw.
   */
  private end(result: AttemptResult, outcome: { kind: "failed" | "unsent" }): void {
    try {
      this.permit?.release(outcome);
    } catch (error) {
      this.listener.callFailed(error);
      return;
    }
    this.listener.attemptEnded(result);
  }

  /**
   * Frees the permit of an attempt that ends with another error (or the caller's abort) already.
   * A custom store's release that throws then is dropped: thrown on, it would escape from a
   * promise callback or an abort listener, and the call would never settle.
   */
  private releaseQuietly(): void {
    try {
      this.permit?.release({ kind: "failed" });
    } catch {
      // the call's own error is what its caller gets
    }
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.ctx.attemptTimeouts.stop(this);
    return true;
  }

  /** Reads what a response says about the key's budget, tells the pacer, and emits its events. */
  private report(response: Response): AttemptResult {
    const { ctx, request, attempt, base } = this;
    const { clock, dialect, hooks } = ctx.options;
    // Read once: each of undici's getters checks its receiver's brand.
    const { status, headers } = response;
    const now = clock.now();
    const rateLimit = dialect.readRateLimit
      ? dialect.readRateLimit(headers, now)
      : readRateLimit(headers, now);
    // Retry-After is read where it can change what happens: on a response that is not a success
    // (a 2xx one, such as 202's "poll again in", is no rate-limit signal, and nothing reads it).
    const success = status >= 200 && status < 300;
    const retryAfterMs = success ? undefined : retryAfterOf(headers, now);
    const rateLimited = success
      ? false
      : dialect.isRateLimited
        ? dialect.isRateLimited(status, rateLimit, headers) === true
        : status === 429;
    const counted = dialect.counts(status, request.path);
    const released = this.permit?.release({
      kind: "response",
      status,
      counted,
      rateLimited,
      rateLimit,
      retryAfterMs,
    });
    if (base) {
      emit(hooks, {
        type: "response",
        ...base,
        at: now,
        attempt,
        status,
        latencyMs: now - this.sentAt,
        rateLimit,
        counted,
      });
      if (released?.gate) {
        emit(hooks, {
          type: "rate-limited",
          ...base,
          at: now,
          attempt,
          retryAfterMs,
          gateMs: released.gate.waitMs,
          gateReason: released.gate.reason,
        });
      }
    }
    return { kind: "response", response, status, rateLimit, retryAfterMs, rateLimited, receivedAt: now };
  }
}

/**
 * The wait a response asks for: `Retry-After-Ms` (milliseconds; OpenAI's, which its SDK reads
 * first) where valid, else `Retry-After`. `Date` matters only to a `Retry-After` given as an
 * HTTP-date.
 */
function retryAfterOf(headers: Headers, now: number): number | undefined {
  const ms = headers.get("retry-after-ms");
  const fromMs = ms === null ? undefined : parseRetryAfterMs(ms);
  if (fromMs !== undefined) return fromMs;
  const retryAfter = headers.get("retry-after");
  return retryAfter === null ? undefined : parseRetryAfter(retryAfter, now, headers.get("date"));
}

/**
 * `fetch`'s options for one send: only the members that differ from fetch's defaults, in an object
 * built by assignment rather than a conditional spread. Node's fetch converts every member it is
 * given (WebIDL), and objects built by assignment keep one of a few hidden classes, so its reading
 * of them stays fast; a spread-built one takes V8's slow path (docs/design.md, "Performance").
 */
function fetchInit(request: PreparedRequest, signal: AbortSignal | undefined): RequestInit {
  const init: RequestInit & { duplex?: "half" } = { headers: request.headers, redirect: "manual" };
  if (request.method !== "GET") init.method = request.method;
  if (signal) init.signal = signal;
  if (request.body !== null) {
    init.body = request.body;
    // Node's fetch requires this for a body that streams (a web stream, a Node stream, an async iterable).
    if (!request.replayable) init.duplex = "half";
  }
  // (Node's RequestInit types `dispatcher` with its own bundled undici's types.)
  if (request.dispatcher !== undefined) (init as { dispatcher?: unknown }).dispatcher = request.dispatcher;
  return init;
}

/** fetch's refusal as a typed error: the request was not sent. */
function refused(error: unknown, request: PreparedRequest, secrets: readonly string[]): Error {
  const message = error instanceof Error ? error.message : String(error);
  return invalidRequest("url", `fetch refused the request: ${message}`, [], {
    method: request.method,
    url: request.url,
    options: { secrets },
  });
}

/** The system error code of a fetch failure, found on the error or along its causes. */
function errorCode(error: unknown): string | undefined {
  for (
    let e = error, depth = 0;
    e && typeof e === "object" && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}
