import { registerErrorClass } from "./brand.js";
import { attemptCount, oneLine } from "./normalize.js";
import { PacekeeperError, type PacekeeperErrorOptions } from "./pacekeeper-error.js";
import { createRedactor, redactUrl } from "./redact.js";

export interface ConnectionErrorInit extends PacekeeperErrorOptions {
  /** Replaces the message `"Network error on GET <url>: <reason from the cause>"`. */
  message?: string;
  method: string;
  url: string | URL;
  /** Attempts made, this one included. */
  attempts: number;
}

/**
 * The request failed below HTTP: DNS, refused or reset connection, TLS, a body cut short. `cause`
 * is the transport's error (undici's `TypeError: fetch failed`, whose own `cause` names the
 * socket error). The server may or may not have processed the request, so it is retried only for
 * idempotent methods or with an idempotency key.
 */
export class ConnectionError extends PacekeeperError {
  static {
    registerErrorClass(ConnectionError, "ConnectionError");
  }

  override readonly name = "ConnectionError" as const;
  readonly code = "connection_failed" as const;
  readonly method: string;
  /** The request URL without userinfo, fragment or secret-looking query values. */
  readonly url: string;
  readonly attempts: number;

  constructor(init: ConnectionErrorInit) {
    const redactor = createRedactor(init.secrets);
    const method = redactor.text(String(init.method).toUpperCase());
    const url = redactor.text(redactUrl(init.url));
    super(
      init.message ?? `Network error on ${method} ${url}: ${describeCause(init.cause, redactor.text)}`,
      init,
    );
    this.method = method;
    this.url = url;
    this.attempts = attemptCount(init.attempts);
  }
}

/**
 * The innermost message of a cause chain (undici's "fetch failed" says little; its cause says
 * what), redacted before it is flattened to one line so that no altered form of a secret survives.
 */
export function describeCause(cause: unknown, redact: (text: string) => string = (text) => text): string {
  let reason = "";
  let current: unknown = cause;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    const message = typeof current.message === "string" ? current.message : "";
    if (message !== "")
      reason = typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
    current = current.cause;
  }
  if (reason === "" && typeof cause === "string") reason = cause;
  return reason === "" ? "the connection failed" : oneLine(redact(reason), 300);
}
