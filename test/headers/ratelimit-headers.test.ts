import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boothzen } from "../../src/dialects/boothzen.js";
import { campone } from "../../src/dialects/campone.js";
import { resetToMs } from "../../src/headers/field-values.js";
import { parseDraft6Limit, parseSfIntegerField, readDraft6 } from "../../src/headers/ietf-draft6.js";
import { parseDraft10Limits, parseDraft10Policies, readDraft10 } from "../../src/headers/ietf-draft10.js";
import { readCommonRateLimit, readRateLimit } from "../../src/headers/read-rate-limit.js";
import { parseSfList } from "../../src/headers/structured-fields.js";
import type { RateLimitSnapshot } from "../../src/headers/types.js";
import { readXRateLimit } from "../../src/headers/x-ratelimit.js";

const MAX = Number.MAX_SAFE_INTEGER;
const NOW = 1_700_000_000_000; // 2023-11-14T22:13:20Z

function headers(init: Record<string, string | string[]>): Headers {
  const h = new Headers();
  for (const [name, value] of Object.entries(init)) {
    for (const v of Array.isArray(value) ? value : [value]) h.append(name, v);
  }
  return h;
}

/** The snapshot's top-level fields: the binding request quota (`quotas` lists them all). */
function top(snapshot: RateLimitSnapshot | undefined): Omit<RateLimitSnapshot, "quotas"> | undefined {
  if (snapshot === undefined) return undefined;
  const { quotas: _quotas, ...rest } = snapshot;
  return rest;
}

function expectWellFormed(snapshot: RateLimitSnapshot | undefined): void {
  if (snapshot === undefined) return;
  const numbers = [
    snapshot.remaining,
    snapshot.resetMs,
    ...(snapshot.limit === undefined ? [] : [snapshot.limit]),
    ...(snapshot.windowMs === undefined ? [] : [snapshot.windowMs]),
    ...snapshot.policies.flatMap((p) => [p.limit, p.windowMs]),
  ];
  for (const n of numbers) {
    expect(Number.isFinite(n)).toBe(true);
    expect(n).toBeGreaterThanOrEqual(0);
    expect(n).toBeLessThanOrEqual(MAX);
  }
  expect(Number.isInteger(snapshot.remaining)).toBe(true);
  expect(["ietf-06", "ietf-07", "ietf-10", "x-ratelimit", "openai", "anthropic"]).toContain(snapshot.source);
}

describe("draft -06 trio (BoothZen)", () => {
  it("reads BoothZen's example of a successful call", () => {
    const h = headers({
      "RateLimit-Limit": "600",
      "RateLimit-Remaining": "597",
      "RateLimit-Reset": "41",
      "X-BoothZen-Scope": "read:bookings",
      "X-Request-Id": "req_01HX9KAVD3JZ7P4M2N5Q6R8T9V",
    });
    expect(top(readRateLimit(h, NOW))).toEqual({
      limit: 600,
      remaining: 597,
      resetMs: 41_000,
      policies: [],
      source: "ietf-06",
    });
  });

  it("reads BoothZen's 429 example", () => {
    const h = headers({
      "Retry-After": "14",
      "RateLimit-Limit": "600",
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": "14",
    });
    expect(top(readRateLimit(h, NOW))).toEqual({
      limit: 600,
      remaining: 0,
      resetMs: 14_000,
      policies: [],
      source: "ietf-06",
    });
  });

  it("reads quota policies carried by RateLimit-Limit (drafts -00 to -03)", () => {
    const h = headers({
      "RateLimit-Limit": "10, 10;w=1, 50;w=60",
      "RateLimit-Remaining": "9",
      "RateLimit-Reset": "1",
    });
    expect(top(readRateLimit(h, NOW))).toEqual({
      limit: 10,
      remaining: 9,
      resetMs: 1000,
      windowMs: 1000,
      policies: [
        { limit: 10, windowMs: 1000 },
        { limit: 50, windowMs: 60_000 },
      ],
      source: "ietf-06",
    });
  });

  it("reads a draft -06 RateLimit-Policy and takes the window of the policy in force", () => {
    const h = headers({
      "RateLimit-Limit": "100",
      "RateLimit-Remaining": "50",
      "RateLimit-Reset": "5",
      "RateLimit-Policy": '10;w=1, 100;w=60;comment="per minute"',
    });
    expect(readRateLimit(h, NOW)).toMatchObject({
      limit: 100,
      windowMs: 60_000,
      policies: [
        { limit: 10, windowMs: 1000 },
        { limit: 100, windowMs: 60_000 },
      ],
    });
  });

  it("leaves windowMs unset when no policy matches the limit", () => {
    const snapshot = readRateLimit(
      headers({ "RateLimit-Limit": "10, 50;w=60", "RateLimit-Remaining": "1", "RateLimit-Reset": "3" }),
      NOW,
    );
    expect(snapshot?.windowMs).toBeUndefined();
    expect(snapshot?.policies).toEqual([{ limit: 50, windowMs: 60_000 }]);
  });

  it("keeps the snapshot without a usable limit", () => {
    for (const limit of ["abc", "-1", "1.5", ""]) {
      expect(
        readRateLimit(
          headers({ "RateLimit-Limit": limit, "RateLimit-Remaining": "3", "RateLimit-Reset": "2" }),
          NOW,
        ),
      ).toEqual({
        remaining: 3,
        resetMs: 2000,
        policies: [],
        quotas: [{ unit: "requests", remaining: 3, resetMs: 2000 }],
        source: "ietf-06",
      });
    }
  });

  it.each([
    ["-1"],
    ["1.5"],
    ["abc"],
    [""],
    ["5, 4"], // two fields folded: which is current?
    ["1e3"],
    ["9999999999999999"], // more than RFC 8941's 15 digits
    ["?1"],
  ])("ignores the family when RateLimit-Remaining is %j", (remaining) => {
    const h = headers({
      "RateLimit-Limit": "600",
      "RateLimit-Remaining": remaining,
      "RateLimit-Reset": "41",
    });
    expect(readRateLimit(h, NOW)).toBeUndefined();
  });

  it("uses the policy window when RateLimit-Reset is missing or malformed, else gives up", () => {
    for (const reset of [undefined, "-3", "soon", "4, 5"]) {
      const base = {
        "RateLimit-Remaining": "4",
        ...(reset === undefined ? {} : { "RateLimit-Reset": reset }),
      };
      expect(readRateLimit(headers({ ...base, "RateLimit-Limit": "10, 10;w=30" }), NOW)?.resetMs).toBe(
        30_000,
      );
      expect(readRateLimit(headers({ ...base, "RateLimit-Limit": "10" }), NOW)).toBeUndefined();
    }
  });

  it("reads a reset of 1e9 or more as an epoch, not a 31-year delta", () => {
    const h = headers({ "RateLimit-Remaining": "1", "RateLimit-Reset": String(NOW / 1000 + 30) });
    expect(readRateLimit(h, NOW)?.resetMs).toBe(30_000);
  });

  it("tolerates whitespace and Structured Field parameters on the integer fields", () => {
    expect(parseSfIntegerField("  42 ")).toBe(42);
    expect(parseSfIntegerField('42;comment="x"')).toBe(42);
    expect(parseSfIntegerField("42,")).toBeUndefined();
    expect(parseSfIntegerField(null)).toBeUndefined();
  });

  it("reads bare digits as the Structured Fields parser does: up to 15 digits, leading zeros allowed", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,20}$/), fc.constantFrom("", ";w=60", " "), (digits, suffix) => {
        const expected = digits.length <= 15 ? Number(digits) : undefined;
        expect(parseSfIntegerField(digits + suffix)).toBe(expected);
        expect(parseDraft6Limit(digits + suffix).limit).toBe(expected);
      }),
    );
    expect(parseDraft6Limit("600;w=60").policies).toEqual([{ limit: 600, windowMs: 60_000 }]);
    expect(parseDraft6Limit("600").policies).toEqual([]);
  });

  it("takes the limit from the first member only", () => {
    expect(parseDraft6Limit("bad!, 10;w=1").limit).toBeUndefined();
    expect(parseDraft6Limit("bad!, 10;w=1").policies).toEqual([{ limit: 10, windowMs: 1000 }]);
    expect(parseDraft6Limit("10;w=0, 20;w=-1, 30;w=1.5").policies).toEqual([]);
  });
});

describe("draft -10 structured fields", () => {
  it("reads the draft's RateLimit example alone", () => {
    expect(top(readRateLimit(headers({ RateLimit: '"default";r=50;t=30' }), NOW))).toEqual({
      name: "default",
      remaining: 50,
      resetMs: 30_000,
      policies: [],
      source: "ietf-10",
    });
  });

  it("takes limit and window from the policy the chosen service limit names", () => {
    const h = headers({
      "RateLimit-Policy": '"burst";q=100;w=60, "daily";q=1000;w=86400',
      RateLimit: '"burst";r=50;t=30',
    });
    expect(top(readRateLimit(h, NOW))).toEqual({
      name: "burst",
      limit: 100,
      remaining: 50,
      resetMs: 30_000,
      windowMs: 60_000,
      policies: [
        { name: "burst", limit: 100, windowMs: 60_000 },
        { name: "daily", limit: 1000, windowMs: 86_400_000 },
      ],
      source: "ietf-10",
    });
  });

  it("chooses the most restrictive service limit: lowest r, then largest reset", () => {
    const policy = '"burst";q=100;w=60, "daily";q=1000;w=86400';
    const lowest = readRateLimit(
      headers({ "RateLimit-Policy": policy, RateLimit: '"burst";r=40;t=30, "daily";r=3;t=3600' }),
      NOW,
    );
    expect(lowest).toMatchObject({ remaining: 3, resetMs: 3_600_000, limit: 1000, windowMs: 86_400_000 });
    const tie = readRateLimit(headers({ RateLimit: '"a";r=0;t=5, "b";r=0;t=60, "c";r=0;t=7' }), NOW);
    expect(tie).toMatchObject({ remaining: 0, resetMs: 60_000 });
  });

  it("reads a list split over several fields", () => {
    const h = headers({ RateLimit: ['"burst";r=40;t=30', '"daily";r=3;t=3600'] });
    expect(readRateLimit(h, NOW)?.remaining).toBe(3);
  });

  it("ignores quotas that do not count requests", () => {
    const h = headers({
      "RateLimit-Policy": '"bytes";q=65535;qu="content-bytes";w=10, "reqs";q=100;w=60',
      RateLimit: '"bytes";r=0;t=10, "reqs";r=20;t=15',
    });
    expect(readRateLimit(h, NOW)).toMatchObject({
      remaining: 20,
      resetMs: 15_000,
      limit: 100,
      policies: [{ name: "reqs", limit: 100, windowMs: 60_000 }],
    });
  });

  it("uses the policy window when t is absent, and skips a limit bounded by no time", () => {
    const h = headers({ "RateLimit-Policy": '"hour";q=1000;w=3600', RateLimit: '"hour";r=10' });
    expect(readRateLimit(h, NOW)).toMatchObject({ remaining: 10, resetMs: 3_600_000 });
    // The draft's "no time window reset" example, with no policy to bound it.
    expect(readDraft10(headers({ RateLimit: '"default";r=999;pk=:dHJpYWwxMjEzMjM=:' }), NOW)).toBeUndefined();
  });

  it("skips malformed members and keeps the rest", () => {
    const h = headers({
      RateLimit: '"a";r=-1;t=5, "b";r=1.5;t=5, "c";r=2;t=-4, "d";t=5, 42;r=1;t=1, ((, "e";r=7;t=9',
    });
    expect(readRateLimit(h, NOW)).toMatchObject({ remaining: 7, resetMs: 9000 });
    expect(parseDraft10Policies('"ok";q=5;w=1, "noq";w=5, "badw";q=5;w=0, "badqu";q=5;qu=5')).toEqual([
      { name: "ok", quota: 5, unit: "requests", windowMs: 1000 },
    ]);
  });

  it("accepts a token as a policy name and reads parameters leniently", () => {
    expect(parseDraft10Limits("default; r = 5 ; T=2")).toEqual([
      { name: "default", remaining: 5, resetMs: 2000 },
    ]);
  });

  it("gives no snapshot when nothing in RateLimit is usable, so the next family is read", () => {
    const h = headers({
      RateLimit: "remaining=many, reset=5, limit", // neither a -10 List nor a usable -07 Dictionary
      "RateLimit-Remaining": "8",
      "RateLimit-Reset": "4",
    });
    expect(readRateLimit(h, NOW)).toMatchObject({ source: "ietf-06", remaining: 8 });
  });
});

describe("draft -07 dictionary (express-rate-limit's draft-7, hono-rate-limiter)", () => {
  it("reads limit, remaining and reset, and the window of the draft -06 policy", () => {
    const h = headers({ RateLimit: "limit=100, remaining=50, reset=5", "RateLimit-Policy": "100;w=60" });
    expect(readRateLimit(h, NOW)).toEqual({
      limit: 100,
      remaining: 50,
      resetMs: 5000,
      windowMs: 60_000,
      policies: [{ limit: 100, windowMs: 60_000 }],
      quotas: [{ unit: "requests", limit: 100, remaining: 50, resetMs: 5000, windowMs: 60_000 }],
      source: "ietf-07",
    });
  });

  it("is no reading without remaining or reset", () => {
    expect(readRateLimit(headers({ RateLimit: "limit=100, reset=5" }), NOW)).toBeUndefined();
    expect(readRateLimit(headers({ RateLimit: "limit=100, remaining=5" }), NOW)).toBeUndefined();
  });
});

describe("X-RateLimit-*", () => {
  it("reads GitHub's headers, whose reset is epoch seconds", () => {
    // From GitHub's REST docs: x-ratelimit-reset is "the time at which the current rate limit
    // window resets, in UTC epoch seconds".
    const h = headers({
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-used": "1",
      "x-ratelimit-reset": "1372700873",
      "x-ratelimit-resource": "core",
    });
    expect(top(readRateLimit(h, 1_372_700_873_000 - 600_000))).toEqual({
      name: "core",
      limit: 5000,
      remaining: 4999,
      resetMs: 600_000,
      policies: [],
      source: "x-ratelimit",
    });
  });

  it.each([
    ["delta seconds", "60", 60_000, false],
    ["epoch seconds", String(NOW / 1000 + 90), 90_000, true],
    ["epoch milliseconds", String(NOW + 1234), 1234, false],
    ["epoch seconds with a fraction (Discord)", String(NOW / 1000 + 2.5), 2500, false],
    ["epoch seconds in the past", String(NOW / 1000 - 10), 0, true],
    ["epoch milliseconds in the past", String(NOW - 10), 0, false],
    ["just under the epoch threshold", "999999999", 999_999_999_000, false],
  ])("tells %s apart", (_kind, reset, expected, epochSeconds) => {
    const h = headers({ "X-RateLimit-Remaining": "10", "X-RateLimit-Reset": reset });
    const snapshot = readXRateLimit(h, NOW);
    expect(snapshot?.resetMs).toBe(expected);
    // The pacer guesses a window's length only where every answer repeats one epoch second.
    expect(snapshot?.quotas?.[0]?.resetInEpochSeconds ?? false).toBe(epochSeconds);
  });

  it("drops a malformed limit, gives up on a malformed remaining or reset", () => {
    const ok = { "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "9" };
    expect(top(readXRateLimit(headers({ ...ok, "X-RateLimit-Limit": "lots" }), NOW))).toEqual({
      remaining: 3,
      resetMs: 9000,
      policies: [],
      source: "x-ratelimit",
    });
    for (const bad of ["-1", "2.5", "3, 2", ""]) {
      expect(readXRateLimit(headers({ ...ok, "X-RateLimit-Remaining": bad }), NOW)).toBeUndefined();
    }
    for (const bad of ["-1", "soon", "1e3", "5, 6"]) {
      expect(readXRateLimit(headers({ ...ok, "X-RateLimit-Reset": bad }), NOW)).toBeUndefined();
    }
    expect(readXRateLimit(headers({ "X-RateLimit-Remaining": "3" }), NOW)).toBeUndefined();
  });
});

describe("OpenAI's x-ratelimit-*-requests / -tokens", () => {
  it("reads the example of OpenAI's rate-limit guide: a requests and a tokens quota, Go-duration resets", () => {
    const h = headers({
      "x-ratelimit-limit-requests": "60",
      "x-ratelimit-limit-tokens": "150000",
      "x-ratelimit-remaining-requests": "59",
      "x-ratelimit-remaining-tokens": "149984",
      "x-ratelimit-reset-requests": "1s",
      "x-ratelimit-reset-tokens": "6m0s",
    });
    expect(readRateLimit(h, NOW)).toEqual({
      limit: 60,
      remaining: 59,
      resetMs: 1000,
      policies: [],
      quotas: [
        { unit: "requests", limit: 60, remaining: 59, resetMs: 1000, refills: true },
        {
          name: "tokens",
          unit: "tokens",
          limit: 150_000,
          remaining: 149_984,
          resetMs: 360_000,
          refills: true,
        },
      ],
      source: "openai",
    });
  });

  it.each([
    ["20ms", 20],
    ["1.5s", 1500],
    ["1h2m3s", 3_723_000],
    ["0", 0],
    ["500us", 0.5],
  ])("reads the duration %j as %d ms", (reset, ms) => {
    const h = headers({ "x-ratelimit-remaining-requests": "1", "x-ratelimit-reset-requests": reset });
    expect(readRateLimit(h, NOW)?.resetMs).toBe(ms);
  });

  it.each(["1", "s", "1x", "-1s", "1s2", ""])("ignores the malformed duration %j", (reset) => {
    const h = headers({ "x-ratelimit-remaining-requests": "1", "x-ratelimit-reset-requests": reset });
    expect(readRateLimit(h, NOW)).toBeUndefined();
  });
});

describe("Anthropic's anthropic-ratelimit-*", () => {
  it("reads each unit as a quota, its reset an RFC 3339 time", () => {
    const h = headers({
      "anthropic-ratelimit-requests-limit": "50",
      "anthropic-ratelimit-requests-remaining": "49",
      "anthropic-ratelimit-requests-reset": "2023-11-14T22:13:21.5Z",
      "anthropic-ratelimit-input-tokens-limit": "40000",
      "anthropic-ratelimit-input-tokens-remaining": "0",
      "anthropic-ratelimit-input-tokens-reset": "2023-11-14T17:13:50-05:00",
    });
    const snapshot = readRateLimit(h, NOW);
    expect(snapshot).toMatchObject({ source: "anthropic", limit: 50, remaining: 49, resetMs: 1500 });
    expect(snapshot?.quotas).toEqual([
      { unit: "requests", limit: 50, remaining: 49, resetMs: 1500, refills: true },
      {
        name: "input-tokens",
        unit: "input-tokens",
        limit: 40_000,
        remaining: 0,
        resetMs: 30_000,
        refills: true,
      },
    ]);
  });

  it("is no reading without the requests quota", () => {
    const h = headers({
      "anthropic-ratelimit-tokens-remaining": "5",
      "anthropic-ratelimit-tokens-reset": "2023-11-14T22:13:30Z",
    });
    expect(readRateLimit(h, NOW)).toBeUndefined();
  });
});

describe("X-RateLimit-* names and spellings", () => {
  it("names the quota by GitHub's resource or Discord's bucket, and reads Discord's reset-after", () => {
    const github = headers({
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(NOW / 1000 + 42),
      "x-ratelimit-resource": "search",
    });
    expect(readRateLimit(github, NOW)).toMatchObject({ name: "search", remaining: 0, resetMs: 42_000 });
    const discord = headers({
      "X-RateLimit-Limit": "5",
      "X-RateLimit-Remaining": "4",
      "X-RateLimit-Reset": String(NOW / 1000 + 60),
      "X-RateLimit-Reset-After": "1.234",
      "X-RateLimit-Bucket": "abcd1234",
    });
    expect(readRateLimit(discord, NOW)).toMatchObject({ name: "abcd1234", remaining: 4, resetMs: 1234 });
  });

  it("reads remaining from limit and used when remaining is malformed, and X's x-rate-limit-* spelling", () => {
    const used = headers({
      "X-RateLimit-Limit": "100",
      "X-RateLimit-Used": "30",
      "X-RateLimit-Remaining": "?",
      "X-RateLimit-Reset": "9",
    });
    expect(readRateLimit(used, NOW)).toMatchObject({ remaining: 70, resetMs: 9000 });
    const x = headers({
      "x-rate-limit-limit": "15",
      "x-rate-limit-remaining": "14",
      "x-rate-limit-reset": String(NOW / 1000 + 900),
    });
    expect(readRateLimit(x, NOW)).toMatchObject({ limit: 15, remaining: 14, resetMs: 900_000 });
  });
});

describe("readRateLimit", () => {
  const all = {
    RateLimit: '"default";r=1;t=1',
    "RateLimit-Remaining": "2",
    "RateLimit-Reset": "2",
    "X-RateLimit-Remaining": "3",
    "X-RateLimit-Reset": "3",
  };

  it("prefers draft -10, then draft -06, then X-RateLimit", () => {
    expect(readRateLimit(headers(all), NOW)?.source).toBe("ietf-10");
    const { RateLimit: _10, ...no10 } = all;
    expect(readRateLimit(headers(no10), NOW)?.source).toBe("ietf-06");
    const { "RateLimit-Remaining": _6, ...no6 } = no10;
    expect(readRateLimit(headers(no6), NOW)?.source).toBe("x-ratelimit");
  });

  it("falls through a malformed family to the next one", () => {
    const h = headers({ ...all, RateLimit: '"default";r=-1', "RateLimit-Remaining": "x" });
    expect(readRateLimit(h, NOW)).toMatchObject({ source: "x-ratelimit", remaining: 3 });
  });

  it("is undefined without rate-limit headers (CampOne)", () => {
    expect(
      readRateLimit(headers({ "Retry-After": "600", "Content-Type": "application/json" }), NOW),
    ).toBeUndefined();
  });
});

describe("parseSfList", () => {
  it("reads the bare item types and parameters of RFC 8941", () => {
    const [item] = parseSfList('"a, \\"b\\""; n=-5; d=1.25; t=tok:en/x; b=:aGk=:; f=?0; flag');
    expect(item?.value).toEqual({ type: "string", value: 'a, "b"' });
    expect(Object.fromEntries(item?.params ?? [])).toEqual({
      n: { type: "integer", value: -5 },
      d: { type: "decimal", value: 1.25 },
      t: { type: "token", value: "tok:en/x" },
      b: { type: "bytes", value: "aGk=" },
      f: { type: "boolean", value: false },
      flag: { type: "boolean", value: true },
    });
  });

  it("skips inner lists, unterminated strings, out-of-range numbers and trailing garbage", () => {
    const items = parseSfList('(1 2);a=1, 1234567890123456, 1.2345, 5 6, 7;=1, 8, "open, 9');
    expect(items.map((i) => i.value)).toEqual([{ type: "integer", value: 8 }]);
  });
});

describe("properties", () => {
  const fieldNames = [
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Used",
    "X-RateLimit-Resource",
    "X-RateLimit-Reset-After",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-tokens-reset",
  ];
  /** Header values that look like the real thing often enough to reach deep branches. */
  const plausible = fc.oneof(
    fc.string({ unit: fc.constantFrom(...' 0123456789-.,;="rtqw:?()abcE') }),
    fc.string({ unit: fc.constantFrom(..."0123456789.hmsuµnT:-Z+") }),
    fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
    fc.double().map(String),
    fc
      .tuple(
        fc.constantFrom('"a"', '"b"', "c", "1", "-1"),
        fc.array(
          fc.tuple(
            fc.constantFrom("r", "t", "q", "w", "qu"),
            fc.oneof(
              fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }).map(String),
              fc.constantFrom('"requests"', '"content-bytes"', "1.5", "?1"),
            ),
          ),
        ),
      )
      .map(([name, params]) => name + params.map(([k, v]) => `;${k}=${v}`).join("")),
    fc.string(),
  );
  // Headers refuses some characters (CR, LF, NUL); those cannot reach the parser anyway.
  const headerValue = plausible.map((v) => v.replace(/[\r\n\0]/g, ""));

  it("never throws and never returns NaN, Infinity, a negative or a non-safe number", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...fieldNames), fc.array(headerValue, { minLength: 1, maxLength: 3 })),
        fc.oneof(fc.integer(), fc.double(), fc.constant(NOW)),
        (init, now) => {
          expectWellFormed(readRateLimit(headers(init), now));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("boothzen()'s reader never throws, and reads what readRateLimit reads wherever neither RateLimit-Policy nor RateLimit is sent", () => {
    const read = boothzen().readRateLimit!;
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...fieldNames), fc.array(headerValue, { minLength: 1, maxLength: 3 })),
        fc.oneof(fc.integer(), fc.double(), fc.constant(NOW)),
        (init, now) => {
          const snapshot = read(headers(init), now);
          expectWellFormed(snapshot);
          const { RateLimit: _draft10, "RateLimit-Policy": _policy, ...trioAndX } = init;
          expect(read(headers(trioAndX), now)).toEqual(readRateLimit(headers(trioAndX), now));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("reads any well-formed draft -06 trio back exactly", () => {
    fc.assert(
      fc.property(
        fc.nat(1e9),
        fc.nat(1e9),
        fc.integer({ min: 0, max: 1e9 - 1 }),
        (limit, remaining, reset) => {
          const h = headers({
            "RateLimit-Limit": String(limit),
            "RateLimit-Remaining": String(remaining),
            "RateLimit-Reset": String(reset),
          });
          expect(top(readRateLimit(h, NOW))).toEqual({
            limit,
            remaining,
            resetMs: reset * 1000,
            policies: [],
            source: "ietf-06",
          });
        },
      ),
    );
  });

  it("reads any draft -10 list as its lowest remaining", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ r: fc.nat(1e6), t: fc.nat(1e6) }), { minLength: 1, maxLength: 6 }),
        (limits) => {
          const value = limits.map((l, i) => `"p${i}";r=${l.r};t=${l.t}`).join(", ");
          const snapshot = readRateLimit(headers({ RateLimit: value }), NOW);
          const lowest = Math.min(...limits.map((l) => l.r));
          const longest = Math.max(...limits.filter((l) => l.r === lowest).map((l) => l.t));
          expect(snapshot).toMatchObject({ remaining: lowest, resetMs: longest * 1000 });
        },
      ),
    );
  });

  it("resetToMs is finite, non-negative and never below the delta it was given", () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), (value, now) => {
        const ms = resetToMs(value, now);
        if (ms === undefined) return;
        expect(Number.isFinite(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(MAX);
        if (value < 1e9) expect(ms === Math.min(MAX, value * 1000)).toBe(true); // === : -0 is 0 here
      }),
    );
  });
});

describe("boothzen()'s reader: the trio BoothZen documents first, every family where it is missing", () => {
  const read = boothzen().readRateLimit!;

  it("reads the trio without RateLimit-Policy, and prefers it to a draft -10 RateLimit", () => {
    const sent = headers({
      "RateLimit-Limit": "600",
      "RateLimit-Remaining": "597",
      "RateLimit-Reset": "41",
      "RateLimit-Policy": "600;w=60",
      RateLimit: '"burst";r=3;t=1',
    });
    expect(top(read(sent, NOW))).toEqual({
      limit: 600,
      remaining: 597,
      resetMs: 41_000,
      policies: [],
      source: "ietf-06",
    });
  });

  it("falls back to every family where the trio is missing or unusable", () => {
    const draft10 = headers({ RateLimit: '"burst";r=3;t=1', "RateLimit-Remaining": "many" });
    expect(read(draft10, NOW)).toEqual(readRateLimit(draft10, NOW));
    expect(read(draft10, NOW)?.source).toBe("ietf-10");
    const x = headers({ "X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "30" });
    expect(read(x, NOW)?.source).toBe("x-ratelimit");
    expect(read(new Headers(), NOW)).toBeUndefined();
  });
});

describe("readDraft6 / readDraft10 directly", () => {
  it("are undefined on empty headers", () => {
    expect(readDraft6(new Headers(), NOW)).toBeUndefined();
    expect(readDraft10(new Headers(), NOW)).toBeUndefined();
    expect(readXRateLimit(new Headers(), NOW)).toBeUndefined();
  });
});

describe("the families any API may adopt (campone())", () => {
  it("reads the IETF drafts' and X-RateLimit, not a vendor's own", () => {
    const read = campone().readRateLimit!;
    expect(read).toBe(readCommonRateLimit);
    const trio = { "RateLimit-Limit": "10", "RateLimit-Remaining": "4", "RateLimit-Reset": "30" };
    expect(read(headers(trio), NOW)).toMatchObject({ remaining: 4, source: "ietf-06" });
    const legacy = { "X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "30" };
    expect(read(headers(legacy), NOW)).toMatchObject({ remaining: 4, source: "x-ratelimit" });
    const openAi = { "x-ratelimit-remaining-requests": "4", "x-ratelimit-reset-requests": "1s" };
    expect(read(headers(openAi), NOW)).toBeUndefined();
    expect(readRateLimit(headers(openAi), NOW)).toMatchObject({ remaining: 4, source: "openai" });
  });
});
