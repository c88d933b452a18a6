import { isBranded, registerErrorClass } from "../errors/brand.js";
import { PacekeeperError } from "../errors/pacekeeper-error.js";

/**
 * The Redis store could not be reached in time (connection down, a command past
 * `commandTimeoutMs`, the client closed), and the store was told `onUnavailable: "fail"`.
 * Nothing was sent: the request may be tried again once Redis is back. `cause` holds the
 * ioredis error or the timeout.
 */
export class StoreUnavailableError extends PacekeeperError {
  static {
    registerErrorClass(StoreUnavailableError, "StoreUnavailableError");
  }
  override readonly name = "StoreUnavailableError";
  readonly code = "store_unavailable";

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

/**
 * Whether `value` is a `StoreUnavailableError`, also one made by another copy of the package
 * (the brand is a `Symbol.for`, see src/errors/brand.ts). Never throws.
 * @example
 * ```ts
 * try {
 *   await client.get("/bookings");
 * } catch (error) {
 *   if (isStoreUnavailableError(error)) console.error("Redis is out of reach; nothing was sent", error.cause);
 *   throw error;
 * }
 * ```
 */
export function isStoreUnavailableError(value: unknown): value is StoreUnavailableError {
  return value instanceof StoreUnavailableError || isBranded(value, ["StoreUnavailableError"]);
}
