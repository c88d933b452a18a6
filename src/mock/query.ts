/**
 * Parsing of query parameters and body fields. Each parser returns a value or a message that
 * names the parameter; the dialect puts the message in its own error shape (a 400, never a crash).
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(message: string): Parsed<T> => ({ ok: false, message });

/** An integer query parameter from `min` to `max`, `fallback` when absent. */
export function integerParam(
  params: URLSearchParams,
  name: string,
  range: { min: number; max: number; fallback: number },
): Parsed<number> {
  const raw = params.get(name);
  if (raw === null) return ok(range.fallback);
  const value = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= range.min && value <= range.max)) {
    const bound = range.max === Number.MAX_SAFE_INTEGER ? "and up" : `to ${range.max}`;
    return fail(`\`${name}\` must be an integer from ${range.min} ${bound}, got ${JSON.stringify(raw)}`);
  }
  return ok(value);
}

/** A calendar date `YYYY-MM-DD` that exists (no 2025-02-30). */
export function parseIsoDate(name: string, raw: unknown): Parsed<string> {
  if (typeof raw === "string" && /^\d{4}-\d{2}-\d{2}$/.test(raw)) {
    const time = Date.parse(`${raw}T00:00:00Z`);
    if (Number.isFinite(time) && new Date(time).toISOString().startsWith(raw)) return ok(raw);
  }
  return fail(`\`${name}\` must be an ISO date like 2025-06-30, got ${JSON.stringify(raw) ?? "nothing"}`);
}

/** An ISO 8601 date-time with a time zone, such as `2025-06-30T09:00:00Z`; the value is its time in ms. */
export function parseIsoDateTime(name: string, raw: unknown): Parsed<number> {
  if (
    typeof raw === "string" &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw)
  ) {
    const time = Date.parse(raw);
    const date = raw.slice(0, 10);
    if (Number.isFinite(time) && parseIsoDate(name, date).ok) return ok(time);
  }
  return fail(
    `\`${name}\` must be an ISO date-time like 2025-06-30T09:00:00Z, got ${JSON.stringify(raw) ?? "nothing"}`,
  );
}

/** An integer field of a JSON body from `min` to `max`. */
export function integerField(
  body: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): Parsed<number> {
  const value = body[name];
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return ok(value);
  return fail(
    `\`${name}\` must be an integer from ${min} to ${max}, got ${JSON.stringify(value) ?? "nothing"}`,
  );
}

/** A non-empty string field of a JSON body, at most `maxLength` characters. */
export function stringField(body: Record<string, unknown>, name: string, maxLength: number): Parsed<string> {
  const value = body[name];
  if (typeof value === "string" && value.trim() !== "" && value.length <= maxLength) return ok(value);
  return fail(
    `\`${name}\` must be a non-empty string of at most ${maxLength} characters, got ${JSON.stringify(value) ?? "nothing"}`,
  );
}
