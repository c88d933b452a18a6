import { afterEach, describe, expect, it } from "vitest";
import {
  type ClientOptions,
  createClient,
  github,
  isPermissionError,
  isRateLimitError,
  memoryStore,
  openai,
} from "../../src/index.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { json, scriptedFetch } from "../helpers/scripted-fetch.js";

const T0 = 1_700_000_000_000;
const T0_S = T0 / 1000;

const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

function setup(fetch: ReturnType<typeof scriptedFetch>, options: Partial<ClientOptions>) {
  const clock = createVirtualClock(T0);
  clock.autoAdvance(true);
  const client = createClient({
    baseUrl: "https://api.example.test",
    apiKey: "ghp_test_0001",
    fetch,
    clock,
    store: memoryStore(),
    ...options,
  });
  closers.push(client, { close: async () => clock.autoAdvance(false) });
  return { client, clock };
}

/** GitHub's headers, as docs.github.com shows them. */
function gh(resource: string, remaining: number, resetInS: number, limit = 5000) {
  return {
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-used": String(limit - remaining),
    "x-ratelimit-reset": String(T0_S + resetInS),
    "x-ratelimit-resource": resource,
  };
}

describe("github()", () => {
  it("paces each resource apart: a spent search bucket holds search requests, not core ones", async () => {
    const fetch = scriptedFetch([
      json(200, {}, gh("core", 4999, 3600)),
      json(200, {}, gh("search", 0, 42, 30)),
      json(200, {}, gh("core", 4998, 3600)),
      json(200, {}, gh("search", 29, 60, 30)),
    ]);
    const { client, clock } = setup(fetch, { dialect: github() });
    await client.fetch("/repos/octo/hello");
    await client.fetch("/search/issues?q=bug");
    // Core has 4,998 left: the next core request goes at once, whatever search says.
    await client.fetch("/users/octo");
    expect(clock.now()).toBe(T0);
    // Search is spent for 42 s: its next request waits for the reset.
    await client.fetch("/search/issues?q=feature");
    expect(clock.now()).toBeGreaterThanOrEqual(T0 + 41_000);
    expect(clock.now()).toBeLessThanOrEqual(T0 + 42_000);
  });

  it("reads a 403 with x-ratelimit-remaining: 0 as a rate limit: the retry waits for the reset", async () => {
    const fetch = scriptedFetch([
      json(200, {}, gh("core", 1, 5)),
      json(403, { message: "API rate limit exceeded for user ID 1." }, gh("core", 0, 5)),
      json(200, {}, gh("core", 4999, 3600)),
    ]);
    const { client, clock } = setup(fetch, { dialect: github({ backoff: { retryAfterJitterMs: 0 } }) });
    await client.fetch("/repos/octo/hello");
    const res = await client.fetch("/repos/octo/hello");
    expect(res.status).toBe(200);
    expect(fetch.seen).toHaveLength(3);
    // Not 12 ms later: the reset, 5 s away, is waited for.
    expect(clock.now()).toBeGreaterThanOrEqual(T0 + 4_000);
  });

  it("reads a 403 with retry-after as a secondary limit, and a plain 403 as a permission error", async () => {
    const fetch = scriptedFetch([
      json(
        403,
        { message: "You have exceeded a secondary rate limit." },
        { ...gh("core", 4000, 3000), "retry-after": "30" },
      ),
      json(403, { message: "Resource not accessible by integration" }, gh("core", 3999, 3000)),
    ]);
    const { client, clock } = setup(fetch, {
      dialect: github({ backoff: { retryAfterJitterMs: 0 } }),
      retry: { rateLimitRetries: 0 },
    });
    const limited = await client.request({ path: "/repos/octo/hello" }).catch((e: unknown) => e);
    expect(isRateLimitError(limited)).toBe(true);
    expect((limited as { status: number }).status).toBe(403);
    await clock.sleep(30_000);
    const denied = await client.request({ path: "/repos/octo/private" }).catch((e: unknown) => e);
    expect(isPermissionError(denied)).toBe(true);
  });

  it("does not count a 304 or GET /rate_limit, and is not misled by their unchanged remaining", async () => {
    const fetch = scriptedFetch([
      json(200, {}, gh("core", 2, 3600)),
      new Response(null, { status: 304, headers: gh("core", 2, 3600) }),
      json(200, {}, gh("core", 2, 3600)),
      json(200, {}, gh("core", 1, 3600)),
      json(200, {}, gh("core", 0, 3600)),
    ]);
    const { client, clock } = setup(fetch, { dialect: github() });
    await client.fetch("/repos/a/b");
    await client.fetch("/repos/a/b", { headers: { "if-none-match": '"etag"' } });
    await client.fetch("/rate_limit");
    await client.fetch("/repos/a/c");
    await client.fetch("/repos/a/d");
    expect(clock.now()).toBe(T0);
    // Nothing refills: the bucket is spent until its reset an hour away.
    expect(client.nextSendAt()).toBeGreaterThanOrEqual(T0 + 3_599_000);
  });
});

describe("openai()", () => {
  /** OpenAI's headers, as its rate-limit guide shows them. */
  const oa = (requests: number, tokens: number, resetTokens = "6m0s") => ({
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": String(requests),
    "x-ratelimit-reset-requests": "1s",
    "x-ratelimit-limit-tokens": "150000",
    "x-ratelimit-remaining-tokens": String(tokens),
    "x-ratelimit-reset-tokens": resetTokens,
  });

  it("waits a 429's retry-after-ms to the millisecond", async () => {
    const fetch = scriptedFetch([
      json(
        429,
        { error: { message: "Rate limit reached", type: "requests" } },
        { ...oa(0, 1000), "retry-after-ms": "1234", "retry-after": "2" },
      ),
      json(200, {}, oa(59, 1000)),
    ]);
    const { client, clock } = setup(fetch, { dialect: openai({ backoff: { retryAfterJitterMs: 0 } }) });
    const res = await client.fetch("/v1/chat/completions", { method: "POST", body: "{}" });
    expect(res.status).toBe(200);
    expect(clock.now()).toBe(T0 + 1234);
  });

  it("holds the key while its tokens are spent, though requests are left", async () => {
    const fetch = scriptedFetch([json(200, {}, oa(59, 0, "20ms")), json(200, {}, oa(58, 149_000))]);
    const { client, clock } = setup(fetch, { dialect: openai() });
    await client.fetch("/v1/embeddings", { method: "POST", body: "{}" });
    await client.fetch("/v1/embeddings", { method: "POST", body: "{}" });
    expect(clock.now()).toBe(T0 + 20);
  });
});
