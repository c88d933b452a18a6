import { describe, expect, it } from "vitest";
import { campone, createClient, type PacerStore, ServerError } from "../../src/index.js";
import { createMockApi } from "../../src/mock/index.js";
import { LocalKeyPacer } from "../../src/pacer/local-key-pacer.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { capturedWarnings } from "../helpers/captured-warnings.js";
import { scriptedClients } from "../helpers/scripted-client.js";
import { json, scriptedFetch } from "../helpers/scripted-fetch.js";

/** The parent's response hook below throws on purpose. */
const warnings = capturedWarnings(["PacekeeperHookWarning"]);

const KEY = "key_live_extend_test_00001";
const { setup, closeAfterTest } = scriptedClients(KEY);

describe("client.extend: the same key", () => {
  it("spends the parent's budget: both clients' requests count against one pacer, whatever the store", async () => {
    const clock = createVirtualClock(1_700_000_000_000);
    clock.autoAdvance(true);
    const api = createMockApi({ dialect: "campone", limit: 3, windowMs: 60_000, clock });
    // A store that makes a new pacer every time it is asked: only the parent can hand its own over.
    const store: PacerStore = { pacerFor: (_id, config) => new LocalKeyPacer(config) };
    const parent = createClient({
      baseUrl: "https://campone.test",
      apiKey: KEY,
      dialect: campone({ limit: 3, windowMs: 60_000 }),
      clock,
      store,
      fetch: (input, init) => api.handle(new Request(input, init)),
    });
    const derived = parent.extend({ headers: { "x-team": "ops" } });
    closeAfterTest(parent, { close: async () => clock.autoAdvance(false) });
    const start = clock.now();

    await parent.get("/sites");
    await parent.get("/sites");
    await derived.get("/sites");
    // The window's three requests are spent, two by each client's hand: neither may send now.
    expect(parent.nextSendAt()).toBeGreaterThanOrEqual(start + 60_000);
    expect(derived.nextSendAt()).toBe(parent.nextSendAt());
    expect(derived.key).toBe(parent.key);

    await derived.get("/sites");
    expect(clock.now()).toBeGreaterThanOrEqual(start + 60_000);
    expect(api.audit().map((row) => row.status)).toEqual([200, 200, 200, 200]);
  });

  it("sends the parent's headers with its own over them, and the key as the parent does", async () => {
    const fetch = scriptedFetch();
    const { client } = setup(fetch, {
      headers: { "x-app": "bookings", "x-env": "prod" },
      userAgent: "app/1",
    });
    const derived = client.extend({ headers: { "X-Env": "staging", "x-trace": "t1" }, userAgent: "app/2" });
    await derived.get("/x");
    await client.get("/x");
    const [mine, theirs] = fetch.seen.map((r) => r.headers);
    expect(mine!.get("x-app")).toBe("bookings");
    expect(mine!.get("x-env")).toBe("staging");
    expect(mine!.get("x-trace")).toBe("t1");
    expect(mine!.get("user-agent")).toBe("app/2");
    expect(mine!.get("authorization")).toBe(`Bearer ${KEY}`);
    expect(theirs!.get("x-env")).toBe("prod");
    expect(theirs!.has("x-trace")).toBe(false);
    expect(theirs!.get("user-agent")).toBe("app/1");
  });

  it("calls the parent's hooks, then its own; the parent's calls only the parent's", async () => {
    const heard: string[] = [];
    const { client } = setup(scriptedFetch(), {
      hooks: {
        request: () => heard.push("parent request"),
        response: () => {
          heard.push("parent response");
          throw new Error("a hook that throws keeps no other from hearing");
        },
      },
    });
    const derived = client.extend({
      hooks: {
        response: () => heard.push("derived response"),
        event: (e) => heard.push(`derived ${e.type}`),
      },
    });
    await derived.get("/x");
    expect(warnings).toContain("PacekeeperHookWarning");
    expect(heard).toEqual([
      "parent request",
      "derived request",
      "parent response",
      "derived response",
      "derived response",
    ]);
    heard.length = 0;
    await client.get("/x");
    expect(heard).toEqual(["parent request", "parent response"]);
  });

  it("has its own retry policy, over the parent's, and its own timeouts", async () => {
    const fetch = scriptedFetch([json(503, {}), json(503, {}), json(200, { ok: true })]);
    const { client } = setup(fetch, { retry: { retries: 2, statuses: [503] } });
    const strict = client.extend({ retry: { retries: 0 } });
    await expect(strict.get("/x")).rejects.toBeInstanceOf(ServerError);
    expect(fetch.seen).toHaveLength(1);
    await expect(client.get("/x")).resolves.toEqual({ ok: true });

    const hanging = Object.assign(
      (_input: string | URL | Request, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) =>
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
        ),
      { seen: [] },
    );
    const slow = setup(hanging, { retry: { retries: 0 } }).client;
    const quick = slow.extend({ timeoutMs: 2_000 });
    await expect(quick.get("/x")).rejects.toMatchObject({ name: "TimeoutError", timeoutMs: 2_000 });
    const bounded = slow.extend({ totalTimeoutMs: 5_000 });
    await expect(bounded.get("/x")).rejects.toMatchObject({ name: "TimeoutError", scope: "total" });
  });
});

describe("client.extend: its options", () => {
  const client = () => setup(scriptedFetch()).client;

  it.each(["baseUrl", "apiKey", "auth", "origins", "dialect", "fetch", "clock", "store"])(
    "refuses to change `%s`, naming it",
    (name) => {
      const extend = () => client().extend({ [name]: undefined } as never);
      expect(extend).toThrow(TypeError);
      expect(extend).toThrow(`\`${name}\` cannot be changed by extend()`);
    },
  );

  it("refuses an unknown option, as createClient does", () => {
    expect(() => client().extend({ timeout: 5 } as never)).toThrow(
      "Unknown option `timeout` in extend() options; expected one of: headers, userAgent, hooks, timeoutMs, totalTimeoutMs, retry",
    );
  });

  it.each([
    { timeoutMs: 0 },
    { totalTimeoutMs: -1 },
    { retry: { retries: 1.5 } },
    { retry: { statuses: [429] } },
    { headers: { "x-a": "1\r\n2" } },
    { headers: { "bad name": "1" } },
    { hooks: { request: "log" } },
    { hooks: { requests: () => {} } },
  ])("refuses %j with createClient's own error", (options) => {
    const base = { baseUrl: "https://api.example.test/", apiKey: KEY, fetch: scriptedFetch() };
    let expected: unknown;
    try {
      createClient({ ...base, ...(options as object) });
    } catch (error) {
      expected = error;
    }
    expect(expected).toBeInstanceOf(Error);
    expect(() => client().extend(options as never)).toThrow(expected as Error);
    expect(() => client().extend(options as never)).toThrow((expected as Error).constructor as typeof Error);
  });

  it("refuses the header the key goes in, as createClient does", () => {
    const { client: keyed } = setup(scriptedFetch(), { auth: { header: "x-api-key" } });
    expect(() => keyed.extend({ headers: { "X-Api-Key": "other" } })).toThrow("it carries the API key");
  });
});

describe("client.extend: closing", () => {
  /** A call that stays in progress: a 429 of an hour, waited out at the key's gate. */
  const waitingFetch = () => scriptedFetch([json(429, {}, { "retry-after": "3600" })]);

  it("a derived client ends its own calls, and those of clients derived from it, not its parent's", async () => {
    const fetch = scriptedFetch([
      json(429, {}, { "retry-after": "3600" }),
      json(429, {}, { "retry-after": "3600" }),
      json(429, {}, { "retry-after": "3600" }),
    ]);
    const { client, clock } = setup(fetch);
    clock.autoAdvance(false);
    const derived = client.extend({ headers: { "x-a": "1" } });
    const grandchild = derived.extend({ headers: { "x-b": "1" } });
    const parentCall = client.get("/x");
    const derivedCall = derived.get("/x");
    const grandchildCall = grandchild.get("/x");
    await clock.advance(1_000);
    await derived.close();
    await expect(derivedCall).rejects.toThrow(/closed/);
    await expect(grandchildCall).rejects.toThrow(/closed/);
    await expect(derived.get("/x")).rejects.toThrow(/closed/);
    await expect(grandchild.get("/x")).rejects.toThrow(/closed/);
    // The parent's call still waits at the gate, and goes through once it opens.
    clock.autoAdvance(true);
    await expect(parentCall).resolves.toEqual({});
    await expect(client.get("/x")).resolves.toEqual({});
  });

  it("closing the parent ends its derived clients' calls, and refuses theirs from then on", async () => {
    const { client, clock } = setup(waitingFetch());
    clock.autoAdvance(false);
    const derived = client.extend({ timeoutMs: 1_000_000 });
    const pending = derived.get("/x");
    await clock.advance(1_000);
    await client.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(derived.get("/x")).rejects.toThrow(/closed/);
    await expect(derived.fetch("/x")).rejects.toThrow(/closed/);
  });
});
