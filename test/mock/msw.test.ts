/** What the msw front adds: a base URL (with a path), requests outside it untouched, reset(), side-by-side dialects. */
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterEach, describe, expect, it } from "vitest";
import { createMockHandlers } from "../../src/mock/index.js";
import { manualClock } from "../helpers/mock-clock.js";

const auth = { authorization: "Bearer key_live_a" };
let close: (() => void) | undefined;
/** Requests no handler matched, as `METHOD url`: a test that expects none checks it is empty. */
let unhandled: string[] = [];
afterEach(() => {
  close?.();
  close = undefined;
  unhandled = [];
});

/**
 * After the mock's handlers, one that takes whatever they left: it records the request for the test
 * to assert on and fails it with a network error, as `onUnhandledRequest: "error"` would, without
 * printing msw's warning for requests a test sends outside the mock on purpose.
 */
function listen(...handlers: Parameters<typeof setupServer>): void {
  const leftAlone = http.all("*", ({ request }) => {
    unhandled.push(`${request.method} ${request.url}`);
    return Response.error();
  });
  const server = setupServer(...handlers, leftAlone);
  server.listen({ onUnhandledRequest: "error" });
  close = () => server.close();
}

describe("createMockHandlers", () => {
  it("answers under a base URL with a path, and leaves other URLs alone", async () => {
    const mock = createMockHandlers({ dialect: "campone", baseUrl: "https://api.campone.test/v2/" });
    listen(...mock.handlers);
    expect((await fetch("https://api.campone.test/v2/sites", { headers: auth })).status).toBe(200);
    expect((await fetch("https://api.campone.test/v2/sites/", { headers: auth })).status).toBe(200);
    expect((await fetch("https://api.campone.test/v2", { headers: auth })).status).toBe(404);
    await expect(fetch("https://api.campone.test/sites", { headers: auth })).rejects.toThrow();
    await expect(fetch("https://other.test/v2/sites", { headers: auth })).rejects.toThrow();
    expect(mock.audit().map((entry) => entry.path)).toEqual(["/v2/sites", "/v2/sites/", "/v2"]);
    // Outside the base URL the mock left both alone: no handler of its matched them.
    expect(unhandled).toEqual(["GET https://api.campone.test/sites", "GET https://other.test/v2/sites"]);
  });

  it("serves both dialects side by side in one setupServer", async () => {
    const clock = manualClock(0);
    const campone = createMockHandlers({
      dialect: "campone",
      baseUrl: "https://campone.test",
      clock,
      limit: 1,
    });
    const boothzen = createMockHandlers({
      dialect: "boothzen",
      baseUrl: "https://boothzen.test",
      clock,
      limit: 1,
    });
    listen(...campone.handlers, ...boothzen.handlers);
    expect((await fetch("https://campone.test/sites", { headers: auth })).status).toBe(200);
    expect((await fetch("https://boothzen.test/api/v1/bookings", { headers: auth })).status).toBe(200);
    expect((await fetch("https://campone.test/sites", { headers: auth })).status).toBe(429);
    expect((await fetch("https://boothzen.test/api/v1/bookings", { headers: auth })).status).toBe(429);
    expect(campone.audit()).toHaveLength(2);
    expect(boothzen.audit()).toHaveLength(2);
    expect(unhandled).toEqual([]);
  });

  it("reset() forgets counters, the audit log and created bookings", async () => {
    const clock = manualClock(0);
    const mock = createMockHandlers({ dialect: "campone", baseUrl: "https://campone.test", clock, limit: 2 });
    listen(...mock.handlers);
    const body = JSON.stringify({
      site_id: 1,
      customer_id: 1,
      arrival: "2025-07-01",
      departure: "2025-07-02",
      guests: 1,
    });
    expect(
      (await fetch("https://campone.test/bookings", { method: "POST", headers: auth, body })).status,
    ).toBe(201);
    expect((await fetch("https://campone.test/bookings/3001", { headers: auth })).status).toBe(200);
    expect((await fetch("https://campone.test/sites", { headers: auth })).status).toBe(429);
    mock.reset();
    expect(mock.audit()).toEqual([]);
    expect((await fetch("https://campone.test/bookings/3001", { headers: auth })).status).toBe(404);
  });
});
