/**
 * Soak: 10 000 mixed calls — GETs, POSTs with and without an idempotency key, through
 * `client.request` and `client.fetch` — at concurrency 64 over real loopback HTTP, through a BoothZen
 * mock that gives 5 % of requests a fault. Every call ends in a result or a typed error; no POST
 * without an idempotency key is sent again once it may have reached the server (the mock's audit
 * log says so); nothing is rejected unhandled; after `close()` no timer or socket is left, and a
 * process that ran a soak exits by itself.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { boothzen, createClient, isRateLimitError, memoryStore } from "../../src/index.js";
import { MOCK_FAULTS, type MockFault, startMockServer } from "../../src/mock/index.js";
import { rowsByTrace, runSoak, SOAK_FAULTS, unsafeResends } from "../helpers/fault-soak.js";

/** Handles that would keep a process alive, by type. */
function liveHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Handles of `after` beyond those of `before`, for the types a client or a mock could leave behind. */
function extraHandles(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const type of ["Timeout", "TCPSocketWrap", "TCPServerWrap", "Immediate"]) {
    const more = (after.get(type) ?? 0) - (before.get(type) ?? 0);
    if (more > 0) extra[type] = more;
  }
  return extra;
}

/** What a GET and an unkeyed POST end in when their first attempt meets `fault` (then no more faults). */
const EACH_FAULT: Record<MockFault, { get: string; post: string }> = {
  "reset-before": { get: "value after 2 attempts", post: "ConnectionError after 1 attempt" },
  "reset-after": { get: "value after 2 attempts", post: "ConnectionError after 1 attempt" },
  "500": { get: "value after 2 attempts", post: "ServerError after 1 attempt" },
  "502": { get: "value after 2 attempts", post: "ServerError after 1 attempt" },
  "503": { get: "value after 2 attempts", post: "ServerError after 1 attempt" },
  "500-retry-after": { get: "value after 2 attempts", post: "ServerError after 1 attempt" },
  "502-retry-after": { get: "value after 2 attempts", post: "ServerError after 1 attempt" },
  "503-retry-after": { get: "value after 2 attempts", post: "ServerError after 1 attempt" },
  "503-retry-after-0": { get: "value after 2 attempts", post: "ServerError after 1 attempt" },
  // A day's wait does not fit the call's deadline: the call ends now, with the 503.
  "503-retry-after-86400": { get: "ServerError after 1 attempt", post: "ServerError after 1 attempt" },
  // A 429 was not processed: even an unkeyed POST is sent again.
  "429-retry-after-0": { get: "value after 2 attempts", post: "value after 2 attempts" },
  "429-retry-after-86400": { get: "RateLimitError after 1 attempt", post: "RateLimitError after 1 attempt" },
  "slow-headers": { get: "value after 1 attempt", post: "value after 1 attempt" },
  "slow-body": { get: "value after 1 attempt", post: "value after 1 attempt" },
  // The body was cut short after the response began: a typed error, not retried.
  "truncated-body": { get: "ConnectionError after 1 attempt", post: "ConnectionError after 1 attempt" },
  "header-negative": { get: "value after 1 attempt", post: "value after 1 attempt" },
  "header-nan": { get: "value after 1 attempt", post: "value after 1 attempt" },
  "header-huge": { get: "value after 1 attempt", post: "value after 1 attempt" },
  "header-past-date": { get: "value after 1 attempt", post: "value after 1 attempt" },
  "header-future-date": { get: "value after 1 attempt", post: "value after 1 attempt" },
  "header-duplicated": { get: "value after 1 attempt", post: "value after 1 attempt" },
  "header-comma-list": { get: "value after 1 attempt", post: "value after 1 attempt" },
  "non-json-error": { get: "value after 2 attempts", post: "ServerError after 1 attempt" },
  "oversized-error": { get: "value after 2 attempts", post: "ServerError after 1 attempt" },
};

describe.each([
  // With a total timeout the default transport hands fetch the call's signal; without one it hands
  // it none, and an attempt ends by its own timer while the agent frees the request (src/client/send.ts).
  // Without a deadline, a day-long Retry-After is waited for a day, as it should: those two faults
  // are left out there.
  ["with totalTimeoutMs: the call's signal on fetch", { totalTimeoutMs: 120_000 }, MOCK_FAULTS],
  ["without: no signal on fetch", {}, MOCK_FAULTS.filter((fault) => !fault.endsWith("-86400"))],
])("each fault, once, through the client over loopback HTTP, %s", (_, callOptions, faults) => {
  it("ends a GET and an unkeyed POST as the table says, the POST never resent unless the server refused it", async () => {
    expect(Object.keys(EACH_FAULT).sort()).toEqual([...MOCK_FAULTS].sort());
    const outcomes = await Promise.all(
      faults.flatMap((fault) =>
        (["get", "post"] as const).map(async (method) => {
          const server = await startMockServer({
            dialect: "boothzen",
            faults: { script: [fault], delayMs: 5 },
          });
          const client = createClient({
            baseUrl: server.url,
            apiKey: "key_live_each_fault",
            dialect: boothzen({ backoff: { baseMs: 5, capMs: 50, retryAfterJitterMs: 5 } }),
            store: memoryStore(),
            ...callOptions,
          });
          const post = method === "post";
          let outcome: string;
          try {
            await client.request({
              method: post ? "POST" : "GET",
              path: "/api/v1/bookings",
              ...(post
                ? {
                    body: {
                      booth_id: "booth_001",
                      customer_name: "Each fault",
                      starts_at: "2026-06-01T10:00:00Z",
                      ends_at: "2026-06-01T12:00:00Z",
                    },
                  }
                : { query: { page_size: 1 } }),
            });
            outcome = "value";
          } catch (error) {
            outcome = (error as Error).name;
            if (isRateLimitError(error)) expect(error.decidedLocally).toBe(true);
          } finally {
            await client.close();
            await server.close();
          }
          const attempts = server.audit().length;
          return [`${fault} ${method}`, `${outcome} after ${attempts} attempt${attempts === 1 ? "" : "s"}`];
        }),
      ),
    );
    const expected = faults.flatMap((fault) => [
      [`${fault} get`, EACH_FAULT[fault].get],
      [`${fault} post`, EACH_FAULT[fault].post],
    ]);
    expect(Object.fromEntries(outcomes)).toEqual(Object.fromEntries(expected));
  }, 60_000);
});

describe("soak: 10 000 calls at concurrency 64 through 5 % faults over loopback HTTP", () => {
  it("ends every call in a result or a typed error, never resends an unkeyed POST that may have been processed, and leaves nothing behind", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const before = liveHandles();
    let report: Awaited<ReturnType<typeof runSoak>>;
    try {
      report = await runSoak({ calls: 10_000, concurrency: 64, faultRate: 0.05, seed: 2026 });
      // Closing sockets go away within a few turns of the loop; nothing may stay.
      let extra = extraHandles(before, liveHandles());
      for (let turn = 0; turn < 200 && Object.keys(extra).length > 0; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        extra = extraHandles(before, liveHandles());
      }
      expect(extra).toEqual({});
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    const { calls, audit } = report;

    // Every call ended, in a result or a typed error.
    expect(calls.filter((call) => call !== undefined)).toHaveLength(10_000);
    expect(calls.filter((call) => call.outcome === "untyped").map((call) => call.detail)).toEqual([]);
    expect(unhandled).toEqual([]);

    // No unkeyed POST was sent again after an attempt that may have reached the server.
    expect(unsafeResends(report)).toEqual([]);
    // ...and none was processed twice.
    const byTrace = rowsByTrace(audit);
    for (const call of calls) {
      if (call.kind !== "post-unkeyed") continue;
      const processed = (byTrace.get(call.traceId) ?? []).filter(
        (row) => row.processed && row.status === 201,
      );
      expect(processed.length).toBeLessThanOrEqual(1);
    }

    // The soak soaked: every fault happened, and both kinds of retry were used.
    const faults = new Set(audit.map((row) => row.fault).filter((fault) => fault !== null));
    expect([...faults].sort()).toEqual([...SOAK_FAULTS].sort());
    const faulted = audit.filter((row) => row.fault !== null).length;
    expect(faulted / audit.length).toBeGreaterThan(0.03);
    expect(faulted / audit.length).toBeLessThan(0.07);
    const resent = (kind: string) =>
      calls.filter((call) => call.kind === kind && (byTrace.get(call.traceId)?.length ?? 0) > 1).length;
    expect(resent("get-list") + resent("get-one")).toBeGreaterThan(0);
    expect(resent("post-keyed")).toBeGreaterThan(0);
    expect(report.events.get("retry")).toBeGreaterThan(0);
    expect(report.events.get("give-up")).toBeGreaterThan(0);
    // Every call but those refused locally reached the mock.
    const reached = calls.filter((call) => byTrace.has(call.traceId)).length;
    const refusedLocally = calls.filter((call) => /decided locally/.test(call.detail)).length;
    expect(reached + refusedLocally).toBe(10_000);
  }, 180_000);

  it("a process that ran a soak and closed exits by itself: no timer, no socket keeps it alive", async () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/fault-soak-child.ts", "1000"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Once the child says it closed, it has this long to exit; a leaked keep-alive socket (10 s)
    // or attempt timer (60 s) would hold it far longer.
    let lingered: NodeJS.Timeout | undefined;
    const exit = new Promise<number | null>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (lingered === undefined && stdout.includes("closed\n")) {
          lingered = setTimeout(() => {
            child.kill("SIGKILL");
            resolve(-1);
          }, 8_000);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(lingered);
        resolve(code);
      });
    });
    const code = await exit;
    expect({ code, stderr: stderr.replace(/npm warn.*\n/g, "") }).toEqual({ code: 0, stderr: "" });
    const summary = JSON.parse(stdout.split("\n")[0]!);
    expect(summary).toMatchObject({ calls: 1000, untyped: [], unsafeResends: 0, unhandled: [] });
    expect(summary.faults).toBeGreaterThan(0);
  }, 120_000);
});
