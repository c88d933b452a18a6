/**
 * The brand every pacekeeper error carries. `Symbol.for` returns the same symbol in every copy of
 * the package loaded in one process (two versions in node_modules, ESM and CJS builds side by side),
 * so the guards recognise an error made by another copy, where `instanceof` against this copy's
 * class would fail. The technique is undici's (`Symbol.for("undici.error.UND_ERR")`).
 */
export const PACEKEEPER_ERROR_BRAND: unique symbol = Symbol.for("pacekeeper.error");

/** The `name` of every `HttpError` class: what `isHttpError` accepts. */
export const HTTP_ERROR_NAMES = [
  "HttpError",
  "RateLimitError",
  "AuthenticationError",
  "PermissionError",
  "NotFoundError",
  "ClientError",
  "ServerError",
] as const;

export type HttpErrorName = (typeof HTTP_ERROR_NAMES)[number];

/** True when `value` carries the brand and, if `names` is given, one of those names. Never throws. */
export function isBranded(value: unknown, names?: readonly string[]): value is Error & { name: string } {
  if (typeof value !== "object" || value === null) return false;
  try {
    const record = value as Record<PropertyKey, unknown>;
    if (record[PACEKEEPER_ERROR_BRAND] !== true) return false;
    const name = record.name;
    return typeof name === "string" && (names === undefined || names.includes(name));
  } catch {
    // A hostile Proxy can throw from a property read; a guard answers, it does not throw.
    return false;
  }
}

/** Class → the names its `instanceof` accepts across copies. Classes not registered (subclasses
 * made outside this folder) keep the ordinary prototype-chain `instanceof`. */
const familyOf = new WeakMap<object, readonly string[] | "any">();

/**
 * Registers an error class under its own `name` and the names its `instanceof` accepts (its own,
 * unless given). The name is set on the class too: a bundler renames a class that refers to itself
 * (`_NotFoundError` in the ESM build, `_class6` in the CJS one), and it is what an uncaught error and
 * `console.log` print.
 */
export function registerErrorClass(
  errorClass: object,
  name: string,
  family: readonly string[] | "any" = [name],
): void {
  familyOf.set(errorClass, family);
  Object.defineProperty(errorClass, "name", { value: name, configurable: true });
}

export function isInstanceAcrossCopies(errorClass: object, value: unknown): boolean {
  const family = familyOf.get(errorClass);
  if (family === undefined) return false;
  return isBranded(value, family === "any" ? undefined : family);
}
