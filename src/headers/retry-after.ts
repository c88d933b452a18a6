/**
 * `Retry-After` (RFC 9110 §10.2.3): `delay-seconds / HTTP-date`. A total function: whatever the
 * server sends, the answer is a finite wait in milliseconds or `undefined`, never a throw.
 */

/** Largest wait returned: callers cap waits by their own deadline, the parser only keeps them finite. */
const MAX_MS = Number.MAX_SAFE_INTEGER;

const DAYS = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAYS = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";

/** `Sun, 06 Nov 1994 08:49:37 GMT` (one-digit days and extra spaces tolerated). */
const IMF_FIXDATE = new RegExp(`^${DAYS},\\s*(\\d{1,2})\\s+${MONTH}\\s+(\\d{4})\\s+${TIME}\\s+GMT$`, "i");
/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete RFC 850 form). */
const RFC850_DATE = new RegExp(`^${LONG_DAYS},\\s*(\\d{1,2})-${MONTH}-(\\d{2})\\s+${TIME}\\s+GMT$`, "i");
/** `Sun Nov  6 08:49:37 1994` (obsolete asctime form, always UTC). */
const ASCTIME_DATE = new RegExp(`^${DAYS}\\s+${MONTH}\\s+(\\d{1,2})\\s+${TIME}\\s+(\\d{4})$`, "i");

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7) in any of its three forms into epoch milliseconds.
 *
 * A hand-written parser rather than `Date.parse`: `Date.parse` accepts far more than HTTP-dates
 * (`"1.5"` and `"-3"` are dates to V8) and reads the zone-less asctime form in the *local* zone,
 * while HTTP-dates are always UTC. The weekday name is checked to be a weekday name, not to match
 * the date (a recipient-side leniency). Impossible dates (`31 Feb`, `25:00:00`) are rejected.
 *
 * @param nowMs resolves the two-digit year of the RFC 850 form: a year more than 50 years in the
 *   future means the most recent past year with those digits (RFC 9110 §5.6.7).
 * @returns epoch milliseconds, or `undefined` when `value` is not an HTTP-date.
 */
export function parseHttpDate(value: string | null | undefined, nowMs = 0): number | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(m[3], m[2], m[1], m[4], m[5], m[6]);
  m = ASCTIME_DATE.exec(text);
  if (m) return utc(m[6], m[1], m[2], m[3], m[4], m[5]);
  m = RFC850_DATE.exec(text);
  if (m) {
    const yy = Number(m[3]);
    const date = new Date(nowMs);
    const nowYear = Number.isNaN(date.getTime()) ? 1970 : date.getUTCFullYear();
    let year = nowYear - (nowYear % 100) + yy;
    if (year > nowYear + 50) year -= 100;
    return utc(String(year), m[2], m[1], m[4], m[5], m[6]);
  }
  return undefined;
}

function utc(
  yearText: string | undefined,
  monthText: string | undefined,
  dayText: string | undefined,
  hourText: string | undefined,
  minuteText: string | undefined,
  secondText: string | undefined,
): number | undefined {
  const year = Number(yearText);
  const month = MONTHS.indexOf(String(monthText).toLowerCase());
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = Number(secondText);
  // Second 60 is a leap second: allowed by RFC 9110 (`second = 2DIGIT`, 00-60 in IMF), it rolls over.
  if (month < 0 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month, day); // not Date.UTC: it maps years 0-99 to 1900-1999
  if (date.getUTCMonth() !== month || date.getUTCDate() !== day) return undefined; // 31 Feb
  date.setUTCHours(hour, minute, second, 0);
  const time = date.getTime();
  return Number.isFinite(time) ? time : undefined;
}

/**
 * Parses `Retry-After` into milliseconds to wait.
 *
 * - **delay-seconds**: digits (`"120"`), with a fraction tolerated (`"2.985"`: RFC 9110 allows
 *   whole seconds only, but servers send fractions), surrounding whitespace too. `"-3"`, `"1e3"`,
 *   `"+5"`, `".5"` and `""` are malformed.
 * - **HTTP-date**: measured against the response's own `Date` header when given and valid — both
 *   come from the server's clock, so the difference is right however far the client's clock is off —
 *   else against `nowMs`. The result is relative to the moment the response was received.
 *   A date in the past means 0.
 * - **Folded duplicates** (`"120, 60"`, what `Headers.get` makes of two `Retry-After` fields): when
 *   the whole value is neither form, it is read as a comma-separated list whose elements are each
 *   a delay or an HTTP-date (a date contains a comma, so it is tried first, across two parts), and
 *   the *largest* wait wins — the conservative reading, since sending too early earns another 429.
 *   One malformed element makes the whole value malformed.
 *
 * Huge values are returned as finite numbers, clamped to `Number.MAX_SAFE_INTEGER`; callers cap
 * them by their own deadline. Never NaN, never negative, never Infinity, never throws.
 *
 * @param value the `Retry-After` field value (`headers.get("retry-after")`).
 * @param nowMs the client's current time, epoch milliseconds.
 * @param dateHeader the response's `Date` field value, if any.
 * @returns milliseconds to wait, or `undefined` when the field is absent or malformed.
 * @example
 * ```ts
 * parseRetryAfter("120", Date.now()); // 120_000
 * parseRetryAfter("2.5", Date.now()); // 2_500
 * parseRetryAfter("soon", Date.now()); // undefined: malformed
 * const waitMs = parseRetryAfter(response.headers.get("retry-after"), Date.now(), response.headers.get("date"));
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
  dateHeader?: string | null,
): number | undefined {
  if (typeof value !== "string") return undefined;
  const serverNow = parseHttpDate(dateHeader, nowMs);
  const basis = serverNow ?? nowMs;
  const whole = parseElement(value, basis, nowMs);
  if (whole !== undefined || !value.includes(",")) return whole;

  // A folded list: every element must be a delay or a date (a date spans two comma parts);
  // empty elements are allowed (RFC 9110 §5.6.1). One bad element makes the whole value malformed:
  // "October 21, 2015" must not be read as 2015 seconds.
  const parts = value.split(",");
  let best: number | undefined;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next = parts[i + 1];
    const dateWait = next === undefined ? undefined : parseDateWait(`${part},${next}`, basis, nowMs);
    let wait: number | undefined;
    if (dateWait !== undefined) {
      wait = dateWait;
      i++;
    } else {
      wait = parseDelaySeconds(part);
      if (wait === undefined && part.trim() !== "") return undefined;
    }
    if (wait !== undefined && (best === undefined || wait > best)) best = wait;
  }
  return best;
}

function parseElement(text: string, basis: number, nowMs: number): number | undefined {
  return parseDelaySeconds(text) ?? parseDateWait(text, basis, nowMs);
}

/**
 * delay-seconds: digits, and — beyond RFC 9110, which allows only whole seconds — a fraction, as
 * rate-limiter-flexible (`msBeforeNext / 1000`), Shopify and Stainless SDKs' servers send it.
 */
const DELAY_SECONDS = /^\s*(\d+)(?:\.(\d+))?\s*$/;

/** Seconds to milliseconds, a fraction rounded up, read from the digits (`4.35 * 1000` is `4350.000000000001`). */
function parseDelaySeconds(text: string): number | undefined {
  const m = DELAY_SECONDS.exec(text);
  if (!m) return undefined;
  const fraction = (m[2] ?? "").padEnd(3, "0");
  const beyondMs = /[1-9]/.test(fraction.slice(3)) ? 1 : 0;
  return clampMs(Number(m[1]) * 1000 + Number(fraction.slice(0, 3)) + beyondMs);
}

function parseDateWait(text: string, basis: number, nowMs: number): number | undefined {
  const at = parseHttpDate(text, nowMs);
  if (at === undefined) return undefined;
  return clampMs(at - basis);
}

/** A wait in [0, MAX_SAFE_INTEGER], or undefined for NaN (e.g. a NaN `nowMs`). */
function clampMs(ms: number): number | undefined {
  if (Number.isNaN(ms)) return undefined;
  return Math.min(MAX_MS, Math.max(0, ms));
}

/**
 * `Retry-After-Ms` (non-standard; openai-node and the Anthropic SDK read it before `Retry-After`):
 * milliseconds, a fraction allowed. `undefined` when absent or malformed.
 */
export function parseRetryAfterMs(value: string | null | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  return m ? clampMs(Math.ceil(Number(m[1]))) : undefined;
}
