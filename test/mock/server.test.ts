/** What the node:http front adds: the URL, the admin route, body handling, closing. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import { body } from "../helpers/mock-body.js";
import { manualClock } from "../helpers/mock-clock.js";

const servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: Parameters<typeof startMockServer>[0]): Promise<MockServer> {
  const server = await startMockServer(options);
  servers.push(server);
  return server;
}

const auth = { authorization: "Bearer key_live_a" };

describe("startMockServer", () => {
  it("listens on 127.0.0.1 and names its URL and port", async () => {
    const server = await start({ dialect: "campone", port: 0 });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect(server.dialect).toBe("campone");
    expect((await fetch(`${server.url}/sites`, { headers: auth })).status).toBe(200);
  });

  it("serves GET /__admin/audit, never counted and never audited", async () => {
    const clock = manualClock(0);
    const server = await start({
      dialect: "campone",
      clock,
      keys: { key_live_a: { tenant: "acme", limit: 1 } },
    });
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${server.url}/__admin/audit`, { headers: auth });
      expect(response.status).toBe(200);
      expect(await body(response)).toEqual([]);
    }
    expect((await fetch(`${server.url}/sites`, { headers: auth })).status).toBe(200);
    const audit = await body(await fetch(`${server.url}/__admin/audit?tenant=acme`));
    expect(audit).toEqual([
      {
        tenant: "acme",
        key: "key_live_a",
        method: "GET",
        path: "/sites",
        status: 200,
        latencyMs: 0,
        timestamp: 0,
      },
    ]);
    expect(await body(await fetch(`${server.url}/__admin/audit?tenant=other`))).toEqual([]);
    expect(server.audit()).toEqual(audit);
  });

  it("POST /__admin/reset forgets counters and the audit log", async () => {
    const clock = manualClock(0);
    const server = await start({ dialect: "boothzen", clock, limit: 1 });
    expect((await fetch(`${server.url}/api/v1/bookings`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/bookings`, { headers: auth })).status).toBe(429);
    expect((await fetch(`${server.url}/__admin/reset`, { method: "POST" })).status).toBe(204);
    expect(server.audit()).toEqual([]);
    expect((await fetch(`${server.url}/api/v1/bookings`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${server.url}/__admin/nothing`)).status).toBe(404);
  });

  it("refuses a body over 1 MiB with 413 in the dialect's shape", async () => {
    const server = await start({ dialect: "boothzen" });
    const response = await fetch(`${server.url}/api/v1/bookings`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: `{"customer_name": "${"x".repeat(1_100_000)}"}`,
    });
    expect(response.status).toBe(413);
    expect((await body(response)).error).toMatchObject({ code: "body_too_large" });
  });

  it("answers HEAD without a body and serves concurrent requests", async () => {
    const server = await start({ dialect: "campone" });
    const head = await fetch(`${server.url}/sites`, { method: "HEAD", headers: auth });
    expect(head.status).toBe(405);
    expect(await head.text()).toBe("");
    const statuses = await Promise.all(
      Array.from(
        { length: 40 },
        async () => (await fetch(`${server.url}/customers`, { headers: auth })).status,
      ),
    );
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it("close() resolves, is idempotent, and the port is free afterwards", async () => {
    const server = await startMockServer({ dialect: "campone" });
    await (await fetch(`${server.url}/sites`, { headers: auth })).text(); // a kept-alive connection
    await Promise.all([server.close(), server.close()]);
    await server.close();
    await expect(fetch(`${server.url}/sites`, { headers: auth })).rejects.toThrow();
    const again = await start({ dialect: "campone", port: server.port });
    expect(again.port).toBe(server.port);
  });

  it("rejects when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      await expect(startMockServer({ dialect: "campone", port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
