/**
 * CampOne's rules (its rate-limit guide), driven over real loopback HTTP and through msw, on a
 * virtual clock.
 */
import { describe, expect, it } from "vitest";
import { createMockApi } from "../../src/mock/index.js";
import { body } from "../helpers/mock-body.js";
import { manualClock } from "../helpers/mock-clock.js";
import { call, callMany, FRONTS, mockStarter, tally } from "../helpers/mock-fronts.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;

function expectNoRateLimitHeaders(response: Response): void {
  const names = [...response.headers.keys()].filter((name) => /ratelimit|x-request-id/i.test(name));
  expect(names).toEqual([]);
}

async function expectThrottled(response: Response, seconds: number): Promise<void> {
  expect(response.status).toBe(429);
  expect(response.headers.get("retry-after")).toBe(String(seconds));
  expect(response.headers.get("content-type")).toBe("application/json");
  expectNoRateLimitHeaders(response);
  expect(await body(response)).toEqual({
    detail: `Request was throttled. Expected available in ${seconds} seconds.`,
  });
}

describe.each(FRONTS)("CampOne over $name", (front) => {
  const start = mockStarter(front);

  it("the 1001st request in a rolling hour is a 429 whose Retry-After is when the oldest requests age out", async () => {
    const clock = manualClock(0);
    const mock = await start({ dialect: "campone", clock });
    expect(tally(await callMany(mock, "/sites", 1000))).toEqual({ 200: 1000 });

    clock.set(1_000_000);
    await expectThrottled(await call(mock, "/sites"), 2600);

    // A millisecond before the hour is over, the window still holds the first 1000: throttled, 1 s to go.
    clock.set(HOUR - 1);
    await expectThrottled(await call(mock, "/sites"), 1);

    clock.set(HOUR);
    const response = await call(mock, "/sites");
    expect(response.status).toBe(200);
    expectNoRateLimitHeaders(response);
  });

  it("a 429 counts: one sent while throttled pushes the next success later", async () => {
    const clock = manualClock(0);
    const mock = await start({
      dialect: "campone",
      clock,
      keys: { key_live_a: { tenant: "acme", limit: 3 } },
    });
    for (const at of [0, 20 * MINUTE, 40 * MINUTE]) {
      clock.set(at);
      expect((await call(mock, "/bookings")).status).toBe(200);
    }
    // The window holds 0, 20 and 40 min and now this 429 at 50 min: the next request succeeds once
    // the window holds fewer than 3, when the 20-minute request ages out at 80 min.
    clock.set(50 * MINUTE);
    await expectThrottled(await call(mock, "/bookings"), 30 * 60);
    // Polling again at 55 min takes the slot that frees at 80 min: now 100 min.
    clock.set(55 * MINUTE);
    await expectThrottled(await call(mock, "/bookings"), 45 * 60);
    // Waiting exactly that long, without polling, succeeds.
    clock.set(100 * MINUTE);
    expect((await call(mock, "/bookings")).status).toBe(200);
  });

  it("a client that waits exactly Retry-After after a 429 succeeds", async () => {
    const clock = manualClock(0);
    const mock = await start({ dialect: "campone", clock, keys: { key_live_a: { limit: 3 } } });
    for (const at of [0, 20 * MINUTE, 40 * MINUTE]) {
      clock.set(at);
      await call(mock, "/sites");
    }
    clock.set(50 * MINUTE);
    const throttled = await call(mock, "/sites");
    const seconds = Number(throttled.headers.get("retry-after"));
    clock.advance(seconds * 1000);
    expect((await call(mock, "/sites")).status).toBe(200);
  });

  it("401s consume nothing and are not audited: missing, malformed and unknown keys", async () => {
    const clock = manualClock(5_000);
    const mock = await start({
      dialect: "campone",
      clock,
      keys: { key_live_a: { tenant: "acme", limit: 2 } },
    });
    const attempts: Array<[string | null, Record<string, string>, string]> = [
      [null, {}, "Authentication credentials were not provided."],
      ["key_unknown", {}, "Invalid token."],
      ["two words", {}, "Invalid token."],
      [null, { authorization: "Basic a2V5X2xpdmVfYTo=" }, "Invalid token."],
      [null, { authorization: "Bearer" }, "Invalid token."],
    ];
    for (let round = 0; round < 5; round++) {
      for (const [key, headers, detail] of attempts) {
        const response = await call(mock, "/sites", { key, headers });
        expect(response.status).toBe(401);
        expect(response.headers.get("retry-after")).toBeNull();
        expectNoRateLimitHeaders(response);
        expect(await body(response)).toEqual({ detail });
      }
    }
    expect((await call(mock, "/sites")).status).toBe(200);
    expect((await call(mock, "/sites")).status).toBe(200);
    expect((await call(mock, "/sites")).status).toBe(429);
    expect(mock.audit().map((entry) => entry.status)).toEqual([200, 200, 429]);
  });

  it("every authenticated request counts whatever its outcome: 200, 201, 400, 403, 404, 405", async () => {
    const clock = manualClock(0);
    const mock = await start({
      dialect: "campone",
      clock,
      keys: {
        key_live_a: { tenant: "acme", limit: 6 },
        key_read_only: { tenant: "acme", limit: 2, readOnly: true },
      },
    });
    const booking = { site_id: 1, customer_id: 1, arrival: "2025-07-01", departure: "2025-07-04", guests: 2 };
    const outcomes = [
      (await call(mock, "/sites")).status,
      (await call(mock, "/bookings", { body: booking })).status,
      (await call(mock, "/bookings?page_size=500")).status,
      (await call(mock, "/bookings", { body: "{not json" })).status,
      (await call(mock, "/campsites")).status,
      (await call(mock, "/sites", { method: "DELETE" })).status,
      (await call(mock, "/sites")).status,
    ];
    expect(outcomes).toEqual([200, 201, 400, 400, 404, 405, 429]);

    const readOnly = { key: "key_read_only" };
    expect((await call(mock, "/bookings", { ...readOnly, body: booking })).status).toBe(403);
    expect((await call(mock, "/bookings", { ...readOnly, body: booking })).status).toBe(403);
    expect((await call(mock, "/sites", readOnly)).status).toBe(429);
  });

  it("keys are not pooled: each key has its own counter, with no tenant-wide cap", async () => {
    const clock = manualClock(0);
    const mock = await start({
      dialect: "campone",
      clock,
      keys: { key_live_a: { tenant: "acme", limit: 2 }, key_live_b: { tenant: "acme", limit: 3 } },
    });
    expect(await callMany(mock, "/sites", 3, { key: "key_live_a" }, 1)).toEqual([200, 200, 429]);
    expect(await callMany(mock, "/sites", 4, { key: "key_live_b" }, 1)).toEqual([200, 200, 200, 429]);
  });

  it("without `keys`, any well-formed bearer token is a key of tenant default with the mock's limit", async () => {
    const clock = manualClock(0);
    const mock = await start({ dialect: "campone", clock, limit: 2, windowMs: 10_000 });
    expect(await callMany(mock, "/sites", 3, { key: "anything-goes" }, 1)).toEqual([200, 200, 429]);
    expect(await callMany(mock, "/sites", 3, { key: "another.token~" }, 1)).toEqual([200, 200, 429]);
    expect(new Set(mock.audit().map((entry) => entry.tenant))).toEqual(new Set(["default"]));
    clock.advance(10_000);
    expect((await call(mock, "/sites", { key: "anything-goes" })).status).toBe(200);
  });

  it("records every authenticated call in a per-tenant audit log, without bodies", async () => {
    const clock = manualClock(1_700_000_000_000);
    const mock = await start({
      dialect: "campone",
      clock,
      keys: { key_live_a: { tenant: "acme", limit: 2 }, key_live_b: { tenant: "globex" } },
    });
    await call(mock, "/bookings?from=2025-01-01&to=2025-01-31");
    clock.advance(1500);
    await call(mock, "/bookings", { body: { guests: 2 } });
    await call(mock, "/customers");
    await call(mock, "/sites", { key: "key_live_b", method: "DELETE" });
    await call(mock, "/sites", { key: "nobody" });

    expect(mock.audit({ tenant: "acme" })).toEqual([
      {
        tenant: "acme",
        key: "key_live_a",
        method: "GET",
        path: "/bookings",
        status: 200,
        latencyMs: 0,
        timestamp: 1_700_000_000_000,
      },
      {
        tenant: "acme",
        key: "key_live_a",
        method: "POST",
        path: "/bookings",
        status: 400,
        latencyMs: 0,
        timestamp: 1_700_000_001_500,
      },
      {
        tenant: "acme",
        key: "key_live_a",
        method: "GET",
        path: "/customers",
        status: 429,
        latencyMs: 0,
        timestamp: 1_700_000_001_500,
      },
    ]);
    expect(mock.audit({ tenant: "globex" })).toEqual([
      expect.objectContaining({ key: "key_live_b", method: "DELETE", path: "/sites", status: 405 }),
    ]);
    expect(mock.audit()).toHaveLength(4);
    expect(mock.audit({ key: "key_live_b" })).toHaveLength(1);
  });

  it("a failure inside the mock is a 500 in CampOne's shape, never a crash", async () => {
    let calls = 0;
    const clock = {
      now() {
        calls += 1;
        if (calls === 2) throw new Error("clock broke");
        return calls === 3 ? Number.NaN : 0;
      },
    };
    const mock = await start({ dialect: "campone", clock });
    for (let i = 0; i < 2; i++) {
      const response = await call(mock, "/sites");
      expect(response.status).toBe(500);
      expect(await body(response)).toEqual({ detail: "A server error occurred." });
    }
    expect((await call(mock, "/sites")).status).toBe(200);
  });
});

describe.each(FRONTS)("CampOne resources over $name", (front) => {
  const start = mockStarter(front);
  const clock = manualClock(0);

  it("lists sites and customers in pages of { results, page, page_size, total, next }", async () => {
    const mock = await start({ dialect: "campone", clock });
    const sites = await body(await call(mock, "/sites"));
    expect(sites).toMatchObject({ page: 1, page_size: 50, total: 12, next: null });
    expect(sites.results).toHaveLength(12);
    expect(sites.results[0]).toEqual({
      id: 1,
      name: expect.any(String),
      region: expect.any(String),
      pitches: expect.any(Number),
    });

    const first = await body(await call(mock, "/customers?page_size=200"));
    expect(first).toMatchObject({ page: 1, page_size: 200, total: 600, next: 2 });
    const last = await body(await call(mock, "/customers/?page=3&page_size=200"));
    expect(last).toMatchObject({ page: 3, total: 600, next: null });
    expect(last.results.at(-1)).toMatchObject({ id: 600, email: expect.stringContaining("@") });
    const beyond = await body(await call(mock, "/customers?page=4&page_size=200"));
    expect(beyond).toEqual({ results: [], page: 4, page_size: 200, total: 600, next: null });

    const one = await call(mock, "/customers/17");
    expect(await body(one)).toMatchObject({ id: 17 });
    expect((await call(mock, "/customers/601")).status).toBe(404);
  });

  it("filters bookings by arrival date, inclusive, and pages through them", async () => {
    const mock = await start({ dialect: "campone", clock });
    const all = await body(await call(mock, "/bookings?page_size=1"));
    expect(all.total).toBe(3000);
    const march = await body(await call(mock, "/bookings?from=2025-03-01&to=2025-03-31&page_size=200"));
    expect(march.total).toBeGreaterThan(200);
    expect(march.next).toBe(2);
    const rest = await body(await call(mock, "/bookings?from=2025-03-01&to=2025-03-31&page_size=200&page=2"));
    const arrivals = [...march.results, ...rest.results].map(
      (booking: { arrival: string }) => booking.arrival,
    );
    expect(arrivals).toHaveLength(march.total);
    expect(arrivals.every((date) => date >= "2025-03-01" && date <= "2025-03-31")).toBe(true);
    expect(arrivals).toContain("2025-03-01");
    expect(arrivals).toContain("2025-03-31");
    const oneDay = await body(await call(mock, "/bookings?from=2025-06-15&to=2025-06-15"));
    expect(oneDay.results.every((booking: { arrival: string }) => booking.arrival === "2025-06-15")).toBe(
      true,
    );
    expect(oneDay.total).toBeGreaterThan(0);
  });

  it("answers bad queries with a 400 in the { detail } shape", async () => {
    const mock = await start({ dialect: "campone", clock });
    for (const query of [
      "page_size=201",
      "page_size=0",
      "page=0",
      "page=two",
      "from=2025-02-30",
      "to=yesterday",
      "from=2025-05-01&to=2025-04-01",
    ]) {
      const response = await call(mock, `/bookings?${query}`);
      expect(response.status, query).toBe(400);
      expect(await body(response)).toEqual({ detail: expect.any(String) });
    }
    const response = await call(mock, "/bookings?page_size=201");
    expect((await body(response)).detail).toContain("page_size");
  });

  it("creates a booking with POST /bookings → 201, then lists and retrieves it", async () => {
    const mock = await start({ dialect: "campone", clock });
    const input = { site_id: 3, customer_id: 42, arrival: "2025-08-01", departure: "2025-08-05", guests: 4 };
    const created = await call(mock, "/bookings", { body: input });
    expect(created.status).toBe(201);
    const booking = await body(created);
    expect(booking).toMatchObject({ ...input, id: 3001, status: "confirmed" });
    expect(await body(await call(mock, "/bookings/3001"))).toEqual(booking);
    const page = await body(await call(mock, "/bookings?from=2025-08-01&to=2025-08-01&page_size=200"));
    expect(page.results).toContainEqual(booking);
  });

  it("validates the body of POST /bookings: malformed JSON and bad fields are 400s", async () => {
    const mock = await start({ dialect: "campone", clock });
    const valid = { site_id: 1, customer_id: 1, arrival: "2025-07-01", departure: "2025-07-04", guests: 2 };
    const bodies: Array<[string | object, string]> = [
      ["{not json", "JSON parse error."],
      ["[1, 2]", "Expected a JSON object of a booking."],
      [{ ...valid, site_id: 13 }, "site_id"],
      [{ ...valid, customer_id: "1" }, "customer_id"],
      [{ ...valid, arrival: "07/01/2025" }, "arrival"],
      [{ ...valid, departure: "2025-07-01" }, "`departure` must be after `arrival`"],
      [{ ...valid, guests: 0 }, "guests"],
    ];
    for (const [input, message] of bodies) {
      const response = await call(mock, "/bookings", { body: input });
      expect(response.status).toBe(400);
      expect((await body(response)).detail).toContain(message);
    }
  });

  it("answers unknown routes with 404 and wrong methods with 405, in the { detail } shape", async () => {
    const mock = await start({ dialect: "campone", clock });
    const notFound = await call(mock, "/nope");
    expect(notFound.status).toBe(404);
    expect(await body(notFound)).toEqual({ detail: "Not found." });
    expect((await call(mock, "/bookings/abc")).status).toBe(404);
    expect((await call(mock, "/bookings/1/extra")).status).toBe(404);
    const wrong = await call(mock, "/bookings", { method: "PUT" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, POST");
    expect(await body(wrong)).toEqual({ detail: 'Method "PUT" not allowed.' });
  });
});

describe("CampOne data", () => {
  it("is deterministic: two mocks serve the same records", async () => {
    const read = async () => {
      const api = createMockApi({ dialect: "campone", clock: { now: () => 0 } });
      const request = new Request("http://x/bookings?page=7&page_size=200", {
        headers: { authorization: "Bearer k" },
      });
      return (await api.handle(request)).text();
    };
    expect(await read()).toBe(await read());
  });
});
