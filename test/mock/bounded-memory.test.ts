import { describe, expect, it } from "vitest";
import { createMockApi } from "../../src/mock/index.js";
import { CREATED_CAPACITY } from "../../src/mock/record-list.js";

/**
 * A mock server is a server users run, sometimes for days and under whatever their code sends:
 * its memory must not grow with the traffic. Driven through `createMockApi` on a hand-moved clock.
 */
function api(dialect: "campone" | "boothzen", windowMs = 1_000) {
  let now = 0;
  // A small audit log, so that what is measured is the counters (the log is bounded on its own).
  const mock = createMockApi({ dialect, limit: 5, windowMs, clock: { now: () => now }, auditLimit: 100 });
  const base = dialect === "campone" ? "http://mock.test" : "http://mock.test/api/v1";
  const send = (path: string, key: string, init: RequestInit = {}) =>
    mock.handle(
      new Request(`${base}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      }),
    );
  return { mock, send, advance: (ms: number) => (now += ms) };
}

describe("the mock's memory stays bounded", () => {
  it.each(["campone", "boothzen"] as const)(
    "%s forgets the counters of keys idle past their window",
    async (dialect) => {
      const { send, advance } = api(dialect);
      const path = dialect === "campone" ? "/sites" : "/bookings";
      const gc = globalThis.gc as () => void;
      gc();
      const before = process.memoryUsage().heapUsed;
      // 40,000 keys, each once, in groups a window apart: only the keys of the last windows are kept.
      for (let i = 0; i < 40_000; i++) {
        if (i % 1_000 === 0) advance(2_000);
        expect((await send(path, `key_live_${i}`)).status).toBe(200);
      }
      gc();
      // Every key's counters kept would be several megabytes; a few windows' worth is well under.
      expect(process.memoryUsage().heapUsed - before).toBeLessThan(4 * 1024 * 1024);
      // A key seen again after its window is fresh: its five requests all pass, the sixth does not.
      advance(2_000);
      for (let i = 0; i < 5; i++) expect((await send(path, "key_live_0")).status).toBe(200);
      expect((await send(path, "key_live_0")).status).toBe(429);
    },
  );

  it("keeps the newest created records, and finds one by its id without copying the collection", async () => {
    const { send, advance } = api("boothzen", 1);
    const booking = {
      booth_id: "booth_001",
      customer_name: "A",
      starts_at: "2026-03-01T10:00:00Z",
      ends_at: "2026-03-01T11:00:00Z",
    };
    const ids: string[] = [];
    for (let i = 0; i < CREATED_CAPACITY * 2 + 10; i++) {
      advance(1_000);
      const res = await send("/bookings", `key_live_w${i % 7}`, {
        method: "POST",
        body: JSON.stringify(booking),
      });
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { id: string }).id);
    }
    advance(1_000);
    expect((await send(`/bookings/${ids.at(-1)}`, "key_live_r")).status).toBe(200);
    // The first created ones were let go for room; the fixtures stay.
    expect((await send(`/bookings/${ids[0]}`, "key_live_r")).status).toBe(404);
    expect((await send("/bookings/bkg_000001", "key_live_r")).status).toBe(200);
  });
});
