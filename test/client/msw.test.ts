import { delay, HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  boothzen,
  campone,
  createClient,
  isRateLimitError,
  NotFoundError,
  TimeoutError,
} from "../../src/index.js";
import { createMockHandlers } from "../../src/mock/index.js";

/**
 * Users test their own code with msw: the client's default transport goes through
 * `globalThis.fetch` at call time, so `setupServer` intercepts it unchanged.
 */
const BOOTHZEN = "https://api.boothzen.test";
const CAMPONE = "https://api.campone.test";
const boothzenMock = createMockHandlers({
  dialect: "boothzen",
  baseUrl: BOOTHZEN,
  limit: 20,
  windowMs: 60_000,
  burst: 10,
  burstWindowMs: 1000,
});
const camponeMock = createMockHandlers({
  dialect: "campone",
  baseUrl: CAMPONE,
  limit: 3,
  windowMs: 3_600_000,
});
const mswServer = setupServer(...boothzenMock.handlers, ...camponeMock.handlers);

beforeAll(() => mswServer.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  mswServer.resetHandlers();
  boothzenMock.reset();
  camponeMock.reset();
});
afterAll(() => mswServer.close());

describe("the client, unchanged, under msw setupServer with the mock handlers", () => {
  it("pages BoothZen bookings through the intercepted default transport", async () => {
    const client = createClient({
      baseUrl: BOOTHZEN,
      apiKey: "key_live_msw_0001",
      dialect: boothzen({ limit: 20, burst: 10 }),
    });
    try {
      const page = (await client.request({ path: "/api/v1/bookings", query: { page_size: 5 } })) as {
        data: unknown[];
      };
      expect(page.data).toHaveLength(5);
      const res = await client.fetch("/api/v1/bookings?page_size=1");
      expect(res.headers.get("ratelimit-limit")).toBe("20");
      await expect(client.request({ path: "/api/v1/bookings/does-not-exist" })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      expect(boothzenMock.audit().map((e) => e.status)).toEqual([200, 200, 404]);
    } finally {
      await client.close();
    }
  });

  it("paces by the headers: 15 requests against a burst of 10 per second, no 429", async () => {
    const client = createClient({
      baseUrl: BOOTHZEN,
      apiKey: "key_live_msw_0002",
      dialect: boothzen({ limit: 20, burst: 10 }),
    });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 15 }, async () => (await client.fetch("/api/v1/bookings?page_size=1")).status),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(boothzenMock.audit().filter((e) => e.status === 429)).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  it("fails at once with retryAfterMs when CampOne's hour-long Retry-After lies beyond the deadline", async () => {
    // The configured limit is above the key's real one (3): the fourth request is refused.
    const client = createClient({
      baseUrl: CAMPONE,
      apiKey: "key_live_msw_0003",
      dialect: campone({ limit: 10 }),
      totalTimeoutMs: 5_000,
    });
    try {
      for (let i = 0; i < 3; i++) expect((await client.fetch("/sites")).status).toBe(200);
      const error = await client.request({ path: "/sites" }).catch((e: unknown) => e);
      expect(isRateLimitError(error)).toBe(true);
      expect((error as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(3_500_000);
      expect(camponeMock.audit().map((e) => e.status)).toEqual([200, 200, 200, 429]);
    } finally {
      await client.close();
    }
  });

  it("ends an attempt msw never answers at the attempt timeout, though the default transport passes it no signal", async () => {
    // The agent that frees an overdue request on a real connection is bypassed by msw: the
    // attempt must still end at its timeout, and a late answer must not resurface.
    let answered = 0;
    let lateAnswerSent: () => void = () => {};
    const lateAnswer = new Promise<void>((resolve) => {
      lateAnswerSent = resolve;
    });
    mswServer.use(
      http.get(`${CAMPONE}/slow`, async () => {
        const first = answered++ === 0;
        await delay(first ? 600 : "infinite");
        // Settles once the response is on its way to the attempt that gave it up.
        setImmediate(lateAnswerSent);
        return HttpResponse.json({ late: true });
      }),
    );
    const client = createClient({
      baseUrl: CAMPONE,
      apiKey: "key_live_msw_0004",
      dialect: campone({ limit: 10 }),
      timeoutMs: 150,
      retry: { retries: 1 },
    });
    try {
      const error = await client.fetch("/slow").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ scope: "attempt", attempts: 2 });
      // The first attempt's answer comes after it was given up: discarded, nothing unhandled.
      await lateAnswer;
      await new Promise((resolve) => setTimeout(resolve, 0));
    } finally {
      await client.close();
    }
  });
});
