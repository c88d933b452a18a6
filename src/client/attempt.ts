import { readRateLimit } from "../headers/read-rate-limit.js";
import { parseRetryAfter } from "../headers/retry-after.js";
import type { RateLimitSnapshot } from "../headers/types.js";
import { emit, isObserved } from "../hooks.js";
import { PacerDeadlineError } from "../pacer/deadline-error.js";
import type { Permit } from "../pacer/types.js";
import type { CallContext } from "./context.js";
import { eventUrl } from "./event-url.js";
import { connectionFailed, rateLimitedLocally } from "./failures.js";
import type { PreparedRequest } from "./prepare.js";
import { type Sent, sendOnce } from "./send.js";

export type AttemptResult =
  | {
      kind: "response";
      response: Response;
      /** `response.status`, read once: each of undici's getters checks its receiver's brand. */
      status: number;
      rateLimit: RateLimitSnapshot | undefined;
      retryAfterMs: number | undefined;
    }
  | { kind: "connection"; error: Error; provablyUnsent: boolean }
  | { kind: "timeout"; error: Error };

/** What every event of one attempt carries; undefined when no one listens. */
type EventBase = { key: string; dialect: string; method: string; url: string } | undefined;

/**
 * One attempt: wait for the key's permit, send, and tell the pacer how it ended. This is the
 * only place a request meets the pacer, so every send the server counts is paced and every permit
 * released.
 * Throws only for what ends the call at once: the caller's abort, or a wait past the deadline.
 *
 * The wait and the report are functions of their own: an async function keeps its locals in a
 * frame allocated per call, and this one runs for every request.
 */
export async function sendAttempt(
  ctx: CallContext,
  request: PreparedRequest,
  attempt: number,
): Promise<AttemptResult> {
  const { options } = ctx;
  const base: EventBase = isObserved(options.hooks)
    ? { key: ctx.key, dialect: options.dialect.name, method: request.method, url: eventUrl(request) }
    : undefined;
  if (ctx.aborted) throw ctx.reason;
  // A path the server never counts is not the key's budget: sent at once, without a permit.
  const permit = request.paced
    ? (ctx.pacer.tryAcquire?.() ?? (await waitForPermit(ctx, request, attempt, base)))
    : undefined;
  const sentAt = permit ? permit.grantedAt : options.clock.now();
  if (base) emit(options.hooks, { type: "request", ...base, at: options.clock.now(), attempt });

  let sent: Sent;
  try {
    sent = await sendOnce(ctx, request, attempt);
  } catch (reason) {
    permit?.release({ kind: "failed" });
    throw reason;
  }
  if (sent.kind === "response")
    return reportResponse(ctx, request, attempt, permit, sentAt, sent.response, base);
  if (sent.kind === "timeout") {
    permit?.release({ kind: "failed" });
    return sent;
  }
  const { provablyUnsent } = sent;
  permit?.release(provablyUnsent ? { kind: "unsent" } : { kind: "failed" });
  return { kind: "connection", error: connectionFailed(sent.error, request, attempt), provablyUnsent };
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

/** Reads what a response says about the key's budget, tells the pacer, and emits its events. */
function reportResponse(
  ctx: CallContext,
  request: PreparedRequest,
  attempt: number,
  permit: Permit | undefined,
  sentAt: number,
  response: Response,
  base: EventBase,
): AttemptResult {
  const { clock, dialect, hooks } = ctx.options;
  // Read once: each of undici's getters checks its receiver's brand.
  const { status, headers } = response;
  const now = clock.now();
  const rateLimit = readRateLimit(headers, now);
  // Retry-After is read where it can change what happens: on a response that is not a success
  // (a 2xx one, such as 202's "poll again in", is no rate-limit signal, and nothing reads it).
  // `Date` matters only to a Retry-After given as an HTTP-date. Neither is read for every response.
  const retryAfter = status >= 200 && status < 300 ? null : headers.get("retry-after");
  const retryAfterMs =
    retryAfter === null ? undefined : parseRetryAfter(retryAfter, now, headers.get("date"));
  const counted = dialect.counts(status, request.path);
  const released = permit?.release({ kind: "response", status, counted, rateLimit, retryAfterMs });
  if (base) {
    emit(hooks, {
      type: "response",
      ...base,
      at: now,
      attempt,
      status,
      latencyMs: now - sentAt,
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
  return { kind: "response", response, status, rateLimit, retryAfterMs };
}
