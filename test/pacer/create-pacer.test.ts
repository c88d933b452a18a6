import { describe, expect, it } from "vitest";
import { createPacer, memoryStore, PacerDeadlineError } from "../../src/index.js";
import { LocalKeyPacer } from "../../src/pacer/local-key-pacer.js";
import { createVirtualClock } from "../../src/testing/index.js";

describe("createPacer: pacing any async work per key", () => {
  it("runs at most `limit` per window per key, keys independent, FIFO", async () => {
    const clock = createVirtualClock(0);
    const pacer = createPacer({ limits: [{ limit: 2, windowMs: 1000 }], clock });
    const ran: [string, number, number][] = [];
    clock.autoAdvance(true);
    try {
      await Promise.all([
        ...[0, 1, 2, 3, 4].map((i) => pacer.run("a", async () => ran.push(["a", i, clock.now()]))),
        ...[0, 1].map((i) => pacer.run("b", async () => ran.push(["b", i, clock.now()]))),
      ]);
    } finally {
      clock.autoAdvance(false);
    }
    expect(ran.filter(([k]) => k === "a").map(([, i, t]) => [i, t])).toEqual([
      [0, 0],
      [1, 0],
      [2, 1000],
      [3, 1000],
      [4, 2000],
    ]);
    expect(ran.filter(([k]) => k === "b").map(([, , t]) => t)).toEqual([0, 0]);
  });

  it("counts work that throws, and rethrows its error", async () => {
    const clock = createVirtualClock(0);
    const pacer = createPacer({ limits: [{ limit: 1, windowMs: 1000 }], clock });
    const boom = new Error("boom");
    await expect(pacer.run("k", async () => Promise.reject(boom))).rejects.toBe(boom);
    await expect(pacer.run("k", async () => 1, { deadline: 500 })).rejects.toBeInstanceOf(PacerDeadlineError);
  });

  it("closes a key's gate when the work reports a 429 through a permit", async () => {
    const clock = createVirtualClock(0);
    const pacer = createPacer({
      limits: [{ limit: 10, windowMs: 1000 }],
      clock,
      backoff: { retryAfterJitterMs: 0 },
    });
    const permit = await pacer.acquire("k");
    expect(
      permit.release({ kind: "response", status: 429, counted: true, retryAfterMs: 5000 }).gate?.waitMs,
    ).toBe(5000);
    const next = pacer.acquire("k");
    await clock.advance(4999);
    let granted = false;
    void next.then(() => {
      granted = true;
    });
    await clock.advance(0);
    expect(granted).toBe(false);
    await clock.advance(1);
    expect((await next).grantedAt).toBe(5000);
  });

  it("takes a permit's release detached from its permit, once", async () => {
    const clock = createVirtualClock(0);
    const pacer = createPacer({ limits: [{ limit: 1, windowMs: 1000 }], clock });
    const { release } = await pacer.acquire("k");
    expect(release({ kind: "unsent" })).toEqual({});
    expect(release({ kind: "failed" })).toEqual({}); // a second release is ignored
    // The unsent send gave its slot back: the key may send again at once (the clock never moves).
    const next = await pacer.acquire("k");
    expect(next.grantedAt).toBe(0);
  });

  it("rejects bad options with the option's name", () => {
    expect(() => createPacer({ limits: [] })).toThrow(/`limits`/);
    expect(() => createPacer({ limits: [{ limit: 0, windowMs: 1 }] })).toThrow(/`limits\[0\]\.limit`/);
    expect(() => createPacer({ limits: [{ limit: 1, windowMs: 1 }], backoff: { factor: 0.5 } })).toThrow(
      /`factor`/,
    );
  });
});

describe("memoryStore", () => {
  it("gives every caller of one id the same pacer, and forgets keys idle longer than their longest window", async () => {
    const clock = createVirtualClock(0);
    const store = memoryStore();
    const config = {
      limits: [{ limit: 1, windowMs: 1000 }],
      probeFirst: false,
      backoff: { baseMs: 1, capMs: 1, factor: 2, retryAfterJitterMs: 0 },
      clock,
    };
    const first = store.pacerFor("k1", config);
    expect(first).toBeInstanceOf(LocalKeyPacer);
    expect(store.pacerFor("k1", config)).toBe(first);
    (await first.acquire()).release({ kind: "response", status: 200, counted: true });
    await clock.advance(120_000);
    store.pacerFor("k2", config);
    expect(store.size).toBe(1);
    expect(store.pacerFor("k1", config)).not.toBe(first);
  });

  it("gives callers on different clocks pacers of their own, each swept on its own clock", async () => {
    const store = memoryStore();
    const config = (clock: ReturnType<typeof createVirtualClock>) => ({
      limits: [{ limit: 1, windowMs: 1000 }],
      probeFirst: false,
      backoff: { baseMs: 1, capMs: 1, factor: 2, retryAfterJitterMs: 0 },
      clock,
    });
    const one = createVirtualClock(0);
    const other = createVirtualClock(0);
    const first = store.pacerFor("k", config(one));
    const second = store.pacerFor("k", config(other));
    expect(second).not.toBe(first);
    expect(store.pacerFor("k", config(other))).toBe(second);
    expect(store.size).toBe(2);
    // Only the clock that moved finds its pacer idle.
    await other.advance(120_000);
    store.pacerFor("k2", config(other));
    expect(store.pacerFor("k", config(one))).toBe(first);
    expect(store.size).toBe(2); // "k" on the first clock, "k2" on the other
  });
});

describe("createPacer: memory", () => {
  it("keeps a bounded number of key names, however many keys it paced", async () => {
    const clock = createVirtualClock(0);
    const pacer = createPacer({ limits: [{ limit: 1_000, windowMs: 1_000 }], clock });
    const gc = globalThis.gc as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) await pacer.run(`key number ${i}`, async () => undefined);
    // Long idle: the store lets the keys' pacers go at its next use.
    await clock.advance(120_000);
    await pacer.run("last", async () => undefined);
    gc();
    // Every name kept would be about 17 MB; the bounded cache keeps well under one.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(5 * 1024 * 1024);
  });
});
