import { startTimer } from "../clock.js";
import { readRateLimit } from "../headers/read-rate-limit.js";
import { parseRetryAfter } from "../headers/retry-after.js";
import type { RateLimitSnapshot } from "../headers/types.js";
import { emit, isObserved } from "../hooks.js";
import { PacerDeadlineError } from "../pacer/deadline-error.js";
import type { CallContext } from "./context.js";
import { eventUrl } from "./event-url.js";
import { connectionFailed, rateLimitedLocally, timedOut } from "./failures.js";
import type { PreparedRequest } from "./prepare.js";

export type AttemptResult =
  | {
      kind: "response";
      response: Response;
      rateLimit: RateLimitSnapshot | undefined;
      retryAfterMs: number | undefined;
    }
  | { kind: "connection"; error: Error; provablyUnsent: boolean }
  | { kind: "timeout"; error: Error };

/** Connection errors that prove the request never reached the server. */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * One attempt: wait for the key's permit, send, and tell the pacer how it ended. This is the
 * only place a request meets the pacer, so every send is paced and every permit released.
 * Throws only for what ends the call at once: the caller's abort, or a wait past the deadline.
 */
export async function sendAttempt(
  ctx: CallContext,
  request: PreparedRequest,
  attempt: number,
): Promise<AttemptResult> {
  const { options, pacer } = ctx;
  const { clock, dialect } = options;
  const base = isObserved(options.hooks)
    ? { key: ctx.key, dialect: dialect.name, method: request.method, url: eventUrl(request) }
    : undefined;
  let permit: Awaited<ReturnType<typeof pacer.acquire>>;
  try {
    permit = await pacer.acquire({
      signal: ctx.signal,
      deadline: ctx.deadline,
      onWait: base && ((info) => emit(options.hooks, { type: "wait", ...base, at: clock.now(), ...info })),
    });
  } catch (error) {
    if (error instanceof PacerDeadlineError)
      throw rateLimitedLocally(error, request, attempt - 1, ctx.deadline);
    throw error;
  }
  if (base) emit(options.hooks, { type: "request", ...base, at: clock.now(), attempt });

  // One controller per attempt, fed by the call's signal and the attempt's own timeout.
  const attemptAbort = new AbortController();
  let timedOutError: Error | undefined;
  ctx.linkAttempt(attemptAbort);
  const stopTimer = startTimer(clock, options.timeoutMs, () => {
    timedOutError = timedOut(options.timeoutMs, "attempt", request, attempt);
    attemptAbort.abort(timedOutError);
  });
  let response: Response;
  try {
    response = await options.transport.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: attemptAbort.signal,
      // Node's fetch requires this for a stream body.
      ...(request.body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch (error) {
    if (ctx.signal.aborted) {
      permit.release({ kind: "failed" });
      throw ctx.signal.reason;
    }
    if (timedOutError) {
      permit.release({ kind: "failed" });
      return { kind: "timeout", error: timedOutError };
    }
    const provablyUnsent = NEVER_SENT.has(errorCode(error) ?? "");
    permit.release(provablyUnsent ? { kind: "unsent" } : { kind: "failed" });
    return { kind: "connection", error: connectionFailed(error, request, attempt), provablyUnsent };
  } finally {
    stopTimer();
  }

  const now = clock.now();
  const rateLimit = readRateLimit(response.headers, now);
  const retryAfterMs = parseRetryAfter(
    response.headers.get("retry-after"),
    now,
    response.headers.get("date"),
  );
  const counted = dialect.counts(response.status, request.path);
  const released = permit.release({
    kind: "response",
    status: response.status,
    counted,
    rateLimit,
    retryAfterMs,
  });
  if (!base) return { kind: "response", response, rateLimit, retryAfterMs };
  emit(options.hooks, {
    type: "response",
    ...base,
    at: now,
    attempt,
    status: response.status,
    latencyMs: now - permit.grantedAt,
    rateLimit,
    counted,
  });
  if (released.gate) {
    emit(options.hooks, {
      type: "rate-limited",
      ...base,
      at: now,
      attempt,
      retryAfterMs,
      gateMs: released.gate.waitMs,
      gateReason: released.gate.reason,
    });
  }
  return { kind: "response", response, rateLimit, retryAfterMs };
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
