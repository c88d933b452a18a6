import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { afterEach, describe, expect, it, vi } from "vitest";
import { campone, createClient, memoryStore, type PacekeeperEvent } from "../../src/index.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { json, reset, scriptedFetch } from "../helpers/scripted-fetch.js";

const KEY = "key_live_hooks_00000001";
afterEach(() => vi.restoreAllMocks());

function setup(replies: Response[], hooks: Parameters<typeof createClient>[0]["hooks"]) {
  const clock = createVirtualClock(0);
  clock.autoAdvance(true);
  const client = createClient({
    baseUrl: "https://api.example.test",
    apiKey: KEY,
    dialect: campone({ limit: 1, windowMs: 1000, backoff: { retryAfterJitterMs: 0 } }),
    fetch: scriptedFetch(replies),
    clock,
    store: memoryStore(),
    hooks,
  });
  return { client, clock };
}

describe("hooks", () => {
  it("reports waits with their reason and 429s with the gate they closed", async () => {
    const events: PacekeeperEvent[] = [];
    const { client, clock } = setup(
      [
        json(200, {}),
        json(429, { detail: "x" }, { "retry-after": "3" }),
        json(429, { detail: "x" }, { "retry-after": "3" }),
      ],
      { event: (e) => events.push(e) },
    );
    await client.fetch("/a");
    const res = await client.fetch("/b", {}).catch((e: unknown) => e);
    expect(res).toBeInstanceOf(Response);
    const waits = events.filter((e) => e.type === "wait");
    expect(waits[0]).toMatchObject({ reason: "window", ms: 1000 });
    expect(waits.some((e) => e.type === "wait" && e.reason === "gate")).toBe(true);
    expect(events.filter((e) => e.type === "rate-limited")[0]).toMatchObject({
      retryAfterMs: 3000,
      gateMs: 3000,
    });
    clock.autoAdvance(false);
    await client.close();
  });

  it("reports the give-up with the error's name and code, never the key", async () => {
    const events: PacekeeperEvent[] = [];
    const clock = createVirtualClock(0);
    clock.autoAdvance(true);
    const client = createClient({
      baseUrl: "https://api.example.test",
      apiKey: KEY,
      dialect: campone(),
      fetch: scriptedFetch([reset()]),
      clock,
      store: memoryStore(),
      hooks: { giveUp: (e) => events.push(e) },
    });
    await expect(client.fetch("/a", { method: "POST", body: "{}" })).rejects.toThrow();
    expect(events).toEqual([
      expect.objectContaining({
        type: "give-up",
        attempts: 1,
        error: expect.objectContaining({ name: "ConnectionError", code: "connection_failed" }),
      }),
    ]);
    expect(JSON.stringify(events)).not.toContain(KEY);
    clock.autoAdvance(false);
    await client.close();
  });

  it("publishes the same events on diagnostics_channel", async () => {
    const seen: unknown[] = [];
    const listener = (message: unknown) => seen.push(message);
    subscribe("pacekeeper:response", listener);
    try {
      const { client, clock } = setup([json(200, {})], undefined);
      await client.fetch("/a");
      clock.autoAdvance(false);
      await client.close();
    } finally {
      unsubscribe("pacekeeper:response", listener);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      type: "response",
      status: 200,
      key: expect.stringMatching(/^key_[0-9a-f]{12}$/),
    });
    expect(JSON.stringify(seen)).not.toContain(KEY);
  });

  it("a hook that throws is reported as a warning and never breaks the call", async () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    const { client, clock } = setup([json(200, { ok: 1 })], {
      response: () => {
        throw new Error("logger down");
      },
    });
    const res = await client.fetch("/a");
    expect(res.status).toBe(200);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("logger down"), "PacekeeperHookWarning");
    clock.autoAdvance(false);
    await client.close();
  });
});
