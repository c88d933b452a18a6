/**
 * Abort at every stage: waiting for the local window, for the server's budget, for the
 * probe, at the gate, in flight, during the backoff, while the body is read. Each time the call
 * rejects at once (no virtual time passes) with the signal's reason, the key's other waiters keep
 * their order, and no budget slot leaks: the next sends go exactly when the freed budget allows, and
 * no timer is left behind. All on a virtual clock moved by hand.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  boothzen,
  type ClientOptions,
  campone,
  createClient,
  type Dialect,
  memoryStore,
} from "../../src/index.js";
import { createVirtualClock, type VirtualClock } from "../../src/testing/index.js";
import { json } from "../helpers/scripted-fetch.js";

const T0 = 1_700_000_000_000;
const KEY = "key_live_abort_0001";

const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

type Reply = Response | "hang" | ((signal: AbortSignal) => Response | Promise<Response>);

/**
 * A transport on the virtual clock: answers each request from `replies` by its path (in order per
 * path; 200 when none is left), records when each was sent, and, like fetch, rejects with the
 * signal's reason when aborted in flight. `"hang"` never answers.
 */
function transport(clock: VirtualClock, replies: Record<string, Reply[]> = {}) {
  const sent: { path: string; at: number; signal: AbortSignal }[] = [];
  const fetch = (input: string | URL | Request, init: RequestInit = {}) => {
    const path = new URL(String(input)).pathname;
    const signal = init.signal as AbortSignal;
    sent.push({ path, at: clock.now(), signal });
    const reply = replies[path]?.shift() ?? json(200, {});
    return new Promise<Response>((resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      if (reply === "hang") return;
      Promise.resolve(typeof reply === "function" ? reply(signal) : reply).then(resolve, reject);
    });
  };
  return { fetch, sent, paths: () => sent.map((s) => s.path) };
}

function setup(
  dialect: Dialect,
  replies: Record<string, Reply[]> = {},
  options: Partial<ClientOptions> = {},
) {
  const clock = createVirtualClock(T0);
  const t = transport(clock, replies);
  const client = createClient({
    baseUrl: "https://api.example.test",
    apiKey: KEY,
    dialect,
    fetch: t.fetch,
    clock,
    store: memoryStore(),
    ...options,
  });
  clients.push(client);
  return { client, clock, ...t };
}

/** Starts a call and keeps its outcome, so an early rejection is never unhandled. */
function start(promise: Promise<unknown>) {
  let settled: { ok: boolean; value: unknown } | undefined;
  const done = promise.then(
    (value) => {
      settled = { ok: true, value };
    },
    (value: unknown) => {
      settled = { ok: false, value };
    },
  );
  return {
    done,
    get settled() {
      return settled;
    },
  };
}

/** Aborts `controller` and checks the call rejected with its reason before any virtual time passed. */
async function abortAndExpectReason(
  clock: VirtualClock,
  controller: AbortController,
  call: ReturnType<typeof start>,
): Promise<void> {
  const at = clock.now();
  const reason = new Error(`caller gave up at ${at}`);
  controller.abort(reason);
  await call.done;
  expect(call.settled).toEqual({ ok: false, value: reason });
  expect(clock.now()).toBe(at);
}

const oneASecond = () => campone({ limit: 1, windowMs: 1000, backoff: { retryAfterJitterMs: 0 } });

describe("abort while waiting for the local window", () => {
  it("rejects at once; the others keep their order and take the freed turn", async () => {
    const { client, clock, sent, paths } = setup(oneASecond());
    await client.fetch("/x");
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const calls = ["/a", "/b", "/c"].map((path, i) =>
      start(client.fetch(path, { signal: controllers[i]!.signal })),
    );
    await clock.advance(500);
    expect(client.waiting).toBe(3);
    await abortAndExpectReason(clock, controllers[1]!, calls[1]!);
    expect(client.waiting).toBe(2);
    await clock.runUntilIdle();
    await Promise.all(calls.map((c) => c.done));
    expect(paths()).toEqual(["/x", "/a", "/c"]);
    // /c takes the second after /a, not a third: the aborted waiter held no slot.
    expect(sent.map((s) => s.at - T0)).toEqual([0, 1000, 2000]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("rejects at once when the head of the queue aborts, and the next one moves up", async () => {
    const { client, clock, sent, paths } = setup(oneASecond());
    await client.fetch("/x");
    const head = new AbortController();
    const a = start(client.fetch("/a", { signal: head.signal }));
    const b = start(client.fetch("/b"));
    await clock.advance(999);
    await abortAndExpectReason(clock, head, a);
    await clock.advance(1);
    await b.done;
    expect(paths()).toEqual(["/x", "/b"]);
    expect(sent[1]!.at - T0).toBe(1000);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe("abort while waiting for the server's budget or the probe", () => {
  // BoothZen paces only /api/v1/: the server counts nothing else.
  const spent = { "ratelimit-limit": "600", "ratelimit-remaining": "0", "ratelimit-reset": "60" };

  it("rejects at once while RateLimit-Remaining is 0; after the reset the others go in order", async () => {
    const { client, clock, sent, paths } = setup(boothzen(), { "/api/v1/x": [json(200, {}, spent)] });
    await client.fetch("/api/v1/x");
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const calls = ["/api/v1/a", "/api/v1/b", "/api/v1/c"].map((path, i) =>
      start(client.fetch(path, { signal: controllers[i]!.signal })),
    );
    await clock.advance(30_000);
    await abortAndExpectReason(clock, controllers[0]!, calls[0]!);
    await clock.runUntilIdle();
    await Promise.all(calls.map((c) => c.done));
    expect(paths()).toEqual(["/api/v1/x", "/api/v1/b", "/api/v1/c"]);
    expect(sent[1]!.at - T0).toBe(60_000);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("rejects at once while the key's first request probes alone; the probe's answer frees the rest", async () => {
    let answer: (() => void) | undefined;
    const held = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const budget = { "ratelimit-limit": "600", "ratelimit-remaining": "599", "ratelimit-reset": "60" };
    const { client, clock, paths } = setup(boothzen(), {
      "/api/v1/probe": [() => held.then(() => json(200, {}, budget))],
    });
    const probe = start(client.fetch("/api/v1/probe"));
    const controller = new AbortController();
    const a = start(client.fetch("/api/v1/a", { signal: controller.signal }));
    const b = start(client.fetch("/api/v1/b"));
    await clock.advance(0);
    expect(paths()).toEqual(["/api/v1/probe"]);
    expect(client.waiting).toBe(2);
    await abortAndExpectReason(clock, controller, a);
    answer?.();
    await probe.done;
    await b.done;
    expect(paths()).toEqual(["/api/v1/probe", "/api/v1/b"]);
    expect(clock.now()).toBe(T0);
  });
});

describe("abort while waiting at the gate", () => {
  it("rejects at once; the gate still opens when Retry-After said, for the others in order", async () => {
    const { client, clock, sent, paths } = setup(campone({ backoff: { retryAfterJitterMs: 0 } }), {
      "/x": [json(429, { detail: "wait" }, { "retry-after": "600" })],
    });
    const controller = new AbortController();
    const x = start(client.fetch("/x", { signal: controller.signal }));
    await clock.advance(0);
    const a = start(client.fetch("/a"));
    const b = start(client.fetch("/b"));
    await clock.advance(300_000);
    expect(client.waiting).toBe(3);
    await abortAndExpectReason(clock, controller, x);
    expect(client.waiting).toBe(2);
    await clock.runUntilIdle();
    await Promise.all([a.done, b.done]);
    expect(paths()).toEqual(["/x", "/a", "/b"]);
    expect(sent.slice(1).map((s) => s.at - T0)).toEqual([600_000, 600_000]);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe("abort in flight", () => {
  it("rejects at once, aborts the transport, and counts the send once: the next goes a window after", async () => {
    const { client, clock, sent, paths } = setup(oneASecond(), { "/x": ["hang"] });
    const controller = new AbortController();
    const x = start(client.fetch("/x", { signal: controller.signal }));
    await clock.advance(0);
    const a = start(client.fetch("/a"));
    const b = start(client.fetch("/b"));
    await clock.advance(100);
    expect(paths()).toEqual(["/x"]);
    await abortAndExpectReason(clock, controller, x);
    expect(sent[0]!.signal.aborted).toBe(true);
    await clock.runUntilIdle();
    await Promise.all([a.done, b.done]);
    expect(paths()).toEqual(["/x", "/a", "/b"]);
    // The aborted send may have reached the server: it counts, from the moment it ended.
    expect(sent.map((s) => s.at - T0)).toEqual([0, 1100, 2100]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("rejects at once while the body of client.request is being read", async () => {
    const slowBody = (signal: AbortSignal) =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"partial":'));
            signal.addEventListener("abort", () => controller.error(signal.reason), { once: true });
          },
        }),
        { status: 200 },
      );
    const { client, clock } = setup(oneASecond(), { "/x": [slowBody] });
    const controller = new AbortController();
    const x = start(client.request({ path: "/x", signal: controller.signal }));
    await clock.advance(10);
    expect(x.settled).toBeUndefined();
    await abortAndExpectReason(clock, controller, x);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe("abort during the backoff", () => {
  it("rejects at once, sends nothing more, and leaves the key's queue as it was", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const events: string[] = [];
    const { client, clock, sent, paths } = setup(
      oneASecond(),
      { "/x": [json(503, { detail: "busy" })] },
      { hooks: { retry: (e) => events.push(`retry after ${e.delayMs}`) } },
    );
    const controller = new AbortController();
    const x = start(client.fetch("/x", { signal: controller.signal }));
    await clock.advance(0);
    const a = start(client.fetch("/a"));
    await clock.advance(100);
    // The 503 is being backed off (half of the first ceiling, 1000 ms): abort in the middle.
    expect(events).toEqual(["retry after 500"]);
    await abortAndExpectReason(clock, controller, x);
    await clock.runUntilIdle();
    await a.done;
    expect(paths()).toEqual(["/x", "/a"]);
    expect(sent[1]!.at - T0).toBe(1000);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe("close() at every stage", () => {
  it("rejects every call waiting anywhere with the close reason and leaves no timer", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    // Two sends a second: one backs off a 503 for 5 s, one hangs in flight, two wait for the window.
    const dialect = campone({ limit: 2, windowMs: 1000, backoff: { baseMs: 10_000 } });
    const { client, clock, paths } = setup(dialect, { "/flight": ["hang"], "/backoff": [json(503, {})] });
    const backoff = start(client.fetch("/backoff"));
    const flight = start(client.fetch("/flight"));
    const queued = [start(client.fetch("/a")), start(client.fetch("/b"))];
    await clock.advance(10);
    expect(paths()).toEqual(["/backoff", "/flight"]);
    expect(client.waiting).toBe(2);
    await client.close();
    for (const call of [backoff, flight, ...queued]) {
      await call.done;
      expect(call.settled?.ok).toBe(false);
      expect(call.settled?.value).toMatchObject({
        name: "AbortError",
        message: "The pacekeeper client was closed",
      });
    }
    expect(clock.pendingTimers()).toBe(0);
  });

  it("rejects a call whose signal is already aborted without sending", async () => {
    const { client, paths } = setup(oneASecond());
    const reason = new Error("too late");
    await expect(client.fetch("/x", { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(client.request({ path: "/x", signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(paths()).toEqual([]);
  });
});

describe("any calls, any aborts (fast-check)", () => {
  it("the calls not aborted are sent in FIFO order, one per window slot; the aborted ones reject with their reason", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (abortAt) => {
          const { client, clock, sent } = setup(campone({ limit: 2, windowMs: 1000 }));
          const calls = abortAt.map((at, i) => {
            const controller = new AbortController();
            const reason = new Error(`abort ${i}`);
            if (at !== undefined) void clock.sleep(at).then(() => controller.abort(reason));
            return { reason, call: start(client.fetch(`/${i}`, { signal: controller.signal })) };
          });
          await clock.runUntilIdle();
          await Promise.all(calls.map((c) => c.call.done));
          const sentIds = sent.map((s) => Number(s.path.slice(1)));
          // FIFO: the sends are in call order.
          expect(sentIds).toEqual([...sentIds].sort((x, y) => x - y));
          for (const [i, { reason, call }] of calls.entries()) {
            if (sentIds.includes(i)) expect(call.settled?.ok).toBe(true);
            else expect(call.settled).toEqual({ ok: false, value: reason });
          }
          // No slot leaked, none was taken twice: the k-th send goes the moment the window frees a
          // slot, exactly a second after the (k-2)-th (every answer comes at once).
          expect(sent.map((s) => s.at - T0)).toEqual(
            sent.map((_, k) => (k < 2 ? 0 : sent[k - 2]!.at - T0 + 1000)),
          );
          expect(clock.pendingTimers()).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
