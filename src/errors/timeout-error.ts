import { registerErrorClass } from "./brand.js";
import { attemptCount } from "./normalize.js";
import { PacekeeperError, type PacekeeperErrorOptions } from "./pacekeeper-error.js";
import { createRedactor, redactUrl } from "./redact.js";

export interface TimeoutErrorInit extends PacekeeperErrorOptions {
  message?: string;
  /** The limit that ran out, in milliseconds. */
  timeoutMs: number;
  /** `"attempt"`: one attempt's `timeoutMs`; `"total"`: the deadline across retries and waits. */
  scope: "attempt" | "total";
  method: string;
  url: string | URL;
  attempts: number;
}

/**
 * A time limit ran out: one attempt's (`scope: "attempt"`, retried like a network failure) or the
 * call's whole deadline (`scope: "total"`, never retried).
 */
export class TimeoutError extends PacekeeperError {
  static {
    registerErrorClass(TimeoutError, "TimeoutError");
  }

  override readonly name = "TimeoutError" as const;
  readonly code = "timeout" as const;
  readonly timeoutMs: number;
  readonly scope: "attempt" | "total";
  readonly method: string;
  /** The request URL without userinfo, fragment or secret-looking query values. */
  readonly url: string;
  readonly attempts: number;

  constructor(init: TimeoutErrorInit) {
    const redactor = createRedactor(init.secrets);
    const method = redactor.text(String(init.method).toUpperCase());
    const url = redactor.text(redactUrl(init.url));
    const limit = init.scope === "total" ? "the total deadline" : "the per-attempt timeout";
    super(init.message ?? `${method} ${url} timed out: ${limit} of ${init.timeoutMs} ms ran out`, init);
    this.timeoutMs = init.timeoutMs;
    this.scope = init.scope;
    this.method = method;
    this.url = url;
    this.attempts = attemptCount(init.attempts);
  }
}
