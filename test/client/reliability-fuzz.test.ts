/**
 * Fuzz: the header parsers and each dialect's error-body parsing, fed arbitrary strings,
 * never throw and never yield a NaN, negative or infinite wait; through the client, a body that is not
 * what the dialect promises still ends the call in a typed error of the status's class, and no wait
 * the client then reports or keeps is NaN.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { parseDraft6Limit, parseDraft6Policy, parseSfIntegerField } from "../../src/headers/ietf-draft6.js";
import { parseDraft10Limits, parseDraft10Policies } from "../../src/headers/ietf-draft10.js";
import { readRateLimit } from "../../src/headers/read-rate-limit.js";
import { parseHttpDate, parseRetryAfter } from "../../src/headers/retry-after.js";
import { parseSfList } from "../../src/headers/structured-fields.js";
import {
  boothzen,
  campone,
  createClient,
  type Dialect,
  type HttpError,
  ietf,
  isHttpError,
  isPacekeeperError,
  isRateLimitError,
  isResponseValidationError,
  memoryStore,
  type PacekeeperEvent,
  type RateLimitSnapshot,
} from "../../src/index.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { scriptedFetch } from "../helpers/scripted-fetch.js";

const MAX = Number.MAX_SAFE_INTEGER;
const T0 = 1_700_000_000_000;

/** A wait as the parsers promise it: undefined, or a finite whole-range number of ms. */
function isWait(ms: unknown): boolean {
  return ms === undefined || (typeof ms === "number" && Number.isFinite(ms) && ms >= 0 && ms <= MAX);
}

/**
 * A wait the client keeps or reports: finite and not negative. (A clamped `Retry-After` of
 * MAX_SAFE_INTEGER ms, added to and then taken from the clock's time, may round a unit past it.)
 */
function isClientWait(ms: unknown): boolean {
  return ms === undefined || (typeof ms === "number" && Number.isFinite(ms) && ms >= 0);
}

function expectSnapshot(snapshot: RateLimitSnapshot | undefined): void {
  if (snapshot === undefined) return;
  for (const n of [snapshot.remaining, snapshot.resetMs]) expect(isWait(n)).toBe(true);
  for (const n of [snapshot.limit, snapshot.windowMs]) expect(isWait(n)).toBe(true);
  for (const policy of snapshot.policies) {
    expect(isWait(policy.limit)).toBe(true);
    expect(isWait(policy.windowMs)).toBe(true);
  }
}

// ---- Arbitrary header values ----------------------------------------------------------------

/** Text a hostile or broken server may put in a header: numbers in every spelling, dates, lists, junk. */
const headerish = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789-+.,;=: "eE\tGMTMonJan()*?abc'), maxLength: 40 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc
    .date({ noInvalidDate: false })
    .map((d) => (Number.isNaN(d.getTime()) ? "Invalid Date" : d.toUTCString())),
  fc.array(fc.nat().map(String), { maxLength: 5 }).map((parts) => parts.join(", ")),
  fc.constantFrom(
    "NaN",
    "-1",
    "Infinity",
    "1e309",
    "99999999999999999999",
    "999999999999999",
    "0",
    "86400",
    "1, 2",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    '"burst";r=-1;t=NaN',
    '"a";q=1;w=0, "a";r=0',
    "",
  ),
);
/** Anything at all, for parsers that take strings from elsewhere than `Headers` (which refuses some). */
const anyText = fc.oneof(headerish, fc.string({ unit: "binary", maxLength: 80 }));

const FIELDS = [
  "ratelimit",
  "ratelimit-policy",
  "ratelimit-limit",
  "ratelimit-remaining",
  "ratelimit-reset",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
  "retry-after",
  "date",
] as const;
const fieldValues = fc.record(
  Object.fromEntries(FIELDS.map((name) => [name, fc.option(headerish, { nil: undefined })])),
  {
    requiredKeys: [],
  },
) as fc.Arbitrary<Partial<Record<(typeof FIELDS)[number], string>>>;

/** A stand-in for `Headers` that returns any string, even ones a real `Headers` refuses. */
function fakeHeaders(values: Partial<Record<string, string>>): Headers {
  return { get: (name: string) => values[name.toLowerCase()] ?? null } as unknown as Headers;
}

const now = fc.oneof(fc.constant(T0), fc.integer({ min: -1e15, max: 1e15 }), fc.constantFrom(Number.NaN, 0));

describe("the header parsers, on arbitrary strings", () => {
  it("parseRetryAfter never throws and returns undefined or a finite wait in [0, MAX_SAFE_INTEGER]", () => {
    fc.assert(
      fc.property(anyText, now, fc.option(anyText, { nil: undefined }), (value, nowMs, date) => {
        expect(isWait(parseRetryAfter(value, nowMs, date))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("parseHttpDate never throws and returns undefined or a finite time", () => {
    fc.assert(
      fc.property(anyText, now, (value, nowMs) => {
        const at = parseHttpDate(value, nowMs);
        expect(at === undefined || Number.isFinite(at)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("the structured-field and draft readers never throw and return only finite, non-negative numbers", () => {
    fc.assert(
      fc.property(anyText, (value) => {
        expect(isWait(parseSfIntegerField(value))).toBe(true);
        parseSfList(value);
        const { limit, policies } = parseDraft6Limit(value);
        expect(isWait(limit)).toBe(true);
        for (const p of [...policies, ...parseDraft6Policy(value)]) {
          expect(isWait(p.limit) && isWait(p.windowMs)).toBe(true);
        }
        for (const p of parseDraft10Policies(value)) expect(isWait(p.quota) && isWait(p.windowMs)).toBe(true);
        for (const l of parseDraft10Limits(value))
          expect(isWait(l.remaining) && isWait(l.resetMs)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("readRateLimit never throws and returns no snapshot or a snapshot of finite, non-negative numbers", () => {
    fc.assert(
      fc.property(fieldValues, now, (values, nowMs) => {
        expectSnapshot(readRateLimit(fakeHeaders(values), nowMs));
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- Through the client -----------------------------------------------------------------------

const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** Runs two calls of a fresh key: the first answered as given, the second (200) after whatever wait it left. */
async function twoCalls(dialect: Dialect, status: number, body: string, headers: Record<string, string>) {
  const clock = createVirtualClock(T0);
  clock.autoAdvance(true);
  const events: PacekeeperEvent[] = [];
  const client = createClient({
    baseUrl: "https://api.example.test",
    apiKey: "key_live_fuzz_0001",
    dialect,
    fetch: scriptedFetch([new Response(body, { status, headers }), new Response("{}", { status: 200 })]),
    clock,
    store: memoryStore(),
    retry: { retries: 0, rateLimitRetries: 0 },
    totalTimeoutMs: 60_000,
    hooks: { event: (e) => events.push(e) },
  });
  clients.push(client, { close: async () => clock.autoAdvance(false) });
  const first = await client.request({ path: "/api/v1/bookings" }).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  expect(Number.isNaN(client.nextSendAt())).toBe(false);
  const second = await client.request({ path: "/api/v1/bookings" }).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  // No wait the client reports is NaN, negative or infinite.
  for (const e of events) {
    if (e.type === "wait") expect(e.ms === undefined || isClientWait(e.ms)).toBe(true);
    if (e.type === "rate-limited") expect(isClientWait(e.gateMs) && isClientWait(e.retryAfterMs)).toBe(true);
    if (e.type === "retry") expect(isClientWait(e.delayMs)).toBe(true);
  }
  // A refusal of the second call is typed and says when to come back.
  if (!second.ok) {
    expect(isRateLimitError(second.error)).toBe(true);
    expect(isClientWait((second.error as HttpError).retryAfterMs)).toBe(true);
  }
  return first;
}

/** The class each status must produce. */
function expectedName(status: number): string {
  if (status === 429) return "RateLimitError";
  if (status === 401) return "AuthenticationError";
  if (status === 403) return "PermissionError";
  if (status === 404) return "NotFoundError";
  if (status >= 400 && status < 500) return "ClientError";
  return "ServerError";
}

const errorStatus = fc.oneof(
  fc.constantFrom(400, 401, 403, 404, 409, 422, 429, 500, 502, 503),
  fc.integer({ min: 400, max: 599 }),
);
const rateLimitHeaders = fc
  .record(
    {
      "retry-after": headerish,
      "ratelimit-limit": headerish,
      "ratelimit-remaining": headerish,
      "ratelimit-reset": headerish,
    },
    { requiredKeys: [] },
  )
  .map(
    (h) =>
      Object.fromEntries(
        Object.entries(h).filter(([, v]) => v !== undefined && !/[\r\n\0]/.test(v)),
      ) as Record<string, string>,
  );

/** Bodies no dialect promises: not JSON, JSON that is not an object, objects without the dialect's fields, near misses. */
const notPromised = fc.oneof(
  fc.string({ maxLength: 200 }).filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  }),
  fc
    .oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }))
    .map((v) => JSON.stringify(v)),
  fc
    .dictionary(
      fc.string({ maxLength: 8 }).filter((k) => k !== "detail" && k !== "error"),
      fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)),
      { maxKeys: 4 },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer()))
    .map((v) => JSON.stringify({ detail: v })),
  fc
    .record({
      type: fc.jsonValue(),
      code: fc.oneof(fc.integer(), fc.constant(null)),
      message: fc.jsonValue(),
    })
    .map((error) => JSON.stringify({ error })),
  fc.string().map((error) => JSON.stringify({ error })),
  fc.constantFrom(
    "",
    "<html><body>502 Bad Gateway</body></html>",
    '{"detail": "unterminated',
    "\uFEFF{}",
    "x".repeat(70_000),
  ),
);

describe("through the client, each dialect's error bodies and rate-limit headers, arbitrary", () => {
  for (const [name, dialect] of [
    ["campone", campone],
    ["boothzen", boothzen],
  ] as const) {
    it(`${name}: a body that is not what the dialect promises is a typed error of the status's class, body undefined`, async () => {
      await fc.assert(
        fc.asyncProperty(errorStatus, notPromised, rateLimitHeaders, async (status, body, headers) => {
          const first = await twoCalls(dialect(), status, body, headers);
          expect(first.ok).toBe(false);
          const error = (first as { error: HttpError }).error;
          expect(isHttpError(error)).toBe(true);
          expect(error.name).toBe(expectedName(status));
          expect(error.status).toBe(status);
          expect(error.body).toBeUndefined();
          expect(isClientWait(error.retryAfterMs)).toBe(true);
          expectSnapshot(error.rateLimit);
          expect(error.message).toMatch(new RegExp(`^${status}`));
        }),
        { numRuns: 120 },
      );
    });
  }

  it("campone and boothzen: a body in the dialect's shape, with any strings in it, is parsed", async () => {
    const text = fc.string({ maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(
        errorStatus,
        fc.oneof(
          text.map((message) => ({ dialect: campone(), body: { detail: message }, message })),
          fc
            .record({
              type: text,
              code: text,
              message: text,
              request_id: fc.option(text, { nil: undefined }),
            })
            .map((error) => ({ dialect: boothzen(), body: { error }, message: error.message })),
        ),
        async (status, { dialect, body, message }) => {
          const first = await twoCalls(dialect, status, JSON.stringify(body), {});
          const error = (first as { error: HttpError }).error;
          expect(error.name).toBe(expectedName(status));
          expect(error.body?.message).toBe(message);
        },
      ),
      { numRuns: 120 },
    );
  });

  it("ietf: any body with any status and headers ends in a result or a typed error", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Not 1xx/3xx (not final, or followed) nor 204/205 (no body allowed).
        fc.integer({ min: 200, max: 599 }).filter((s) => (s < 300 || s >= 400) && s !== 204 && s !== 205),
        fc.oneof(
          notPromised,
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        rateLimitHeaders,
        async (status, body, headers) => {
          const first = await twoCalls(ietf(), status, body, headers);
          if (first.ok) return;
          expect(isPacekeeperError(first.error)).toBe(true);
          if (status >= 400) expect((first.error as HttpError).name).toBe(expectedName(status));
          else expect(isResponseValidationError(first.error)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
