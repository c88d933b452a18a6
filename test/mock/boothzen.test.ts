/**
 * BoothZen's rules (its rate-limit documentation), driven over real loopback HTTP and through msw, on a
 * virtual clock.
 */
import { describe, expect, it } from "vitest";
import { body } from "../helpers/mock-body.js";
import { manualClock } from "../helpers/mock-clock.js";
import { call, callMany, FRONTS, mockStarter, tally } from "../helpers/mock-fronts.js";

const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

function rateLimit(response: Response): { limit: number; remaining: number; reset: number } {
  const read = (name: string) => {
    const value = response.headers.get(name);
    expect(value, name).toMatch(/^\d+$/);
    return Number(value);
  };
  return {
    limit: read("ratelimit-limit"),
    remaining: read("ratelimit-remaining"),
    reset: read("ratelimit-reset"),
  };
}

function expectNoRateLimitHeaders(response: Response): void {
  expect([...response.headers.keys()].filter((name) => name.startsWith("ratelimit"))).toEqual([]);
}

/** The error shape, with `request_id` equal to `X-Request-Id`. */
async function expectError(response: Response, status: number, type: string, code?: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/json");
  const requestId = response.headers.get("x-request-id");
  expect(requestId).toMatch(REQUEST_ID);
  const { error, ...rest } = await body(response);
  expect(rest).toEqual({});
  expect(Object.keys(error).sort()).toEqual(["code", "message", "request_id", "type"]);
  expect(error).toMatchObject({ type, request_id: requestId, message: expect.any(String) });
  if (code !== undefined) expect(error.code).toBe(code);
  return error.message;
}

describe.each(FRONTS)("BoothZen over $name", (front) => {
  const start = mockStarter(front);

  it("the 61st request within a second is a 429 with Retry-After, RateLimit headers and the error shape", async () => {
    const clock = manualClock(0);
    const mock = await start({ dialect: "boothzen", clock });
    for (let i = 0; i < 60; i++) {
      clock.set(i * 15);
      const response = await call(mock, "/api/v1/bookings?page_size=1");
      expect(response.status).toBe(200);
      expect(rateLimit(response)).toEqual({ limit: 600, remaining: 599 - i, reset: 60 });
    }
    clock.set(900);
    const response = await call(mock, "/api/v1/bookings?page_size=1");
    expect(response.headers.get("retry-after")).toBe("1");
    expect(rateLimit(response)).toEqual({ limit: 600, remaining: 0, reset: 1 });
    const message = await expectError(response, 429, "rate_limit_error", "rate_limit_exceeded");
    expect(message).toBe("Rate limit exceeded. Retry after 1 seconds.");

    // The 429 took nothing: the next second starts with the main budget where it was.
    clock.set(1_000);
    const next = await call(mock, "/api/v1/bookings?page_size=1");
    expect(next.status).toBe(200);
    expect(rateLimit(next).remaining).toBe(539);
  });

  it("the main limit refuses with Retry-After until the minute's window ends", async () => {
    const clock = manualClock(0);
    const mock = await start({ dialect: "boothzen", clock, limit: 10 });
    for (let i = 0; i < 10; i++) {
      clock.set(i * 1_000);
      expect((await call(mock, "/api/v1/bookings")).status).toBe(200);
    }
    clock.set(15_500);
    const refused = await call(mock, "/api/v1/bookings");
    expect(refused.headers.get("retry-after")).toBe("45");
    expect(rateLimit(refused)).toEqual({ limit: 10, remaining: 0, reset: 45 });
    await expectError(refused, 429, "rate_limit_error", "rate_limit_exceeded");
    clock.set(60_000);
    const fresh = await call(mock, "/api/v1/bookings");
    expect(fresh.status).toBe(200);
    expect(rateLimit(fresh)).toEqual({ limit: 10, remaining: 9, reset: 60 });
  });

  it("RateLimit-Reset counts down in whole seconds, rounded up, to the end of the window", async () => {
    const clock = manualClock(7_000);
    const mock = await start({ dialect: "boothzen", clock });
    const resets: number[] = [];
    for (const at of [7_000, 7_001, 22_500, 46_000, 66_999, 67_000, 68_000]) {
      clock.set(at);
      resets.push(rateLimit(await call(mock, "/api/v1/bookings")).reset);
    }
    expect(resets).toEqual([60, 60, 45, 21, 1, 60, 59]);
  });

  it("a 429 and a 401 consume nothing; every other /api/v1 response counts", async () => {
    const clock = manualClock(0);
    const mock = await start({ dialect: "boothzen", clock, keys: { key_live_a: { limit: 8, burst: 100 } } });
    const remaining: number[] = [];
    const send = async (path: string, options: Parameters<typeof call>[2] = {}) => {
      const response = await call(mock, path, options);
      remaining.push(rateLimit(response).remaining);
      return response.status;
    };
    const statuses = [
      await send("/api/v1/bookings"),
      await send("/api/v1/bookings", { body: "{oops" }),
      await send("/api/v1/bookings?page_size=1000"),
      await send("/api/v1/bookings/bkg_999999"),
      await send("/api/v1/teleport"),
      await send("/api/v1/bookings", { method: "DELETE" }),
      await send("/api/v1/bookings", { key: "key_unknown" }),
      await send("/api/v1/bookings", { key: null }),
      await send("/api/v1/bookings/bkg_000001"),
      await send("/api/v1/bookings"),
    ];
    expect(statuses).toEqual([200, 400, 400, 404, 404, 405, 401, 401, 200, 200]);
    // The 401s carry a fresh key's headers and take nothing from key_live_a.
    expect(remaining).toEqual([7, 6, 5, 4, 3, 2, 600, 600, 1, 0]);
    expect(tally(await callMany(mock, "/api/v1/bookings", 20))).toEqual({ 429: 20 });
    clock.set(60_000);
    expect(await callMany(mock, "/api/v1/bookings", 9, {}, 1)).toEqual([...Array(8).fill(200), 429]);
  });

  it("every /api/v1 response carries RateLimit headers and X-Request-Id; errors use the error shape", async () => {
    const clock = manualClock(0);
    const mock = await start({
      dialect: "boothzen",
      clock,
      keys: { key_live_a: { limit: 50, burst: 3 }, key_read_only: { readOnly: true } },
    });
    const cases: Array<[number, string, string, Parameters<typeof call>[2]]> = [
      [401, "authentication_error", "/api/v1/bookings", { key: null }],
      [401, "authentication_error", "/api/v1/bookings", { key: "not a token" }],
      [401, "authentication_error", "/api/v1/bookings", { key: "key_nobody" }],
      [403, "permission_error", "/api/v1/bookings", { key: "key_read_only", body: {} }],
      [400, "invalid_request_error", "/api/v1/bookings?page_size=0", {}],
      [404, "not_found_error", "/api/v1/bookings/bkg_123456", {}],
      [405, "invalid_request_error", "/api/v1/bookings/bkg_000001", { method: "PATCH" }],
      [429, "rate_limit_error", "/api/v1/bookings", {}],
    ];
    const ids = new Set<string>();
    for (const [status, type, path, options] of cases) {
      const response = await call(mock, path, options);
      rateLimit(response);
      ids.add(response.headers.get("x-request-id") ?? "");
      await expectError(response, status, type);
    }
    expect(ids.size).toBe(cases.length);
  });

  it("/health and /internal/* are never counted and carry no RateLimit headers, only X-Request-Id", async () => {
    const clock = manualClock(0);
    const mock = await start({ dialect: "boothzen", clock, limit: 2 });
    for (const path of ["/health", "/internal/metrics", "/internal"]) {
      for (let i = 0; i < 5; i++) {
        const response = await call(mock, path);
        expect(response.status).toBe(200);
        expect(response.headers.get("x-request-id")).toMatch(REQUEST_ID);
        expectNoRateLimitHeaders(response);
        expect(await body(response)).toEqual({ status: "ok" });
      }
    }
    const unknown = await call(mock, "/v2/bookings");
    expectNoRateLimitHeaders(unknown);
    await expectError(unknown, 404, "not_found_error", "route_not_found");
    const wrongMethod = await call(mock, "/health", { method: "POST", body: {} });
    expectNoRateLimitHeaders(wrongMethod);
    await expectError(wrongMethod, 405, "invalid_request_error", "method_not_allowed");

    expect(await callMany(mock, "/api/v1/bookings", 3, {}, 1)).toEqual([200, 200, 429]);
    expect(mock.audit().map((entry) => entry.path)).toEqual([
      "/api/v1/bookings",
      "/api/v1/bookings",
      "/api/v1/bookings",
    ]);
  });

  it("API keys and OAuth access tokens behave the same: Authorization: Bearer, a budget each", async () => {
    const clock = manualClock(0);
    const mock = await start({
      dialect: "boothzen",
      clock,
      keys: {
        key_live_a: { tenant: "acme", limit: 2 },
        "oat_2YotnFZFEjr1zCsicMWpAA==": { tenant: "acme", limit: 2 },
      },
    });
    for (const key of ["key_live_a", "oat_2YotnFZFEjr1zCsicMWpAA=="]) {
      expect(await callMany(mock, "/api/v1/bookings", 3, { key }, 1)).toEqual([200, 200, 429]);
    }
    expect(mock.audit({ tenant: "acme" })).toHaveLength(6);
  });

  it("rolling counting: RateLimit-Reset is when the oldest counted request ages out", async () => {
    const clock = manualClock(0);
    const mock = await start({ dialect: "boothzen", clock, counting: "rolling", limit: 3, windowMs: 10_000 });
    const seen: Array<[number, ReturnType<typeof rateLimit>]> = [];
    for (const at of [0, 4_000, 8_000, 9_000, 10_000]) {
      clock.set(at);
      const response = await call(mock, "/api/v1/bookings");
      seen.push([response.status, rateLimit(response)]);
    }
    expect(seen).toEqual([
      [200, { limit: 3, remaining: 2, reset: 10 }],
      [200, { limit: 3, remaining: 1, reset: 6 }],
      [200, { limit: 3, remaining: 0, reset: 2 }],
      [429, { limit: 3, remaining: 0, reset: 1 }],
      [200, { limit: 3, remaining: 0, reset: 4 }],
    ]);
  });

  it("bucket counting: Remaining is whole tokens, RateLimit-Reset is when the bucket is full again", async () => {
    const clock = manualClock(0);
    const mock = await start({ dialect: "boothzen", clock, counting: "bucket", limit: 10, windowMs: 10_000 });
    const first = await callMany(mock, "/api/v1/bookings", 10, {}, 1);
    expect(first).toEqual(Array(10).fill(200));
    clock.set(500);
    const refused = await call(mock, "/api/v1/bookings");
    expect(refused.headers.get("retry-after")).toBe("1");
    clock.set(2_500);
    const response = await call(mock, "/api/v1/bookings");
    expect(response.status).toBe(200);
    // 2.5 tokens refilled, one taken: 1.5 left, full again 8.5 s later.
    expect(rateLimit(response)).toEqual({ limit: 10, remaining: 1, reset: 9 });
  });

  it("a failure inside the mock is a 500 in BoothZen's shape, never a crash", async () => {
    let calls = 0;
    const clock = {
      now() {
        calls += 1;
        if (calls === 1) throw new Error("clock broke");
        return 0;
      },
    };
    const mock = await start({ dialect: "boothzen", clock });
    await expectError(await call(mock, "/api/v1/bookings"), 500, "api_error", "internal_error");
    expect((await call(mock, "/api/v1/bookings")).status).toBe(200);
  });
});

describe.each(FRONTS)("BoothZen resources over $name", (front) => {
  const start = mockStarter(front);
  const clock = manualClock(0);

  it("pages GET /api/v1/bookings with { object, data, has_more, next_cursor } and ?cursor=", async () => {
    const mock = await start({ dialect: "boothzen", clock, burst: 1000 });
    const first = await body(await call(mock, "/api/v1/bookings"));
    expect(first).toMatchObject({ object: "list", has_more: true, next_cursor: "bkg_000050" });
    expect(first.data).toHaveLength(50);
    expect(first.data[0]).toMatchObject({ id: "bkg_000001", object: "booking", currency: "EUR" });

    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? "page_size=200" : `page_size=200&cursor=${cursor}`;
      const page = await body(await call(mock, `/api/v1/bookings?${query}`));
      ids.push(...page.data.map((booking: { id: string }) => booking.id));
      expect(page.next_cursor === null).toBe(!page.has_more);
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
    expect(ids.at(-1)).toBe("bkg_002000");
  });

  it("answers bad list queries with 400 invalid_parameter", async () => {
    const mock = await start({ dialect: "boothzen", clock, burst: 1000 });
    for (const query of ["page_size=201", "page_size=0", "page_size=x", "cursor=nope", "cursor=bkg_999999"]) {
      const message = await expectError(
        await call(mock, `/api/v1/bookings?${query}`),
        400,
        "invalid_request_error",
        "invalid_parameter",
      );
      expect(message).toContain(query.split("=")[0]);
    }
  });

  it("retrieves a booking by id, 404 resource_missing for an unknown one", async () => {
    const mock = await start({ dialect: "boothzen", clock, burst: 1000 });
    const response = await call(mock, "/api/v1/bookings/bkg_000123");
    expect(response.headers.get("x-boothzen-scope")).toBe("read:bookings");
    expect(await body(response)).toMatchObject({ id: "bkg_000123", object: "booking" });
    await expectError(
      await call(mock, "/api/v1/bookings/bkg_002001"),
      404,
      "not_found_error",
      "resource_missing",
    );
    await expectError(await call(mock, "/api/v1/bookings/123"), 404, "not_found_error", "resource_missing");
  });

  it("creates a booking with POST /api/v1/bookings → 201 and validates the body", async () => {
    const mock = await start({ dialect: "boothzen", clock, burst: 1000 });
    const input = {
      booth_id: "booth_007",
      customer_name: "Ada Novak",
      starts_at: "2025-09-01T09:00:00Z",
      ends_at: "2025-09-03T18:00:00+02:00",
    };
    const created = await call(mock, "/api/v1/bookings", { body: input });
    expect(created.status).toBe(201);
    expect(created.headers.get("x-boothzen-scope")).toBe("write:bookings");
    const booking = await body(created);
    expect(booking).toMatchObject({
      id: "bkg_002001",
      booth_id: "booth_007",
      starts_at: "2025-09-01T09:00:00Z",
      ends_at: "2025-09-03T16:00:00Z",
      status: "confirmed",
    });
    expect(await body(await call(mock, "/api/v1/bookings/bkg_002001"))).toEqual(booking);

    await expectError(
      await call(mock, "/api/v1/bookings", { body: '{"booth_id": ' }),
      400,
      "invalid_request_error",
      "invalid_json",
    );
    for (const [patch, name] of [
      [{ booth_id: "booth_041" }, "booth_id"],
      [{ customer_name: "" }, "customer_name"],
      [{ customer_email: "no-at-sign" }, "customer_email"],
      [{ starts_at: "2025-09-01" }, "starts_at"],
      [{ ends_at: "2025-08-01T00:00:00Z" }, "ends_at"],
      [{ amount_cents: -1 }, "amount_cents"],
    ] as const) {
      const response = await call(mock, "/api/v1/bookings", { body: { ...input, ...patch } });
      const message = await expectError(response, 400, "invalid_request_error", "invalid_parameter");
      expect(message).toContain(name);
    }
  });
});
