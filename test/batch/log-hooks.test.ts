import { afterEach, describe, expect, it } from "vitest";
import { createLogHooks, keyFingerprint, type LogRecord } from "../../src/batch/index.js";
import { LOG_LEVELS, toLogRecord } from "../../src/batch/log-hooks.js";
import {
  campone,
  createClient,
  isConnectionError,
  isNotFoundError,
  memoryStore,
  type PacekeeperEvent,
} from "../../src/index.js";
import { createMockApi } from "../../src/mock/index.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { simulatedTransport } from "../helpers/simulated-transport.js";

const KEY = "key_live_logging_s3cr3t_0001";
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

/** A pino-shaped fake: each level method records (fields, msg). */
function fakeLogger() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (fields: object, msg: string) =>
    lines.push({ level, fields: fields as Record<string, unknown>, msg });
  return {
    lines,
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}

/**
 * A real client against the CampOne mock whose operator gave the key 2 requests per window while
 * the client was told 3: a 429, a gate wait, a retry; then a 404, and a host that cannot be reached.
 */
async function runTraffic(hooks: ReturnType<typeof createLogHooks>, records: LogRecord[]) {
  const clock = createVirtualClock(1_700_000_000_000);
  const api = createMockApi({ dialect: "campone", limit: 2, windowMs: 10_000, clock });
  const client = createClient({
    baseUrl: "http://campone.test",
    apiKey: KEY,
    dialect: campone({ limit: 3, windowMs: 10_000, backoff: { retryAfterJitterMs: 0 } }),
    fetch: (input, init) =>
      String(input).includes("/unreachable")
        ? Promise.reject(new TypeError("fetch failed"))
        : simulatedTransport(api, clock, () => 10)(input, init),
    clock,
    store: memoryStore(),
    hooks: {
      event: (e: PacekeeperEvent) => {
        records.push(toLogRecord(e));
        hooks.event?.(e);
      },
    },
  });
  cleanup.push(
    () => client.close(),
    () => clock.autoAdvance(false),
  );
  clock.autoAdvance(true);
  for (let i = 1; i <= 3; i++) await client.request({ path: `/bookings/${i}`, query: { api_key: KEY } });
  await expect(client.request({ path: "/bookings/999999" })).rejects.toSatisfy(isNotFoundError);
  await expect(client.request({ path: "/unreachable" })).rejects.toSatisfy(isConnectionError);
}

describe("log hooks", () => {
  it("log every event through a pino-style logger, the key only as its fingerprint", async () => {
    const logger = fakeLogger();
    const records: LogRecord[] = [];
    await runTraffic(createLogHooks(logger), records);

    const types = records.map((r) => r.event);
    for (const type of ["request", "response", "rate-limited", "wait", "retry", "give-up"])
      expect(types).toContain(type);
    expect(logger.lines).toHaveLength(records.length);

    // Neither the records nor what reached the logger hold the key, even where the caller put it in the query.
    const everything = JSON.stringify({ records, lines: logger.lines });
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain("s3cr3t");
    for (const record of records) expect(record.key).toBe(keyFingerprint(KEY));

    // pino's shape: the logger adds level and time itself, so the fields leave them out.
    for (const line of logger.lines) {
      expect(line.fields).not.toHaveProperty("level");
      expect(line.fields).not.toHaveProperty("time");
      expect(line.fields).not.toHaveProperty("msg");
      expect(typeof line.msg).toBe("string");
    }
    const levelOf = (type: string) => logger.lines.filter((l) => l.fields.event === type).map((l) => l.level);
    expect(new Set(levelOf("request"))).toEqual(new Set(["debug"]));
    expect(new Set(levelOf("rate-limited"))).toEqual(new Set(["warn"]));
    expect(new Set(levelOf("give-up"))).toEqual(new Set(["error"]));
    expect(levelOf("wait")).toContain("info"); // the gate after the 429
    const statuses = logger.lines
      .filter((l) => l.fields.event === "response")
      .map((l) => [l.fields.status, l.level]);
    expect(statuses).toEqual([
      [200, "debug"],
      [200, "debug"],
      [429, "warn"],
      [200, "debug"],
      [404, "debug"],
    ]);
  });

  it("toLogRecord gives pino's numeric level, the event's time, a message and the event's own fields", () => {
    const base = {
      key: "key_0123456789ab",
      dialect: "boothzen",
      method: "GET",
      url: "http://api.test/api/v1/bookings",
      at: 1_000,
    };
    const rateLimited: PacekeeperEvent = {
      type: "rate-limited",
      attempt: 2,
      retryAfterMs: 14_000,
      gateMs: 14_250,
      gateReason: "retry-after",
      ...base,
    };
    expect(toLogRecord(rateLimited)).toEqual({
      level: 40,
      time: 1_000,
      msg: "GET http://api.test/api/v1/bookings: 429, the key waits 14.3s (retry-after)",
      event: "rate-limited",
      key: "key_0123456789ab",
      dialect: "boothzen",
      method: "GET",
      url: "http://api.test/api/v1/bookings",
      attempt: 2,
      status: 429,
      retryAfterMs: 14_000,
      gateMs: 14_250,
      gateReason: "retry-after",
    });
    const response = toLogRecord({
      type: "response",
      attempt: 1,
      status: 200,
      latencyMs: 12.4,
      counted: true,
      rateLimit: { limit: 600, remaining: 597, resetMs: 41_000, policies: [], source: "ietf-06" },
      ...base,
    });
    expect(response).toMatchObject({
      level: LOG_LEVELS.debug,
      status: 200,
      latencyMs: 12,
      rateLimit: { limit: 600, remaining: 597, resetMs: 41_000 },
    });
    expect(toLogRecord({ type: "wait", reason: "budget", ms: 1_500, ...base })).toMatchObject({
      level: LOG_LEVELS.info,
      reason: "budget",
      waitMs: 1_500,
      msg: expect.stringContaining("waits 1.5s (budget)"),
    });
    expect(
      toLogRecord({
        type: "response",
        attempt: 1,
        status: 503,
        latencyMs: 1,
        counted: true,
        rateLimit: undefined,
        ...base,
      }).level,
    ).toBe(40);
    expect(
      toLogRecord({
        type: "give-up",
        attempts: 3,
        error: { name: "ServerError", code: "server_error", message: "503" },
        ...base,
      }),
    ).toMatchObject({
      level: 50,
      attempts: 3,
      err: { type: "ServerError", code: "server_error", message: "503" },
    });
  });

  it("a wait of a second or more is logged at info, a shorter one at debug, a gate always at info", () => {
    const base = { key: "key_0123456789ab", dialect: "campone", method: "GET", url: "http://x.test/", at: 0 };
    const level = (reason: "window" | "budget" | "probe" | "gate", ms: number | undefined) =>
      toLogRecord({ type: "wait", reason, ms, ...base }).level;
    expect(level("window", 999)).toBe(LOG_LEVELS.debug);
    expect(level("window", 1_000)).toBe(LOG_LEVELS.info);
    expect(level("budget", 42_000)).toBe(LOG_LEVELS.info);
    expect(level("probe", undefined)).toBe(LOG_LEVELS.debug); // unknown length: behind a probe's answer
    expect(level("gate", 5)).toBe(LOG_LEVELS.info);
    expect(level("window", 0)).toBe(LOG_LEVELS.debug);
  });

  it("levels can be overridden per event type; trace falls back to debug on a logger without it", () => {
    const lines: string[] = [];
    const logger = {
      debug: (_: object, msg: string) => lines.push(`debug ${msg}`),
      info: (_: object, msg: string) => lines.push(`info ${msg}`),
      warn: (_: object, msg: string) => lines.push(`warn ${msg}`),
      error: (_: object, msg: string) => lines.push(`error ${msg}`),
    };
    const hooks = createLogHooks(logger, { levels: { request: "info", wait: "trace" } });
    const base = {
      key: "key_0123456789ab",
      dialect: "campone",
      method: "GET",
      url: "http://x.test/sites",
      at: 0,
    };
    hooks.event?.({ type: "request", attempt: 1, ...base });
    hooks.event?.({ type: "wait", reason: "window", ms: 5, ...base });
    expect(lines).toEqual([
      "info GET http://x.test/sites: sent (attempt 1)",
      "debug GET http://x.test/sites: waits 5ms (window)",
    ]);
    expect(() => createLogHooks({ info: () => {} } as never)).toThrow(/`logger.debug` to be a function/);
    expect(() => createLogHooks(logger, { levels: { request: "loud" as never } })).toThrow(/pino level name/);
  });
});
