import { isPacekeeperError } from "../errors/guards.js";

/**
 * An error as plain data, safe to post between threads and to log: the error's own `toJSON()`
 * for pacekeeper's errors (`name`, `code`, `message`, `status`, `retryAfterMs`, `requestId`, …,
 * never the key or the stack), else `name`, `message` and a string or number `code`.
 */
export interface SerializedError {
  name: string;
  message: string;
  code?: string | number;
  /** The HTTP status, for an `HttpError`. */
  status?: number;
  /** How long the server asked to wait, for a `RateLimitError`. */
  retryAfterMs?: number;
  [field: string]: unknown;
}

/** Turns whatever a job threw into a `SerializedError` that `structuredClone` accepts. Never throws. */
export function serializeError(error: unknown): SerializedError {
  try {
    if (isPacekeeperError(error) && typeof error.toJSON === "function") {
      // Through JSON, so nothing that cannot cross a thread (a function, a symbol) is left in it.
      const json = JSON.parse(JSON.stringify(error.toJSON())) as Record<string, unknown>;
      return { ...json, name: String(json.name), message: String(json.message) };
    }
    if (error instanceof Error) {
      const serialized: SerializedError = { name: error.name, message: error.message };
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" || typeof code === "number") serialized.code = code;
      return serialized;
    }
    return {
      name: "Error",
      message: typeof error === "string" ? error : `A job threw a non-error: ${typeof error}`,
    };
  } catch {
    return { name: "Error", message: "A job threw an error that could not be serialized" };
  }
}
