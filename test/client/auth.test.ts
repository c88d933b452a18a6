import { afterEach, describe, expect, it } from "vitest";
import {
  type ClientOptions,
  createClient,
  ietf,
  isRequestValidationError,
  memoryStore,
  type RequestValidationError,
} from "../../src/index.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { json, scriptedFetch } from "../helpers/scripted-fetch.js";

const T0 = 1_700_000_000_000;
const KEY = "sk_test_auth_0001";
const OTHER = "sk_test_auth_0002";

const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

function setup(fetch: ReturnType<typeof scriptedFetch>, options: Partial<ClientOptions> = {}) {
  const clock = createVirtualClock(T0);
  clock.autoAdvance(true);
  const client = createClient({
    baseUrl: "https://api.example.test/v1/",
    apiKey: KEY,
    dialect: ietf({ backoff: { retryAfterJitterMs: 0 } }),
    fetch,
    clock,
    store: memoryStore(),
    ...options,
  });
  closers.push(client, { close: async () => clock.autoAdvance(false) });
  return { client, clock };
}

const budget = (remaining: number, reset = 60) => ({
  "ratelimit-limit": "10",
  "ratelimit-remaining": String(remaining),
  "ratelimit-reset": String(reset),
});

describe("auth: how a request carries its key", () => {
  it("sends Authorization: Bearer by default, and a caller's Authorization never replaces it", async () => {
    const fetch = scriptedFetch();
    const { client } = setup(fetch);
    await client.fetch("/things", { headers: { authorization: "Bearer someone-else" } });
    expect(fetch.seen[0]!.headers.get("authorization")).toBe(`Bearer ${KEY}`);
  });

  it("sends the key in a header of the API's own, with a prefix where asked", async () => {
    const fetch = scriptedFetch();
    const { client } = setup(fetch, { auth: { header: "x-api-key" } });
    await client.fetch("/things", { headers: { authorization: "Basic dXNlcjpwdw==" } });
    expect(fetch.seen[0]!.headers.get("x-api-key")).toBe(KEY);
    // Authorization is the caller's header like any other now.
    expect(fetch.seen[0]!.headers.get("authorization")).toBe("Basic dXNlcjpwdw==");

    const basic = scriptedFetch();
    const { client: b } = setup(basic, { auth: { header: "Authorization", prefix: "Basic " } });
    await b.fetch("/things");
    expect(basic.seen[0]!.headers.get("authorization")).toBe(`Basic ${KEY}`);
  });

  it("sends the key in a query parameter, and keeps it out of errors", async () => {
    const fetch = scriptedFetch([json(404, { message: "no such thing" })]);
    const { client } = setup(fetch, { auth: { query: "api_key" } });
    const res = await client.fetch("/things?page=2");
    expect(res.status).toBe(404);
    const url = new URL(fetch.seen[0]!.url);
    expect(url.searchParams.get("api_key")).toBe(KEY);
    expect(url.searchParams.get("page")).toBe("2");
    expect(fetch.seen[0]!.headers.has("authorization")).toBe(false);
    const error = await client.request({ path: "/things" }).catch((e: unknown) => e);
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(String((error as Error).message)).not.toContain(KEY);
  });

  it("signs every attempt anew, retries included", async () => {
    const fetch = scriptedFetch([json(503, {}), json(200, {})]);
    const signed: number[] = [];
    const { client, clock } = setup(fetch, {
      auth: {
        sign: async (request, apiKey) => {
          signed.push(clock.now());
          return {
            "x-signature": `${apiKey.length}:${request.method}:${new URL(request.url).pathname}:${clock.now()}`,
          };
        },
      },
    });
    const res = await client.fetch("/things");
    expect(res.status).toBe(200);
    expect(fetch.seen).toHaveLength(2);
    expect(signed).toHaveLength(2);
    expect(fetch.seen[0]!.headers.get("x-signature")).toBe(`${KEY.length}:GET:/v1/things:${signed[0]}`);
    expect(fetch.seen[1]!.headers.get("x-signature")).toBe(`${KEY.length}:GET:/v1/things:${signed[1]}`);
    expect(signed[1]).toBeGreaterThan(signed[0]!);
    expect(fetch.seen[0]!.headers.has("authorization")).toBe(false);
  });

  it("ends the call with the signer's error, sending nothing", async () => {
    const fetch = scriptedFetch();
    const failure = new Error("no signing key");
    const { client } = setup(fetch, {
      auth: {
        sign: () => {
          throw failure;
        },
      },
    });
    await expect(client.fetch("/things")).rejects.toBe(failure);
    expect(fetch.seen).toHaveLength(0);
  });

  it("rejects a malformed auth option when the client is made", () => {
    const fetch = scriptedFetch();
    expect(() => setup(fetch, { auth: "basic" as never })).toThrow(TypeError);
    expect(() => setup(fetch, { auth: { header: "bad header" } })).toThrow(/header name/);
    expect(() => setup(fetch, { auth: { header: "x-api-key", query: "k" } as never })).toThrow(TypeError);
    expect(() => setup(fetch, { auth: { sign: "no" as never } })).toThrow(/auth.sign/);
    expect(() => setup(fetch, { auth: { fromRequest: "authorization" } })).toThrow(/no `apiKey`/);
    expect(() => setup(fetch, { headers: { "x-api-key": "k" }, auth: { header: "x-api-key" } })).toThrow(
      /carries the API key/,
    );
  });
});

describe("several keys in one client", () => {
  it("paces a per-request apiKey as a key of its own", async () => {
    // The client's key has nothing left for a minute; the other key has plenty.
    const fetch = scriptedFetch([
      json(200, {}, budget(0)),
      (request) => json(200, { key: request.headers.get("authorization") }, budget(9)),
    ]);
    const { client, clock } = setup(fetch);
    await client.fetch("/things");
    expect(client.nextSendAt()).toBe(T0 + 60_000);
    const res = await client.fetch("/things", { apiKey: OTHER });
    expect(await res.json()).toEqual({ key: `Bearer ${OTHER}` });
    expect(clock.now()).toBe(T0);
    expect(client.nextSendAt(OTHER)).toBe(T0);
    expect(client.nextSendAt()).toBe(T0 + 60_000);
  });

  it("takes a per-request apiKey in client.request too, and refuses a malformed one before sending", async () => {
    const fetch = scriptedFetch([json(200, { ok: true })]);
    const { client } = setup(fetch);
    expect(await client.request({ path: "/things", apiKey: OTHER })).toEqual({ ok: true });
    expect(fetch.seen[0]!.headers.get("authorization")).toBe(`Bearer ${OTHER}`);
    const error = (await client
      .fetch("/things", { apiKey: "bad\nkey" })
      .catch((e: unknown) => e)) as RequestValidationError;
    expect(isRequestValidationError(error)).toBe(true);
    expect(fetch.seen).toHaveLength(1);
  });

  it("with auth: { fromRequest }, sends the SDK's own credential untouched and paces each apart", async () => {
    const fetch = scriptedFetch([json(200, {}, budget(0)), json(200, {}, budget(9))]);
    const { client, clock } = setup(fetch, { apiKey: undefined, auth: { fromRequest: "authorization" } });
    expect(client.key).toBe("");
    await client.fetch("/things", { headers: { Authorization: "Bearer sdk-key-a" } });
    await client.fetch("/things", { headers: { Authorization: "Bearer sdk-key-b" } });
    expect(fetch.seen.map((r) => r.headers.get("authorization"))).toEqual([
      "Bearer sdk-key-a",
      "Bearer sdk-key-b",
    ]);
    // Key a has nothing left: it waits; key b did not.
    expect(clock.now()).toBe(T0);
    expect(client.nextSendAt("Bearer sdk-key-a")).toBe(T0 + 60_000);
    const missing = await client.fetch("/things").catch((e: unknown) => e);
    expect(isRequestValidationError(missing)).toBe(true);
    expect(String((missing as Error).message)).toContain("no credential in `authorization`");
  });
});

describe("origins", () => {
  it("sends the key to the origins allowed, and refuses any other", async () => {
    const fetch = scriptedFetch();
    const { client } = setup(fetch, { origins: ["https://uploads.example.test"] });
    await client.fetch("https://uploads.example.test/v1/assets");
    expect(fetch.seen[0]!.headers.get("authorization")).toBe(`Bearer ${KEY}`);
    const refused = await client.fetch("https://elsewhere.example.test/v1/assets").catch((e: unknown) => e);
    expect(isRequestValidationError(refused)).toBe(true);
    expect(fetch.seen).toHaveLength(1);
    expect(() => setup(fetch, { origins: ["ftp://files.example.test"] })).toThrow(/origins\[0\]/);
  });

  it("follows a redirect to another origin without the key, whatever header or query carries it", async () => {
    const fetch = scriptedFetch([
      new Response(null, {
        status: 302,
        headers: { location: "https://cdn.example.test/file?api_key=echoed" },
      }),
      json(200, {}),
    ]);
    const { client } = setup(fetch, { auth: { query: "api_key" } });
    await client.fetch("/download");
    expect(new URL(fetch.seen[1]!.url).searchParams.has("api_key")).toBe(false);

    const headerFetch = scriptedFetch([
      new Response(null, { status: 302, headers: { location: "https://cdn.example.test/file" } }),
      json(200, {}),
    ]);
    const { client: h } = setup(headerFetch, { auth: { header: "x-api-key" } });
    await h.fetch("/download");
    expect(headerFetch.seen[0]!.headers.get("x-api-key")).toBe(KEY);
    expect(headerFetch.seen[1]!.headers.has("x-api-key")).toBe(false);
  });
});
