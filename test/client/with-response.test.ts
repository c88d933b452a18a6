import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  boothzen,
  NotFoundError,
  type RateLimitSnapshot,
  readRateLimit,
  type WithResponse,
} from "../../src/index.js";
import { scriptedClients } from "../helpers/scripted-client.js";
import { json, scriptedFetch } from "../helpers/scripted-fetch.js";

const KEY = "key_live_with_response_001";
const { setup } = scriptedClients(KEY);

const RATE_LIMIT = { "ratelimit-limit": "600", "ratelimit-remaining": "597", "ratelimit-reset": "41" };
const Booking = z.object({ id: z.string() });

describe(".withResponse()", () => {
  it("gives the data with the final response, its rate-limit snapshot and request id", async () => {
    const fetch = scriptedFetch([
      json(200, { id: "b1" }, { ...RATE_LIMIT, "x-request-id": " req_1 ", etag: '"v1"' }),
    ]);
    const { client, clock } = setup(fetch, { dialect: boothzen() });
    const { data, response, rateLimit, requestId } = await client
      .get("/api/v1/bookings/b1", { schema: Booking })
      .withResponse();
    expectTypeOf(data).toEqualTypeOf<{ id: string }>();
    expectTypeOf(rateLimit).toEqualTypeOf<RateLimitSnapshot | undefined>();
    expect(data).toEqual({ id: "b1" });
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe('"v1"');
    // The body was read to parse it.
    expect(response.bodyUsed).toBe(true);
    expect(rateLimit).toMatchObject({ limit: 600, remaining: 597, resetMs: 41_000 });
    expect(rateLimit).toEqual(readRateLimit(response.headers, clock.now()));
    // Trimmed, as errors carry it.
    expect(requestId).toBe("req_1");
  });

  it("reports the same snapshot and request id an error of the same response carries", async () => {
    const headers = { ...RATE_LIMIT, "x-request-id": "req_2" };
    const { client } = setup(scriptedFetch([json(200, {}, headers), json(404, {}, headers)]), {
      dialect: boothzen(),
    });
    const success = await client.get("/api/v1/a").withResponse();
    const failure = (await client.get("/api/v1/a").catch((e: unknown) => e)) as NotFoundError;
    expect(failure).toBeInstanceOf(NotFoundError);
    expect(success.rateLimit).toEqual(failure.rateLimit);
    expect(success.requestId).toBe(failure.requestId);
  });

  it("has no request id where the server sent none, and undefined data for an empty body", async () => {
    const { client } = setup(scriptedFetch([new Response(null, { status: 204 })]));
    const outcome = await client.delete("/bookings/b1").withResponse();
    expect(outcome).toMatchObject({ data: undefined, requestId: undefined });
    expect(outcome.response.status).toBe(204);
  });

  it("is on every call's promise: request and each shortcut", async () => {
    const fetch = scriptedFetch();
    const { client } = setup(fetch);
    const calls = [
      client.request({ path: "/a" }),
      client.get("/a"),
      client.post("/a"),
      client.put("/a"),
      client.patch("/a"),
      client.delete("/a"),
    ];
    for (const call of calls) expect((await call.withResponse()).response.status).toBe(200);
    expect(fetch.seen.map((r) => r.method)).toEqual(["GET", "GET", "POST", "PUT", "PATCH", "DELETE"]);
  });
});

describe("the promise of a call", () => {
  it("is a promise of the data, sent once however it is read", async () => {
    const fetch = scriptedFetch([json(200, { id: "b1" })]);
    const { client } = setup(fetch);
    const call = client.get("/a", { schema: Booking });
    expect(call).toBeInstanceOf(Promise);
    expect(await call).toEqual({ id: "b1" });
    expect((await call.withResponse()).data).toEqual({ id: "b1" });
    expect((await call.withResponse()).data).toEqual({ id: "b1" });
    await expect(call.then((b) => b.id)).resolves.toBe("b1");
    expect(await Promise.all([call])).toEqual([{ id: "b1" }]);
    expect(fetch.seen).toHaveLength(1);
  });

  it("rejects through then, catch, finally and withResponse alike", async () => {
    const { client } = setup(scriptedFetch([json(404, {})]));
    const call = client.get("/a");
    await expect(call).rejects.toBeInstanceOf(NotFoundError);
    await expect(call.withResponse()).rejects.toBeInstanceOf(NotFoundError);
    await expect(call.catch((e: unknown) => (e as Error).name)).resolves.toBe("NotFoundError");
    let settled = false;
    await expect(
      call.finally(() => {
        settled = true;
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(settled).toBe(true);
  });

  it("types withResponse by the schema or the type argument", () => {
    const { client } = setup(scriptedFetch());
    // Typed only, never called: a call nobody reads would reject unhandled.
    expectTypeOf(() => client.get("/a", { schema: Booking }).withResponse()).returns.resolves.toEqualTypeOf<
      WithResponse<{ id: string }>
    >();
    expectTypeOf(() => client.get<number[]>("/a").withResponse()).returns.resolves.toEqualTypeOf<
      WithResponse<number[]>
    >();
  });
});

describe("unhandled rejections", () => {
  /** What Node reports as unhandled while `run` goes and a few turns after: vitest's own listeners set aside. */
  async function unhandledDuring(run: () => Promise<void>): Promise<unknown[]> {
    const reported: unknown[] = [];
    const theirs = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    const ours = (reason: unknown) => reported.push(reason);
    process.on("unhandledRejection", ours);
    try {
      await run();
      // Node reports a rejection as unhandled once the microtasks after it have run.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("unhandledRejection", ours);
      for (const listener of theirs) process.on("unhandledRejection", listener);
    }
    return reported;
  }

  afterEach(() => {
    expect(process.listenerCount("unhandledRejection")).toBeGreaterThan(0);
  });

  it("reports a call nobody reads once", async () => {
    const { client } = setup(scriptedFetch([json(404, {})]));
    const reported = await unhandledDuring(async () => {
      void client.get("/a");
      await client.get("/b").catch(() => undefined); // the next call's turn: the first one has settled
    });
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(NotFoundError);
  });

  it("reports nothing when only withResponse() is read, and its rejection handled", async () => {
    const { client } = setup(scriptedFetch([json(404, {})]));
    const reported = await unhandledDuring(async () => {
      const error = await client
        .get("/a")
        .withResponse()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
    });
    expect(reported).toEqual([]);
  });

  it("reports nothing when the promise is awaited and its rejection handled", async () => {
    const { client } = setup(scriptedFetch([json(404, {})]));
    const reported = await unhandledDuring(async () => {
      await client.get("/a").catch(() => undefined);
    });
    expect(reported).toEqual([]);
  });
});
