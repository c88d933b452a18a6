import { describe, expect, it } from "vitest";
import { PacerDeadlineError } from "../../src/pacer/deadline-error.js";
import { ok, pacerOnVirtualTime, recorder, tooMany } from "../helpers/pacer.js";

const T0 = 1_000_000;

describe("LocalKeyPacer: local rolling windows", () => {
  it("grants `limit` at once, then one more as each response ages out of the window", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 3, windowMs: 1000 }]);
    const rec = recorder(clock);
    const all = [0, 1, 2, 3, 4].map((id) => rec.track(id, pacer.acquire()).then((p) => p.release(ok())));
    await clock.runUntilIdle();
    await Promise.all(all);
    expect(rec.grants.map((g) => g.at - T0)).toEqual([0, 0, 0, 1000, 1000]);
  });

  it("ages a send from its response's arrival, not from its grant", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 1, windowMs: 1000 }]);
    const first = await pacer.acquire();
    await clock.advance(400);
    first.release(ok());
    const rec = recorder(clock);
    const second = rec.track(1, pacer.acquire());
    await clock.runUntilIdle();
    await second;
    expect(rec.grants[0]!.at - T0).toBe(1400);
  });

  it("waits for an in-flight response when the window is full of sends still in flight", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 1, windowMs: 1000 }]);
    const first = await pacer.acquire();
    let granted = false;
    const second = pacer.acquire().then((p) => {
      granted = true;
      return p;
    });
    await clock.advance(5000);
    expect(granted).toBe(false);
    first.release(ok());
    await clock.advance(999);
    expect(granted).toBe(false);
    await clock.advance(1);
    await second;
    expect(granted).toBe(true);
  });

  it("gives back the slot of a response the server did not count, and of a request never sent", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 1, windowMs: 60_000 }]);
    (await pacer.acquire()).release({ ...ok(), status: 401, counted: false });
    (await pacer.acquire()).release({ kind: "unsent" });
    const third = await pacer.acquire();
    expect(clock.now()).toBe(T0);
    third.release(ok());
    expect(pacer.nextSendAt()).toBe(T0 + 60_000);
  });

  it("tryAcquire grants at once when the key may send, and otherwise answers undefined without queueing", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 2, windowMs: 1000 }]);
    const first = pacer.tryAcquire();
    expect(first?.grantedAt).toBe(T0);
    const second = pacer.tryAcquire()!;
    // The window is full: no permit, and nothing is queued by asking.
    expect(pacer.tryAcquire()).toBeUndefined();
    expect(pacer.waiting).toBe(0);
    first!.release(ok());
    second.release(ok());
    const waiter = pacer.acquire();
    expect(pacer.waiting).toBe(1);
    await clock.advance(1000);
    // The waiter, queued first, got the room that came free.
    expect(pacer.waiting).toBe(0);
    expect(pacer.tryAcquire()).toBeDefined();
    expect((await waiter).grantedAt).toBe(T0 + 1000);
  });

  it("counts a send that failed in flight: the server may have processed it", async () => {
    const { pacer } = pacerOnVirtualTime([{ limit: 1, windowMs: 60_000 }]);
    (await pacer.acquire()).release({ kind: "failed" });
    expect(pacer.nextSendAt()).toBe(T0 + 60_000);
  });

  it("honours every window at once (burst and main)", async () => {
    const { pacer, clock } = pacerOnVirtualTime([
      { limit: 5, windowMs: 10_000 },
      { limit: 2, windowMs: 1000 },
    ]);
    const rec = recorder(clock);
    const all = Array.from({ length: 7 }, (_, id) =>
      rec.track(id, pacer.acquire()).then((p) => p.release(ok())),
    );
    await clock.runUntilIdle();
    await Promise.all(all);
    expect(rec.grants.map((g) => g.at - T0)).toEqual([0, 0, 1000, 1000, 2000, 10_000, 10_000]);
  });

  it("serves waiters in FIFO order", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 1, windowMs: 100 }]);
    const rec = recorder(clock);
    const all = Array.from({ length: 20 }, (_, id) =>
      rec.track(id, pacer.acquire()).then((p) => p.release(ok())),
    );
    await clock.runUntilIdle();
    await Promise.all(all);
    expect(rec.grants.map((g) => g.id)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe("LocalKeyPacer: the gate", () => {
  it("after a 429 with Retry-After, sends nothing of the key before it has passed — queued requests included", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 100, windowMs: 1000 }]);
    const first = await pacer.acquire();
    const queued = recorder(clock);
    const waiting = [1, 2, 3].map((id) => queued.track(id, pacer.acquire()));
    // Three are granted at once (budget allows), the 429 comes back after.
    await clock.advance(0);
    const result = first.release(tooMany(5000));
    expect(result.gate).toEqual({ waitMs: 5000, reason: "retry-after" });
    const later = recorder(clock);
    const afterGate = [4, 5].map((id) => later.track(id, pacer.acquire()));
    await clock.advance(4999);
    expect(later.grants).toHaveLength(0);
    await clock.advance(1);
    await Promise.all([...waiting, ...afterGate]);
    expect(later.grants.map((g) => g.at - T0)).toEqual([5000, 5000]);
  });

  it("treats 429s answering sends granted before the gate closed as one episode, and doubles on the next", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 100, windowMs: 1000 }], { capMs: 3_600_000 });
    const headers = { limit: 100, remaining: 0, resetMs: 1000 };
    const a = await pacer.acquire();
    const b = await pacer.acquire();
    expect(a.release(tooMany(1000, headers)).gate?.waitMs).toBe(1000);
    expect(b.release(tooMany(1000, headers)).gate?.waitMs).toBe(1000);
    await clock.advance(1000);
    const c = await pacer.acquire();
    expect(c.release(tooMany(1000, headers)).gate?.waitMs).toBe(2000);
    await clock.advance(2000);
    const d = await pacer.acquire();
    d.release(ok());
    const e = await pacer.acquire();
    expect(e.release(tooMany(1000, headers)).gate?.waitMs).toBe(1000);
  });

  it("never shortens a Retry-After: jitter is only ever added", async () => {
    const { pacer } = pacerOnVirtualTime([{ limit: 100, windowMs: 1000 }], { jitterMs: 250 });
    const permit = await pacer.acquire();
    const wait = permit.release(tooMany(3_600_000)).gate!.waitMs;
    expect(wait).toBeGreaterThanOrEqual(3_600_000);
    expect(wait).toBeLessThanOrEqual(3_600_250);
  });

  it("without Retry-After, waits for RateLimit-Reset", async () => {
    const { pacer } = pacerOnVirtualTime([{ limit: 100, windowMs: 1000 }]);
    const permit = await pacer.acquire();
    expect(permit.release(tooMany(undefined, { remaining: 0, resetMs: 7000 })).gate).toEqual({
      waitMs: 7000,
      reason: "reset",
    });
  });

  it("fails at once with the time to come back when the gate opens after the caller's deadline", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 100, windowMs: 1000 }]);
    (await pacer.acquire()).release(tooMany(3_600_000));
    const refusal = await pacer.acquire({ deadline: T0 + 60_000 }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(PacerDeadlineError);
    expect(refusal).toMatchObject({ reason: "gate", retryAfterMs: 3_600_000, retryAt: T0 + 3_600_000 });
    expect(clock.now()).toBe(T0);
  });

  it("counts a gate that opens exactly at the deadline as too late: a send then could not be answered in time", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 1, windowMs: 1000 }]);
    (await pacer.acquire()).release(tooMany(60_000));
    // Alone: refused when asked.
    const alone = await pacer.acquire({ deadline: T0 + 60_000 }).catch((e: unknown) => e);
    expect(alone).toMatchObject({ reason: "gate", retryAfterMs: 60_000, retryAt: T0 + 60_000 });
    expect(alone).toBeInstanceOf(PacerDeadlineError);
    // Queued: refused when the head's time comes to equal it; a millisecond more is in time.
    const waiting = pacer.acquire({ deadline: T0 + 60_001 });
    await clock.advance(60_000);
    const head = await waiting;
    const queued = pacer.acquire({ deadline: T0 + 61_000 }).catch((e: unknown) => e);
    const later = pacer.acquire({ deadline: T0 + 61_001 });
    head.release(ok());
    expect(await queued).toMatchObject({ reason: "window", retryAt: T0 + 61_000 });
    await clock.advance(1_000);
    expect((await later).grantedAt).toBe(T0 + 61_000);
  });

  it("fails queued waiters whose deadline a new 429 puts out of reach, and keeps the others", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 1, windowMs: 1000 }]);
    const first = await pacer.acquire();
    const short = pacer.acquire({ deadline: T0 + 2000 }).catch((e: unknown) => e);
    const long = pacer.acquire({ deadline: T0 + 100_000 });
    first.release(tooMany(30_000));
    expect(await short).toBeInstanceOf(PacerDeadlineError);
    await clock.advance(30_000);
    expect((await long).grantedAt).toBe(T0 + 30_000);
  });
});

describe("LocalKeyPacer: the server's budget", () => {
  it("sends one probe first and holds the rest until a response brings headers", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 100, windowMs: 60_000 }], { probeFirst: true });
    const probe = await pacer.acquire();
    expect(probe.probe).toBe(true);
    let second = false;
    const next = pacer.acquire().then((p) => {
      second = true;
      return p;
    });
    await clock.advance(10_000);
    expect(second).toBe(false);
    probe.release(ok({ limit: 100, remaining: 99, resetMs: 60_000 }));
    expect((await next).probe).toBe(false);
  });

  it("spends exactly the remaining budget, then waits for the reset", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 100, windowMs: 60_000 }], { probeFirst: true });
    (await pacer.acquire()).release(ok({ limit: 100, remaining: 3, resetMs: 20_000 }));
    const rec = recorder(clock);
    const permits = [1, 2, 3, 4, 5].map((id) => rec.track(id, pacer.acquire()));
    await clock.advance(0);
    expect(rec.grants.map((g) => g.at - T0)).toEqual([0, 0, 0]);
    await clock.advance(19_999);
    expect(rec.grants).toHaveLength(3);
    await clock.advance(1);
    await Promise.all(permits);
    // After the reset the local log (4 of 100 in the minute) has room: no probe is needed.
    expect(rec.grants.map((g) => g.at - T0)).toEqual([0, 0, 0, 20_000, 20_000]);
  });

  it("counts sends made after the observed request as already spent", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 100, windowMs: 60_000 }]);
    const first = await pacer.acquire();
    const inFlight = [await pacer.acquire(), await pacer.acquire()];
    first.release(ok({ limit: 100, remaining: 2, resetMs: 30_000 }));
    expect(pacer.nextSendAt()).toBe(T0 + 30_000);
    inFlight[0]!.release(ok({ limit: 100, remaining: 1, resetMs: 30_000 }));
    expect(pacer.nextSendAt()).toBe(T0 + 30_000);
    await clock.advance(0);
  });

  it("lets a fresh server budget override the local window it describes (a fixed window that reset)", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 2, windowMs: 60_000 }]);
    (await pacer.acquire()).release(ok({ limit: 2, remaining: 1, resetMs: 1000 }));
    (await pacer.acquire()).release(ok({ limit: 2, remaining: 0, resetMs: 1000 }));
    await clock.advance(1000);
    // The local log holds two sends of the last minute; the server says its window reset: probe.
    const probe = await pacer.acquire();
    expect(probe.probe).toBe(true);
    probe.release(ok({ limit: 2, remaining: 1, resetMs: 60_000 }));
    const after = await pacer.acquire();
    expect(after.grantedAt).toBe(T0 + 1000);
  });

  it("does not wait a rounded reset when a burst aged out during the round trip (a rolling server turning over)", async () => {
    // A rolling server of 4 per second: sends at 0, 1, 2, 3 ms, each answered at once.
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 4, windowMs: 1000 }]);
    for (const remaining of [3, 2, 1, 0]) {
      (await pacer.acquire()).release(ok({ limit: 4, remaining, resetMs: 1000 }));
      await clock.advance(1);
    }
    await clock.advance(996);
    // At 1000 ms the first send has aged out: one more goes, and the server, which counts it at
    // once, still holds the sends of 1, 2 and 3 ms ("0 left, reset in 1 s" — 1 ms, rounded up).
    const next = await pacer.acquire();
    expect(next.grantedAt).toBe(T0 + 1000);
    await clock.advance(20);
    next.release(ok({ limit: 4, remaining: 0, resetMs: 1000 }));
    // Its answer, 20 ms later, comes after those three aged out: our sends explain the server's
    // count, so the exact log decides — three free now, not a wait until 2020 ms.
    expect(pacer.nextSendAt()).toBe(T0 + 1020);
  });

  it("takes RateLimit-Limit over the configured limit", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 1000, windowMs: 60_000 }]);
    (await pacer.acquire()).release(ok({ limit: 2, remaining: 1, resetMs: 1 }));
    await clock.advance(1);
    // The budget is stale and the headers said 2 per window: the local log allows one more, and
    // with 1000 per window it would allow hundreds.
    (await pacer.acquire()).release(ok());
    expect(pacer.nextSendAt()).toBe(T0 + 60_000);
  });
});

describe("LocalKeyPacer: learning a lower limit without headers", () => {
  it("lowers the local limit to what the window held when a 429 comes from a server without headers", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 10, windowMs: 10_000 }]);
    for (let i = 0; i < 4; i++) {
      (await pacer.acquire()).release(ok());
      await clock.advance(100);
    }
    // The operator's real limit was 4: the fifth is refused (and counted, as CampOne counts 429s).
    (await pacer.acquire()).release(tooMany(9600));
    await clock.advance(9600);
    const rec = recorder(clock);
    const next = [0, 1, 2, 3, 4].map((id) => rec.track(id, pacer.acquire()).then((p) => p.release(ok())));
    await clock.runUntilIdle();
    await Promise.all(next);
    const sends = rec.grants.map((g) => g.at);
    // Never more than 4 in any 10 s from now on.
    for (const at of sends)
      expect(sends.filter((t) => t > at - 10_000 && t <= at).length).toBeLessThanOrEqual(4);
  });
});

describe("LocalKeyPacer: aborts", () => {
  it("removes an aborted waiter, rejects with the signal's reason, and keeps the others' order", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 1, windowMs: 1000 }]);
    const rec = recorder(clock);
    const controllers = [0, 1, 2, 3].map(() => new AbortController());
    const calls = controllers.map((c, id) =>
      rec.track(id, pacer.acquire({ signal: c.signal })).then((p) => p.release(ok())),
    );
    const reason = new Error("stop");
    controllers[1]!.abort(reason);
    await expect(calls[1]).rejects.toBe(reason);
    await clock.runUntilIdle();
    await Promise.all([calls[0], calls[2], calls[3]]);
    expect(rec.grants.map((g) => [g.id, g.at - T0])).toEqual([
      [0, 0],
      [2, 1000],
      [3, 2000],
    ]);
    expect(pacer.waiting).toBe(0);
  });

  it("rejects at once on an already aborted signal", async () => {
    const { pacer } = pacerOnVirtualTime([{ limit: 1, windowMs: 1000 }]);
    const reason = new Error("gone");
    await expect(pacer.acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it("ignores a second release of the same permit", async () => {
    const { pacer } = pacerOnVirtualTime([{ limit: 1, windowMs: 1000 }]);
    const permit = await pacer.acquire();
    permit.release({ kind: "unsent" });
    permit.release(ok());
    expect(pacer.nextSendAt()).toBe(T0);
  });
});
