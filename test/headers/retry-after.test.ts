import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseHttpDate, parseRetryAfter } from "../../src/headers/retry-after.js";

const MAX = Number.MAX_SAFE_INTEGER;
/** 2015-10-21T07:27:00Z, one minute before the dates below. */
const NOW = Date.UTC(2015, 9, 21, 7, 27, 0);

function expectValidWait(wait: number | undefined): void {
  if (wait === undefined) return;
  expect(Number.isFinite(wait)).toBe(true);
  expect(wait).toBeGreaterThanOrEqual(0);
  expect(wait).toBeLessThanOrEqual(MAX);
}

describe("parseRetryAfter — delay-seconds", () => {
  it.each([
    ["14", 14_000], // BoothZen's 429 example
    ["600", 600_000], // CampOne's 429 example
    ["0", 0],
    ["3600", 3_600_000],
    [" 120 ", 120_000],
    ["\t7\t", 7000],
    ["007", 7000],
    // Not RFC 9110's syntax, but what rate-limiter-flexible's examples send (msBeforeNext / 1000):
    // read to the millisecond, rounded up, rather than ignored.
    ["1.5", 1500],
    ["0.0004", 1],
  ])("%j → %d ms", (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each([
    ["1."],
    [".5"],
    ["-3"],
    ["abc"],
    ["1e3"],
    ["+5"],
    ["0x10"],
    [""],
    ["   "],
    ["5 s"],
    ["Infinity"],
    ["NaN"],
    ["١٢"], // Arabic-Indic digits are not DIGIT
  ])("%j is malformed", (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it("is undefined when the header is absent", () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });

  it("keeps huge values finite, clamped to MAX_SAFE_INTEGER", () => {
    expect(parseRetryAfter("99999999999999999", NOW)).toBe(MAX);
    expect(parseRetryAfter("9".repeat(400), NOW)).toBe(MAX); // Number() of that is Infinity
    expect(parseRetryAfter("9007199254740", NOW)).toBe(9_007_199_254_740_000);
  });

  it("does not need a usable now for a delay", () => {
    expect(parseRetryAfter("5", Number.NaN)).toBe(5000);
  });
});

describe("parseRetryAfter — HTTP-date", () => {
  it.each([
    ["IMF-fixdate", "Wed, 21 Oct 2015 07:28:00 GMT"],
    ["RFC 850", "Wednesday, 21-Oct-15 07:28:00 GMT"],
    ["asctime", "Wed Oct 21 07:28:00 2015"],
    ["asctime, one-digit day padded", "Wed Oct  7 07:28:00 2015"],
    ["lower case", "wed, 21 oct 2015 07:28:00 gmt"],
  ])("%s is measured against now", (_form, value) => {
    const at = value.includes("Oct  7") ? Date.UTC(2015, 9, 7, 7, 28) : Date.UTC(2015, 9, 21, 7, 28);
    expect(parseRetryAfter(value, at - 60_000)).toBe(60_000);
  });

  it("reads asctime as UTC whatever the local zone", () => {
    // Date.parse would read this zone-less form in local time.
    expect(parseHttpDate("Sun Nov  6 08:49:37 1994")).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
  });

  it("gives 0 for a date in the past", () => {
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", NOW + 3_600_000)).toBe(0);
  });

  it("measures against the response's Date header (the server's clock) when it is valid", () => {
    const clientClockOneHourAhead = NOW + 3_600_000;
    expect(
      parseRetryAfter(
        "Wed, 21 Oct 2015 07:28:00 GMT",
        clientClockOneHourAhead,
        "Wed, 21 Oct 2015 07:27:30 GMT",
      ),
    ).toBe(30_000);
    // The Date header may itself be in an obsolete form.
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 0, "Wed Oct 21 07:27:50 2015")).toBe(10_000);
  });

  it("falls back to now when the Date header is absent or invalid", () => {
    for (const date of [undefined, null, "", "yesterday", "2015-10-21T07:27:30Z"]) {
      expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", NOW, date)).toBe(60_000);
    }
  });

  it("does not use the Date header for delay-seconds", () => {
    expect(parseRetryAfter("30", NOW, "Wed, 21 Oct 2015 07:00:00 GMT")).toBe(30_000);
  });

  it.each([
    ["Wed, 31 Feb 2015 07:28:00 GMT"], // no such day
    ["Wed, 21 Oct 2015 24:00:00 GMT"],
    ["Wed, 21 Oct 2015 07:60:00 GMT"],
    ["Wed, 21 Foo 2015 07:28:00 GMT"],
    ["Xyz, 21 Oct 2015 07:28:00 GMT"],
    ["Wed, 21 Oct 2015 07:28:00 PST"], // HTTP-dates are GMT
    ["Wed, 21 Oct 2015 07:28:00"],
    ["2015-10-21T07:28:00Z"], // ISO 8601 is not an HTTP-date
    ["Wed, 21 Oct 15 07:28:00 GMT"],
    ["October 21, 2015"], // Date.parse accepts this
    ["Wednesday, 21-Oct-2015 07:28:00 GMT"],
  ])("%j is malformed", (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
    expect(parseHttpDate(value, NOW)).toBeUndefined();
  });

  it("reads a leap second as the next minute", () => {
    expect(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT")).toBe(Date.UTC(2017, 0, 1));
  });

  it("takes a two-digit RFC 850 year as the most recent past year when it looks > 50 years ahead", () => {
    const now = Date.UTC(2025, 5, 1);
    expect(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", now)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDate("Monday, 01-Jan-74 00:00:00 GMT", now)).toBe(Date.UTC(2074, 0, 1));
    expect(parseHttpDate("Wednesday, 01-Jan-76 00:00:00 GMT", now)).toBe(Date.UTC(1976, 0, 1));
  });

  it("handles years below 100 without Date.UTC's 1900 offset", () => {
    expect(parseHttpDate("Mon, 01 Jan 0050 00:00:00 GMT")).toBe(new Date("0050-01-01T00:00:00Z").getTime());
  });
});

describe("parseRetryAfter — folded duplicates", () => {
  it.each([
    ["120, 60", 120_000],
    ["60, 120", 120_000],
    ["30,", 30_000],
    [" , 30 ,, 5", 30_000],
  ])("%j → the largest delay: %d ms", (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it("reads dates, whose own comma is not a separator", () => {
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT, Wed, 21 Oct 2015 07:29:00 GMT", NOW)).toBe(
      120_000,
    );
    expect(parseRetryAfter("10, Wed, 21 Oct 2015 07:28:00 GMT", NOW)).toBe(60_000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT, 90", NOW)).toBe(90_000);
  });

  it("is undefined when no part is valid", () => {
    expect(parseRetryAfter("1.5, -3", NOW)).toBeUndefined();
    expect(parseRetryAfter(",", NOW)).toBeUndefined();
  });

  it("is undefined when any element is malformed: garbage with a number in it is not a delay", () => {
    expect(parseRetryAfter("abc, 30", NOW)).toBeUndefined();
    expect(parseRetryAfter("1.5s, 2", NOW)).toBeUndefined();
    expect(parseRetryAfter("30, Wed, 21 Oct 2015", NOW)).toBeUndefined();
  });
});

describe("parseRetryAfter — properties", () => {
  it("never throws and never returns NaN, Infinity or a negative number, whatever the input", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: fc.constantFrom(..."0123456789 ,.-+eE:GMTWedOct") }),
          fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
        ),
        fc.oneof(fc.integer(), fc.double(), fc.constant(Number.NaN)),
        fc.option(
          fc.oneof(
            fc.string(),
            fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
          ),
        ),
        (value, now, date) => {
          expectValidWait(parseRetryAfter(value, now, date));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("reads any delay-seconds exactly, whitespace or not", () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.constantFrom("", " ", "\t", "  "), (seconds, pad) => {
        expect(parseRetryAfter(`${pad}${seconds}${pad}`, NOW)).toBe(seconds * 1000);
      }),
    );
  });

  it("reads any IMF-fixdate as its distance from now, or 0 when past", () => {
    const minMs = Date.UTC(1000, 0, 1);
    const maxMs = Date.UTC(9999, 11, 31);
    fc.assert(
      fc.property(
        fc.integer({ min: minMs, max: maxMs }),
        fc.integer({ min: minMs, max: maxMs }),
        (at, now) => {
          const whole = Math.floor(at / 1000) * 1000; // HTTP-dates have whole seconds
          expect(parseRetryAfter(new Date(at).toUTCString(), now)).toBe(Math.max(0, whole - now));
        },
      ),
    );
  });
});
