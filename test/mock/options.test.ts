/** Bad options fail at start, with a message that names the option, on every front. */
import { describe, expect, it } from "vitest";
import {
  createMockApi,
  createMockHandlers,
  type MockApiOptions,
  startMockServer,
} from "../../src/mock/index.js";

type Case = [
  description: string,
  options: unknown,
  error: typeof TypeError | typeof RangeError,
  message: string | RegExp,
];

const CASES: Case[] = [
  [
    "no options",
    undefined,
    TypeError,
    "Expected the mock's options to be an object, got `undefined` (undefined)",
  ],
  [
    "no dialect",
    {},
    TypeError,
    'Expected `dialect` to be "campone" or "boothzen", got `undefined` (undefined)',
  ],
  ["an unknown dialect", { dialect: "stripe" }, TypeError, /`dialect`.*`"stripe"` \(string\)/],
  [
    "a zero limit",
    { dialect: "campone", limit: 0 },
    RangeError,
    "Expected `limit` to be an integer from 1 and up, got `0` (number)",
  ],
  [
    "a string limit",
    { dialect: "campone", limit: "10" },
    TypeError,
    'Expected `limit` to be an integer from 1 and up, got `"10"` (string)',
  ],
  [
    "a fractional window",
    { dialect: "boothzen", windowMs: 1.5 },
    RangeError,
    /`windowMs`.*`1\.5` \(number\)/,
  ],
  ["a negative burst", { dialect: "boothzen", burst: -1 }, RangeError, /`burst`.*`-1` \(number\)/],
  [
    "a NaN burst window",
    { dialect: "boothzen", burstWindowMs: Number.NaN },
    RangeError,
    /`burstWindowMs`.*`NaN`/,
  ],
  [
    "a burst on CampOne",
    { dialect: "campone", burst: 10 },
    TypeError,
    /`burst` applies to dialect "boothzen" only/,
  ],
  ["a burst window on CampOne", { dialect: "campone", burstWindowMs: 10 }, TypeError, /`burstWindowMs`/],
  [
    "an unknown counting model",
    { dialect: "campone", counting: "sliding" },
    TypeError,
    /`counting`.*"sliding"/,
  ],
  ["an unknown option", { dialect: "campone", windowMS: 1000 }, TypeError, "Unknown option `windowMS`"],
  ["keys as an array", { dialect: "campone", keys: [] }, TypeError, /`keys`.*\(array\)/],
  [
    "a key that is not a token",
    { dialect: "campone", keys: { "two words": {} } },
    TypeError,
    /`keys`.*"two words"/,
  ],
  [
    "a key with a bad limit",
    { dialect: "campone", keys: { key_a: { limit: 0 } } },
    RangeError,
    /`keys\["key_a"\]\.limit`.*`0`/,
  ],
  [
    "a key with an empty tenant",
    { dialect: "campone", keys: { key_a: { tenant: "" } } },
    TypeError,
    /`keys\["key_a"\]\.tenant`/,
  ],
  [
    "a key with an unknown option",
    { dialect: "campone", keys: { key_a: { quota: 5 } } },
    TypeError,
    /`keys\["key_a"\]\.quota`/,
  ],
  [
    "a key with a burst on CampOne",
    { dialect: "campone", keys: { key_a: { burst: 5 } } },
    TypeError,
    /`keys\["key_a"\]\.burst`/,
  ],
  ["a clock without now()", { dialect: "campone", clock: { time: () => 0 } }, TypeError, /`clock`/],
  [
    "a limit × window too large to count exactly",
    { dialect: "campone", limit: 2 ** 40, windowMs: 2 ** 20 },
    RangeError,
    /`limit` × `windowMs`/,
  ],
];

describe("mock options", () => {
  it.each(CASES)("createMockApi refuses %s", (_, options, error, message) => {
    expect(() => createMockApi(options as MockApiOptions)).toThrow(error);
    expect(() => createMockApi(options as MockApiOptions)).toThrow(message);
  });

  it.each(CASES)("startMockServer refuses %s", async (_, options, error, message) => {
    const started = startMockServer(options as MockApiOptions);
    await expect(started).rejects.toThrow(error);
    await expect(startMockServer(options as MockApiOptions)).rejects.toThrow(message);
  });

  it.each(CASES.filter(([, options]) => options !== undefined))(
    "createMockHandlers refuses %s",
    (_, options, error, message) => {
      const withBase = { ...(options as object), baseUrl: "https://api.test" } as MockApiOptions & {
        baseUrl: string;
      };
      expect(() => createMockHandlers(withBase)).toThrow(error);
      expect(() => createMockHandlers(withBase)).toThrow(message);
    },
  );

  it.each([
    [-1, RangeError],
    [65_536, RangeError],
    [80.5, RangeError],
    ["4010", TypeError],
  ] as const)("startMockServer refuses port %s", async (port, error) => {
    const started = startMockServer({ dialect: "campone", port: port as number });
    await expect(started).rejects.toThrow(error);
    await expect(startMockServer({ dialect: "campone", port: port as number })).rejects.toThrow(/`port`/);
  });

  it.each([
    undefined,
    "not a url",
    "ftp://api.test",
    "https://api.test/?v=1",
    "https://api.test/#x",
    "/relative",
  ])("createMockHandlers refuses baseUrl %s", (baseUrl) => {
    expect(() => createMockHandlers({ dialect: "campone", baseUrl: baseUrl as string })).toThrow(TypeError);
    expect(() => createMockHandlers({ dialect: "campone", baseUrl: baseUrl as string })).toThrow(/`baseUrl`/);
  });

  it("startMockServer refuses options of the other fronts", async () => {
    await expect(
      startMockServer({ dialect: "campone", baseUrl: "https://x.test" } as MockApiOptions),
    ).rejects.toThrow("Unknown option `baseUrl`");
  });

  it("fills in each document's defaults", async () => {
    const campone = createMockApi({ dialect: "campone", clock: { now: () => 0 } });
    const boothzen = createMockApi({ dialect: "boothzen", clock: { now: () => 0 } });
    const auth = { authorization: "Bearer k" };
    const camponeResponse = await campone.handle(new Request("http://x/sites", { headers: auth }));
    expect(camponeResponse.status).toBe(200);
    const response = await boothzen.handle(new Request("http://x/api/v1/bookings", { headers: auth }));
    expect(response.headers.get("ratelimit-limit")).toBe("600");
    expect(response.headers.get("ratelimit-reset")).toBe("60");
  });
});
