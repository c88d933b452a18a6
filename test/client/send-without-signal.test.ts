import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { campone, createClient, type PacekeeperEvent } from "../../src/index.js";

/**
 * Through the default transport, a call without a caller's signal or total timeout hands `fetch`
 * no AbortSignal (src/client/send.ts): the attempt ends by its own timer, and the agent's
 * `headersTimeout` — or `close()` — frees the request it left behind. Over real loopback HTTP.
 */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
});

/** A server that never answers the first `hold` requests, and answers the rest; it notes each held socket's close. */
async function holdingServer(hold: number) {
  const held = { count: 0, closed: 0 };
  const server = createServer((req, res) => {
    if (held.count < hold) {
      held.count++;
      req.socket.once("close", () => held.closed++);
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end('{"ok":true}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, held };
}

describe("the default transport without a signal, over loopback HTTP", () => {
  it("ends an attempt whose headers never come at timeoutMs, retries it, and the agent frees the held connection", async () => {
    const { url, held } = await holdingServer(1);
    const events: PacekeeperEvent[] = [];
    const client = createClient({
      baseUrl: url,
      apiKey: "key_live_no_signal_1",
      dialect: campone({ limit: 100 }),
      timeoutMs: 300,
      // More than the one retry needed: a loaded machine may stall an answered attempt past 300 ms too.
      retry: { retries: 3 },
      hooks: { event: (e) => events.push(e) },
    });
    try {
      const res = await client.fetch("/x");
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const causes = events.filter((e) => e.type === "retry").map((e) => (e as { cause: string }).cause);
      expect(causes[0]).toBe("timeout");
      // Nobody aborted the first request: the agent's headersTimeout closes its connection.
      await vi.waitFor(() => expect(held.closed).toBe(1), { timeout: 5_000, interval: 50 });
    } finally {
      await client.close();
    }
  });

  it("rejects a call in flight on close() and destroys its connection", async () => {
    const { url, held } = await holdingServer(1);
    const client = createClient({
      baseUrl: url,
      apiKey: "key_live_no_signal_2",
      dialect: campone({ limit: 100 }),
    });
    const pending = client.fetch("/x").catch((e: unknown) => e);
    await vi.waitFor(() => expect(held.count).toBe(1), { timeout: 5_000, interval: 10 });
    await client.close();
    expect(await pending).toMatchObject({ name: "AbortError" });
    await vi.waitFor(() => expect(held.closed).toBe(1), { timeout: 5_000, interval: 10 });
  });
});

describe("what the default transport hands fetch", () => {
  /** The options of every fetch the client makes, through a global fetch that answers at once. */
  function recordingFetch() {
    const inits: Record<string, unknown>[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = (async (_input: unknown, init: Record<string, unknown>) => {
      inits.push(init);
      return new Response("{}", { headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    const restore = () => {
      globalThis.fetch = original;
    };
    return { inits, restore };
  }

  it("only the members that differ from fetch's defaults, and the client's agent as dispatcher", async () => {
    const recording = recordingFetch();
    const client = createClient({
      baseUrl: "http://127.0.0.1:9",
      apiKey: "key_live_init_1",
      dialect: campone({ limit: 100 }),
    });
    try {
      await (await client.fetch("/a")).arrayBuffer();
      await (await client.fetch("/b", { method: "POST", body: '{"x":1}' })).arrayBuffer();
      const signal = new AbortController().signal;
      await (await client.fetch("/c", { signal })).arrayBuffer();
      const [get, post, withSignal] = recording.inits;
      expect(Object.keys(get!).sort()).toEqual(["dispatcher", "headers", "redirect"]);
      expect(get!.redirect).toBe("manual");
      expect((get!.headers as Record<string, string>).authorization).toBe("Bearer key_live_init_1");
      expect(post).toMatchObject({ method: "POST", body: '{"x":1}', redirect: "manual" });
      expect(post).not.toHaveProperty("signal");
      expect(withSignal!.signal).toBeInstanceOf(AbortSignal);
      expect(get!.dispatcher).toBeDefined();
      expect(get!.dispatcher).toBe(post!.dispatcher);
    } finally {
      recording.restore();
      await client.close();
    }
  });
});
