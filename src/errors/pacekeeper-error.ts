import { isInstanceAcrossCopies, PACEKEEPER_ERROR_BRAND, registerErrorClass } from "./brand.js";
import { createRedactor } from "./redact.js";

export interface PacekeeperErrorOptions {
  /** The error this one wraps (a network failure, a JSON `SyntaxError`, a pacer refusal). */
  cause?: unknown;
  /**
   * Strings that must never appear in the error (the API key). Every occurrence in the message
   * and, where a cause mentions one, in a copy of the cause, is replaced by `[REDACTED]`.
   */
  secrets?: readonly string[];
}

/**
 * The base of every error pacekeeper throws. Each concrete class has a literal `name` and a stable
 * `code`; catch with the guards (`isRateLimitError(e)`) or `instanceof`, both of which also
 * recognise errors made by another copy of the package.
 *
 * No error ever holds the request's headers, so neither the message, the properties,
 * `util.inspect`, `JSON.stringify` nor the stack can carry the `Authorization` value.
 */
export abstract class PacekeeperError extends Error {
  /** A stable, machine-readable identifier of the error's kind, e.g. `"rate_limited"`. */
  abstract readonly code: string;

  static {
    registerErrorClass(PacekeeperError, "PacekeeperError", "any");
  }

  /**
   * `instanceof` also accepts an error of this kind made by another copy of the package (it
   * carries the same `Symbol.for` brand and name); the prototype chain is checked first.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class on the right of `instanceof` (a subclass too), not PacekeeperError.
    // biome-ignore lint/complexity/noThisInStatic: the receiver is the point
    return Function.prototype[Symbol.hasInstance].call(this, value) || isInstanceAcrossCopies(this, value);
  }

  constructor(message: string, options: PacekeeperErrorOptions = {}) {
    const redactor = createRedactor(options.secrets);
    super(
      redactor.text(message),
      options.cause === undefined ? undefined : { cause: redactor.cause(options.cause) },
    );
    Object.defineProperty(this, PACEKEEPER_ERROR_BRAND, { value: true });
  }

  /**
   * A plain object with the error's safe fields, for loggers and `JSON.stringify` (which would
   * otherwise print `{}` for an Error). The stack is left out; `cause` is summarised.
   * @example
   * ```ts
   * try {
   *   await client.get("/api/v1/bookings/bkg_999999");
   * } catch (error) {
   *   if (isPacekeeperError(error)) console.error(JSON.stringify(error)); // {"name":"NotFoundError","code":…}
   *   throw error;
   * }
   * ```
   */
  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = { name: this.name, code: this.code, message: this.message };
    for (const [key, value] of Object.entries(this)) {
      if (!(key in json) && value !== undefined) json[key] = value;
    }
    if (this.cause !== undefined) json.cause = summarizeCause(this.cause, 0);
    return json;
  }
}

function summarizeCause(cause: unknown, depth: number): unknown {
  if (typeof cause !== "object" || cause === null) {
    // Not String(cause): a function would print its source.
    return typeof cause === "string" || typeof cause === "number" || typeof cause === "boolean"
      ? cause
      : `[${typeof cause}]`;
  }
  if (typeof (cause as { toJSON?: unknown }).toJSON === "function" && cause instanceof PacekeeperError) {
    return cause.toJSON();
  }
  if (!(cause instanceof Error)) return "[object]";
  const summary: Record<string, unknown> = { name: cause.name, message: cause.message };
  const code = (cause as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") summary.code = code;
  if (cause.cause !== undefined && depth < 4) summary.cause = summarizeCause(cause.cause, depth + 1);
  return summary;
}
