/**
 * Option checks that fail at construction with messages naming the option, in p-queue's words:
 * ``Expected `limit` to be an integer from 1 and up, got `0` (number)``.
 */

function describe(value: unknown): string {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  return `\`${shown}\` (${value === null ? "null" : typeof value})`;
}

export function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new (typeof value === "number" ? RangeError : TypeError)(
      `Expected \`${name}\` to be an integer from 1 and up, got ${describe(value)}`,
    );
  }
  return value;
}

export function nonNegativeNumber(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new (typeof value === "number" ? RangeError : TypeError)(
      `Expected \`${name}\` to be a finite number from 0 and up, got ${describe(value)}`,
    );
  }
  return value;
}

export function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new (typeof value === "number" ? RangeError : TypeError)(
      `Expected \`${name}\` to be a finite number above 0, got ${describe(value)}`,
    );
  }
  return value;
}

export function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

export function fn<T>(name: string, value: T): T {
  if (typeof value !== "function") {
    throw new TypeError(`Expected \`${name}\` to be a function, got ${describe(value)}`);
  }
  return value;
}

/** Only these keys are allowed in an options object: a typo must not be silently ignored. */
export function knownKeys(what: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`Unknown option \`${key}\` in ${what}; expected one of: ${allowed.join(", ")}`);
    }
  }
}

export function plainObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected \`${name}\` to be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}
