import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { type CallPromise, NotFoundError, RequestValidationError, ServerError } from "../../src/index.js";
import { capturedWarnings } from "../helpers/captured-warnings.js";
import { scriptedClients } from "../helpers/scripted-client.js";
import { json, scriptedFetch } from "../helpers/scripted-fetch.js";

/** `patch` is sent as given, and undici warns of it: the warning is the test's own doing. */
capturedWarnings(["UNDICI-FETCH-patch"]);

const KEY = "key_live_shortcuts_test_01";
const { setup } = scriptedClients(KEY);

const Booking = z.object({ id: z.string(), nights: z.number() });
type Booking = z.output<typeof Booking>;

describe("client.get, post, put, patch, delete", () => {
  it.each([
    ["get", "GET"],
    ["post", "POST"],
    ["put", "PUT"],
    ["patch", "PATCH"],
    ["delete", "DELETE"],
  ] as const)("client.%s sends %s to the path and resolves with the parsed JSON", async (name, method) => {
    const fetch = scriptedFetch([json(200, { id: "b1", nights: 2 })]);
    const { client } = setup(fetch);
    const result = await client[name]("/bookings/b1", { query: { expand: "site" } });
    expect(result).toEqual({ id: "b1", nights: 2 });
    expect(fetch.seen[0]).toMatchObject({ method, url: "https://api.example.test/bookings/b1?expand=site" });
    expect(fetch.seen[0]!.headers.get("authorization")).toBe(`Bearer ${KEY}`);
  });

  it("sends a body as JSON, with its idempotency key", async () => {
    const fetch = scriptedFetch([json(201, { id: "b2", nights: 3 })]);
    const created = await setup(fetch).client.post("/bookings", {
      body: { site: "s1", nights: 3 },
      idempotencyKey: "create-b2",
      schema: Booking,
    });
    expectTypeOf(created).toEqualTypeOf<Booking>();
    expect(created).toEqual({ id: "b2", nights: 3 });
    expect(fetch.seen[0]!.body).toBe('{"site":"s1","nights":3}');
    expect(fetch.seen[0]!.headers.get("content-type")).toBe("application/json");
    expect(fetch.seen[0]!.headers.get("idempotency-key")).toBe("create-b2");
  });

  it("is typed by its schema, by a type argument, or unknown", async () => {
    const fetch = scriptedFetch([json(200, [{ id: "b1", nights: 1 }]), json(200, {}), json(200, {})]);
    const { client } = setup(fetch);
    const typed = client.get<Booking[]>("/bookings");
    expectTypeOf(typed).toEqualTypeOf<CallPromise<Booking[]>>();
    expect((await typed)[0]!.id).toBe("b1");
    // Typed only, never called: a call nobody awaits would reject unhandled.
    expectTypeOf(() => client.get("/x", { schema: Booking })).returns.toEqualTypeOf<CallPromise<Booking>>();
    expectTypeOf(() => client.delete("/x")).returns.toEqualTypeOf<CallPromise<unknown>>();
    // @ts-expect-error a type argument that contradicts the schema's output
    await client.get<string>("/x", { schema: Booking }).catch(() => undefined);
  });

  it("throws the status's error, as request does", async () => {
    const { client } = setup(scriptedFetch([json(404, { detail: "No such booking" }), json(500, {})]), {
      retry: { retries: 0 },
    });
    await expect(client.get("/bookings/nope")).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.delete("/bookings/b1")).rejects.toBeInstanceOf(ServerError);
  });

  it("refuses options that name a method or a path of their own, before sending", async () => {
    const fetch = scriptedFetch();
    const { client } = setup(fetch);
    const error = await client.get("/x", { method: "POST" } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).part).toBe("options");
    expect((error as Error).message).toContain("`method` is not an option of client.get()");
    await expect(client.post("/x", { path: "/y" } as never)).rejects.toThrow(
      "`path` is not an option of client.post()",
    );
    await expect(client.put("/x", "body" as never)).rejects.toThrow("Expected the options to be an object");
    expect(fetch.seen).toHaveLength(0);
  });

  it("works detached from the client (`const { get } = client`)", async () => {
    const fetch = scriptedFetch([json(200, { ok: true })]);
    const { get } = setup(fetch).client;
    await expect(get("/x")).resolves.toEqual({ ok: true });
  });
});

describe("client.request: the method, in any case, as fetch sends it", () => {
  it.each(["get", "Get", "delete", "head", "options", "post", "put", "patch", "PATCH"])(
    "sends %j as native fetch would",
    async (method) => {
      const fetch = scriptedFetch([new Response(null, { status: 204 })]);
      await setup(fetch).client.request({ method: method as "GET", path: "/x" });
      // What fetch itself (undici) makes of the method: the six of the Fetch standard upper-cased,
      // anything else (`patch` among them) as it is.
      const expected = new Request("https://api.example.test/x", { method }).method;
      expect(fetch.seen[0]!.method ?? "GET").toBe(expected);
      if (method !== "patch") expect(fetch.seen[0]!.method).toBe(method.toUpperCase());
    },
  );

  it("refuses a method that is not a string, null included", async () => {
    const error = await setup(scriptedFetch())
      .client.request({ method: null as never, path: "/x" })
      .catch((e: unknown) => e);
    expect((error as RequestValidationError).part).toBe("method");
    expect((error as Error).message).toContain('got "null"');
  });

  it("names the method, not the path, when the method is wrong", async () => {
    const fetch = scriptedFetch();
    const error = await setup(fetch)
      .client.request({ method: "FETCH" as "GET", path: "/x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).part).toBe("method");
    expect((error as Error).message).toMatch(
      /^Invalid request method at "method": Expected one of GET, HEAD/,
    );
    expect((error as Error).message).toContain('got "FETCH"');
    expect(fetch.seen).toHaveLength(0);
  });

  it.each([
    [{ headers: { a: "1\n2" } }, "headers", 'at "headers.a"'],
    [{ idempotencyKey: "" }, "headers", 'at "idempotencyKey"'],
    [{ signal: "soon" }, "options", 'at "signal"'],
    [
      { totalTimeoutMs: 0 },
      "options",
      "Expected `totalTimeoutMs` to be a finite number above 0, got `0` (number)",
    ],
    [{ query: "page=2" }, "query", 'at "query"'],
    [{ pathh: "/x" }, "options", "Unrecognized key"],
  ])("labels %j by the part it is wrong in", async (options, part, message) => {
    const error = await setup(scriptedFetch())
      .client.request({ path: "/x", ...(options as object) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).part).toBe(part);
    expect((error as Error).message).toContain(message);
  });
});
