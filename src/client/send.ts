import type { Timeout } from "../equal-timeouts.js";
import type { CallContext } from "./context.js";
import { discard } from "./discard.js";
import { timedOut } from "./failures.js";
import type { PreparedRequest } from "./prepare.js";

/** How one send through the transport ended, short of the call's abort (which it throws). */
export type Sent =
  | { kind: "response"; response: Response }
  | { kind: "timeout"; error: Error }
  | { kind: "failed"; error: unknown; provablyUnsent: boolean };

/** Connection errors that prove the request never reached the server. */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

/** undici's own attempt timeout (the default transport's agent): the same verdict as ours. */
const HEADERS_TIMEOUT = "UND_ERR_HEADERS_TIMEOUT";

/**
 * Sends `request` once and settles on the first of: its response headers, the attempt timeout,
 * a failure, or the call's abort (thrown, with the call's reason).
 *
 * It settles whether or not the transport has let go of the request by then. On Node's fetch an
 * `AbortSignal` costs more than the rest of a paced call together, so the default transport gets
 * one only when the caller can abort the call: an overdue request is freed by its agent
 * (`headersTimeout`), one of a closing client by `close()`, and a response that comes after its
 * attempt was given up is discarded. A caller's own fetch always gets a signal.
 */
export function sendOnce(ctx: CallContext, request: PreparedRequest, attempt: number): Promise<Sent> {
  return new Promise<Sent>((resolve, reject) => new InFlight(ctx, request, attempt, resolve, reject).send());
}

/**
 * One send in flight: at once the entry of its attempt timeout and the call's link to the attempt,
 * one object rather than a closure for each (it is made for every request).
 */
class InFlight implements Timeout {
  at = 0;
  prev: Timeout | undefined = undefined;
  next: Timeout | undefined = undefined;
  private settled = false;
  /** The transport's signal, where it cannot free an overdue request itself. */
  private readonly own: AbortController | undefined;

  constructor(
    private readonly ctx: CallContext,
    private readonly request: PreparedRequest,
    private readonly attempt: number,
    private readonly resolve: (sent: Sent) => void,
    private readonly reject: (reason: unknown) => void,
  ) {
    this.own = ctx.options.transport.freesOverdueRequests ? undefined : new AbortController();
  }

  send(): void {
    const { ctx, request } = this;
    ctx.attemptTimeouts.start(this);
    // Stays linked once settled: an abort of the call while the caller reads the body stops it.
    ctx.linkAttempt(this);
    if (this.settled) return; // the call had aborted already: nothing is sent
    const signal = this.own?.signal ?? (ctx.abortableByCaller ? ctx.signal : undefined);
    let sending: Promise<Response>;
    try {
      sending = ctx.options.transport.fetch(request.url, fetchInit(request, signal));
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      (response) => this.responded(response),
      (error: unknown) => this.failed(error),
    );
  }

  /** The attempt timeout has passed. */
  fire(): void {
    const error = timedOut(this.ctx.options.timeoutMs, "attempt", this.request, this.attempt);
    this.own?.abort(error);
    if (this.settle()) this.resolve({ kind: "timeout", error });
  }

  /** The call aborted. */
  abort(reason: unknown): void {
    this.own?.abort(reason);
    if (this.settle()) this.reject(reason);
  }

  private responded(response: Response): void {
    if (this.settle()) this.resolve({ kind: "response", response });
    else discard(response);
  }

  private failed(error: unknown): void {
    if (!this.settle()) return;
    const code = errorCode(error) ?? "";
    if (code === HEADERS_TIMEOUT) {
      const { timeoutMs } = this.ctx.options;
      this.resolve({ kind: "timeout", error: timedOut(timeoutMs, "attempt", this.request, this.attempt) });
    } else {
      this.resolve({ kind: "failed", error, provablyUnsent: NEVER_SENT.has(code) });
    }
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.ctx.attemptTimeouts.stop(this);
    return true;
  }
}

/**
 * `fetch`'s options for one send: only the members that differ from fetch's defaults, in an object
 * built by assignment rather than a conditional spread. Node's fetch converts every member it is
 * given (WebIDL), and objects built by assignment keep one of a few hidden classes, so its reading
 * of them stays fast; a spread-built one took V8's slow path when copied (~1 µs, docs/benchmarks.md).
 */
function fetchInit(request: PreparedRequest, signal: AbortSignal | undefined): RequestInit {
  const init: RequestInit & { duplex?: "half" } = { headers: request.headers, redirect: "manual" };
  if (request.method !== "GET") init.method = request.method;
  if (signal) init.signal = signal;
  if (request.body !== null) {
    init.body = request.body;
    // Node's fetch requires this for a stream body.
    if (request.body instanceof ReadableStream) init.duplex = "half";
  }
  return init;
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
