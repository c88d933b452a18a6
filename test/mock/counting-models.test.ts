/**
 * Each counting model matches its definition: for random request times and limits, the mock's
 * accept/refuse decisions, `RateLimit-Remaining`, `RateLimit-Reset` and `Retry-After` equal those of
 * a straightforward reference computation (test/helpers/mock-reference.ts). Driven through
 * `createMockApi` on a virtual clock, so thousands of requests take milliseconds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CountingModel, createMockApi } from "../../src/mock/index.js";
import {
  type Limit,
  referenceAllows,
  referenceRemaining,
  referenceResetMs,
} from "../helpers/mock-reference.js";

const MODELS: readonly CountingModel[] = ["rolling", "fixed", "bucket"];

/**
 * Limits and request times on a lattice of `tick` ms (so requests land exactly on window edges and
 * refill instants, where off-by-one rules differ), with some off-lattice gaps too.
 */
const scenario = fc
  .record({
    tick: fc.constantFrom(1, 7, 250, 1_000),
    limit: fc.integer({ min: 1, max: 6 }),
    windowTicks: fc.integer({ min: 1, max: 12 }),
    burst: fc.integer({ min: 1, max: 4 }),
    burstWindowTicks: fc.integer({ min: 1, max: 4 }),
    gaps: fc.array(
      fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 6 }).map((ticks) => ({ ticks, ms: 0 })), weight: 4 },
        { arbitrary: fc.integer({ min: 0, max: 3_000 }).map((ms) => ({ ticks: 0, ms })), weight: 1 },
      ),
      { minLength: 1, maxLength: 40 },
    ),
  })
  .map(({ tick, limit, windowTicks, burst, burstWindowTicks, gaps }) => ({
    limit,
    windowMs: tick * windowTicks,
    burst,
    burstWindowMs: tick * burstWindowTicks,
    gaps: gaps.map(({ ticks, ms }) => ticks * tick + ms),
  }));

function request(): Request {
  return new Request("http://mock.test/api/v1/bookings?page_size=1", {
    headers: { authorization: "Bearer key_live_a" },
  });
}

function campOneRequest(): Request {
  return new Request("http://mock.test/sites?page_size=1", {
    headers: { authorization: "Bearer key_live_a" },
  });
}

/** The least whole number of seconds after which every limit allows a request, by probing the reference. */
function expectRetryAfterExact(
  model: CountingModel,
  history: readonly number[],
  now: number,
  limits: readonly Limit[],
  retryAfter: number,
): void {
  const allowsAt = (t: number) => limits.every((limit) => referenceAllows(model, history, t, limit));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(allowsAt(now + retryAfter * 1000)).toBe(true);
  if (retryAfter > 1) expect(allowsAt(now + (retryAfter - 1) * 1000)).toBe(false);
}

describe.each(MODELS)("counting model %s", (model) => {
  it("BoothZen: decisions and headers equal the reference (refused requests not counted, two limits)", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ limit, windowMs, burst, burstWindowMs, gaps }) => {
        let now = 1_000_000;
        const api = createMockApi({
          dialect: "boothzen",
          counting: model,
          limit,
          windowMs,
          burst,
          burstWindowMs,
          clock: { now: () => now },
        });
        const main = { limit, windowMs };
        const limits = [main, { limit: burst, windowMs: burstWindowMs }];
        const counted: number[] = [];
        for (const gap of gaps) {
          now += gap;
          const allowed = limits.every((each) => referenceAllows(model, counted, now, each));
          const response = await api.handle(request());
          const header = (name: string) => Number(response.headers.get(name));
          if (allowed) {
            expect(response.status).toBe(200);
            counted.push(now);
            expect(header("RateLimit-Remaining")).toBe(referenceRemaining(model, counted, now, main));
            expect(header("RateLimit-Reset")).toBe(
              Math.ceil(referenceResetMs(model, counted, now, main) / 1000),
            );
          } else {
            expect(response.status).toBe(429);
            const retryAfter = header("Retry-After");
            expectRetryAfterExact(model, counted, now, limits, retryAfter);
            expect(header("RateLimit-Remaining")).toBe(0);
            expect(header("RateLimit-Reset")).toBe(retryAfter);
          }
          expect(header("RateLimit-Limit")).toBe(limit);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("CampOne: decisions and Retry-After equal the reference (every request counted, 429s included)", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ limit, windowMs, gaps }) => {
        let now = 1_000_000;
        const api = createMockApi({
          dialect: "campone",
          counting: model,
          limit,
          windowMs,
          clock: { now: () => now },
        });
        const main = { limit, windowMs };
        const counted: number[] = [];
        for (const gap of gaps) {
          now += gap;
          const allowed = referenceAllows(model, counted, now, main);
          counted.push(now);
          const response = await api.handle(campOneRequest());
          if (allowed) {
            expect(response.status).toBe(200);
          } else {
            expect(response.status).toBe(429);
            const retryAfter = Number(response.headers.get("Retry-After"));
            expectRetryAfterExact(model, counted, now, [main], retryAfter);
            expect(await response.json()).toEqual({
              detail: `Request was throttled. Expected available in ${retryAfter} seconds.`,
            });
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("fixed windows on the server's own grid (`windowOrigin`)", () => {
  it("start at the origin, not at the key's first request: the first window ends 1.1 s in", async () => {
    let now = 50_000;
    const api = createMockApi({
      dialect: "boothzen",
      counting: "fixed",
      limit: 2,
      windowMs: 3_000,
      burst: 2,
      burstWindowMs: 3_000,
      windowOrigin: now + 1_100,
      clock: { now: () => now },
    });
    const first = await api.handle(request());
    expect(first.headers.get("ratelimit-reset")).toBe("2");
    await api.handle(request());
    expect((await api.handle(request())).status).toBe(429);
    now += 1_100;
    const next = await api.handle(request());
    expect(next.status).toBe(200);
    expect(next.headers.get("ratelimit-remaining")).toBe("1");
    expect(next.headers.get("ratelimit-reset")).toBe("3");
  });

  it("applies to fixed counting only, and must be a finite number", () => {
    expect(() => createMockApi({ dialect: "boothzen", counting: "rolling", windowOrigin: 0 })).toThrow(
      TypeError,
    );
    expect(() => createMockApi({ dialect: "boothzen", counting: "fixed", windowOrigin: Number.NaN })).toThrow(
      /finite number/,
    );
  });
});
