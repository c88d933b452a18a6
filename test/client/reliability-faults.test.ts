/**
 * The mocks' fault mode: every fault does what docs/mock-servers.md says on each front, the
 * draw is deterministic under a seed, and the audit log says which fault each request got and whether
 * the API processed it.
 */
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { setupServer } from "msw/node";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMockApi,
  createMockHandlers,
  MOCK_FAULTS,
  type MockFault,
  type MockServer,
  startMockServer,
} from "../../src/mock/index.js";
import { manualClock } from "../helpers/mock-clock.js";

const KEY = "key_live_faults";
const TRACE = "0af7651916cd43dd8448eb211c80319c";
const headers = {
  authorization: `Bearer ${KEY}`,
  "content-type": "application/json",
  traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
};
const booking = {
  booth_id: "booth_001",
  customer_name: "Fault Test",
  starts_at: "2026-05-01T10:00:00Z",
  ends_at: "2026-05-01T12:00:00Z",
};

const servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serverWith(script: (MockFault | null)[], dialect: "campone" | "boothzen" = "boothzen") {
  const server = await startMockServer({ dialect, faults: { script, delayMs: 5 } });
  servers.push(server);
  return server;
}

/** One exchange over node:http, raw: the header lines as sent, the body, or how it failed. */
function raw(
  url: string,
  method = "GET",
  body?: string,
): Promise<{ status?: number; lines: string[]; body: string; failed?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method, headers: { ...headers, connection: "close" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode, lines: res.rawHeaders, body: text }));
      res.on("aborted", () =>
        resolve({ status: res.statusCode, lines: res.rawHeaders, body: text, failed: "body" }),
      );
    });
    req.on("error", (error) => resolve({ lines: [], body: "", failed: error.message }));
    req.end(body);
  });
}

/** The values of one header field, one per line on the wire. */
function values(lines: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) if (lines[i]!.toLowerCase() === name) out.push(lines[i + 1]!);
  return out;
}

describe("fault mode: options", () => {
  it.each([
    [{ faults: 0.05 }, TypeError, /Expected `faults` to be an object, got `0.05` \(number\)/],
    [{ faults: { rate: 1 } }, TypeError, /Unknown option `faults.rate`/],
    [
      { faults: { probabilities: { "504": 0.1 } } },
      TypeError,
      /Unknown fault "504" in `faults.probabilities`/,
    ],
    [
      { faults: { probabilities: { "503": 2 } } },
      RangeError,
      /`faults.probabilities\["503"\]` to be a number from 0 to 1/,
    ],
    [{ faults: { probabilities: { "503": 0.6, "502": 0.6 } } }, RangeError, /add up to at most 1, got 1.2/],
    [
      { faults: { script: ["503", "boom"] } },
      TypeError,
      /Unknown fault `"boom"` \(string\) at `faults.script\[1\]`/,
    ],
    [{ faults: { seed: 1.5 } }, TypeError, /`faults.seed` to be an integer/],
    [{ faults: { delayMs: -1 } }, RangeError, /`faults.delayMs` to be a number from 0/],
  ])("refuses %j, naming the option", (options, Failure, message) => {
    const make = () => createMockApi({ dialect: "campone", ...(options as object) });
    expect(make).toThrow(Failure);
    expect(make).toThrow(message);
  });

  it("lists every fault once", () => {
    expect(new Set(MOCK_FAULTS).size).toBe(MOCK_FAULTS.length);
    expect(MOCK_FAULTS).toContain("reset-before");
    expect(MOCK_FAULTS).toContain("header-comma-list");
  });
});

describe("fault mode: the draw", () => {
  /** The faults the first `n` requests get, as the audit log records them. */
  async function drawn(seed: number, n: number, reset = false): Promise<(string | null | undefined)[]> {
    const api = createMockApi({
      dialect: "campone",
      clock: manualClock(0),
      faults: { seed, probabilities: { "503": 0.2, "502": 0.1, "header-nan": 0.1 } },
    });
    const run = async () => {
      for (let i = 0; i < n; i++) {
        const response = await api.handle(new Request("https://campone.test/sites", { headers }));
        await response.arrayBuffer();
      }
    };
    await run();
    if (reset) {
      api.reset();
      await run();
    }
    return api.audit().map((row) => row.fault);
  }

  it("gives the n-th request the same fault on every run with the same seed, and reset() starts over", async () => {
    const first = await drawn(42, 200);
    expect(await drawn(42, 200)).toEqual(first);
    expect(await drawn(42, 200, true)).toEqual(first);
    expect(await drawn(43, 200)).not.toEqual(first);
    // Roughly the probabilities asked for (40 % in all), and none outside them.
    const faulted = first.filter((fault) => fault !== null);
    expect(faulted.length).toBeGreaterThan(50);
    expect(faulted.length).toBeLessThan(110);
    expect(new Set(faulted)).toEqual(new Set(["503", "502", "header-nan"]));
  });

  it("plays a script first, in order, then the probabilities", async () => {
    const api = createMockApi({
      dialect: "campone",
      faults: { script: ["503", null, "500"], probabilities: { "502": 1 } },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await api.handle(new Request("https://campone.test/sites", { headers }))).status);
    }
    expect(statuses).toEqual([503, 200, 500, 502, 502]);
  });

  it("keeps the document's audit fields exactly outside fault mode", async () => {
    const api = createMockApi({ dialect: "campone", clock: manualClock(5) });
    await api.handle(new Request("https://campone.test/sites", { headers }));
    expect(Object.keys(api.audit()[0]!).sort()).toEqual(
      ["key", "latencyMs", "method", "path", "status", "tenant", "timestamp"].sort(),
    );
  });
});

describe("fault mode over node:http (startMockServer)", () => {
  it("reset-before cuts the connection before the API sees the request: nothing created, audited as not processed", async () => {
    const server = await serverWith(["reset-before", null]);
    const cut = await raw(`${server.url}/api/v1/bookings`, "POST", JSON.stringify(booking));
    expect(cut.failed).toBeDefined();
    expect(cut.status).toBeUndefined();
    const list = await raw(`${server.url}/api/v1/bookings?page_size=1&cursor=bkg_0000002000`);
    expect(JSON.parse(list.body).data).toEqual([]);
    expect(server.audit()[0]).toMatchObject({
      method: "POST",
      path: "/api/v1/bookings",
      status: 0,
      fault: "reset-before",
      processed: false,
      traceId: TRACE,
    });
  });

  it("reset-after cuts the connection after the API processed the request: the booking exists", async () => {
    const server = await serverWith(["reset-after", null]);
    const cut = await raw(`${server.url}/api/v1/bookings`, "POST", JSON.stringify(booking));
    expect(cut.failed).toBeDefined();
    const list = await raw(`${server.url}/api/v1/bookings?page_size=1&cursor=bkg_0000002000`);
    expect(JSON.parse(list.body).data).toHaveLength(1);
    expect(server.audit()[0]).toMatchObject({ status: 201, fault: "reset-after", processed: true });
    expect(server.audit()[1]).toMatchObject({ status: 200, fault: null, processed: true });
  });

  it.each([
    ["500", 500, undefined, "application/json"],
    ["500-retry-after", 500, "1", "application/json"],
    ["502", 502, undefined, "text/html"],
    ["502-retry-after", 502, "1", "text/html"],
    ["503", 503, undefined, "text/plain"],
    ["503-retry-after", 503, "1", "text/plain"],
    ["503-retry-after-0", 503, "0", "text/plain"],
    ["503-retry-after-86400", 503, "86400", "text/plain"],
    ["429-retry-after-0", 429, "0", "application/json"],
    ["429-retry-after-86400", 429, "86400", "application/json"],
  ] as const)(
    "%s answers %i (Retry-After %s) in the API's place",
    async (fault, status, retryAfter, type) => {
      const server = await serverWith([fault]);
      const answer = await raw(`${server.url}/api/v1/bookings`);
      expect(answer.status).toBe(status);
      expect(values(answer.lines, "retry-after")).toEqual(retryAfter === undefined ? [] : [retryAfter]);
      expect(values(answer.lines, "content-type")[0]).toContain(type);
      expect(server.audit()[0]).toMatchObject({ status, fault, processed: false });
    },
  );

  it("answers 429s in the dialect's error shape", async () => {
    const campone = await serverWith(["429-retry-after-86400"], "campone");
    expect(JSON.parse((await raw(`${campone.url}/sites`)).body)).toEqual({
      detail: "Request was throttled. Retry after 86400 seconds.",
    });
    const boothzen = await serverWith(["429-retry-after-0"]);
    expect(JSON.parse((await raw(`${boothzen.url}/api/v1/bookings`)).body).error).toMatchObject({
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
    });
  });

  it("slow-headers and slow-body deliver the whole answer", async () => {
    const server = await serverWith(["slow-headers", "slow-body", null]);
    const slowHeaders = await raw(`${server.url}/api/v1/bookings?page_size=3`);
    const slowBody = await raw(`${server.url}/api/v1/bookings?page_size=3`);
    const normal = await raw(`${server.url}/api/v1/bookings?page_size=3`);
    expect(slowHeaders.status).toBe(200);
    expect(slowBody.status).toBe(200);
    expect(slowHeaders.body).toBe(normal.body);
    expect(slowBody.body).toBe(normal.body);
    expect(server.audit().map((row) => [row.fault, row.processed])).toEqual([
      ["slow-headers", true],
      ["slow-body", true],
      [null, true],
    ]);
  });

  it("truncated-body announces the whole length, sends half, and cuts", async () => {
    const server = await serverWith(["truncated-body"]);
    const cut = await raw(`${server.url}/api/v1/bookings?page_size=3`);
    expect(cut.status).toBe(200);
    expect(cut.failed).toBe("body");
    const length = Number(values(cut.lines, "content-length")[0]);
    expect(cut.body.length).toBe(Math.floor(length / 2));
    expect(server.audit()[0]).toMatchObject({ fault: "truncated-body", processed: true, status: 200 });
  });

  it.each([
    ["header-negative", { "ratelimit-limit": ["-1"], "ratelimit-remaining": ["-5"], "retry-after": ["-3"] }],
    ["header-nan", { "ratelimit-remaining": ["NaN"], "retry-after": ["NaN"] }],
    ["header-huge", { "ratelimit-limit": ["999999999999999"], "retry-after": ["99999999999999999999"] }],
    ["header-past-date", { "retry-after": ["Thu, 01 Jan 1970 00:00:00 GMT"] }],
    ["header-future-date", { "ratelimit-reset": ["Fri, 31 Dec 9999 23:59:59 GMT"] }],
    ["header-duplicated", { "ratelimit-remaining": ["5", "0"], "retry-after": ["1", "2"] }],
    ["header-comma-list", { "ratelimit-remaining": ["5, 0"], "retry-after": ["1, 2"] }],
  ] as const)("%s replaces the rate-limit header lines on the wire", async (fault, expected) => {
    const server = await serverWith([fault]);
    const answer = await raw(`${server.url}/api/v1/bookings?page_size=1`);
    expect(answer.status).toBe(200);
    for (const [name, lines] of Object.entries(expected)) expect(values(answer.lines, name)).toEqual(lines);
    expect(JSON.parse(answer.body).object).toBe("list");
    expect(server.audit()[0]).toMatchObject({ fault, processed: true });
  });

  it("non-json-error and oversized-error answer bodies no dialect parser should take", async () => {
    const server = await serverWith(["non-json-error", "oversized-error"]);
    const html = await raw(`${server.url}/api/v1/bookings`);
    expect(html.status).toBe(500);
    expect(values(html.lines, "content-type")).toEqual(["application/json"]);
    expect(() => JSON.parse(html.body)).toThrow();
    const huge = await raw(`${server.url}/api/v1/bookings`);
    expect(huge.status).toBe(500);
    expect(huge.body.length).toBeGreaterThan(1_000_000);
  });

  it("never faults or audits the admin route, and audits no request it cannot attribute to a key", async () => {
    const server = await startMockServer({
      dialect: "campone",
      keys: { [KEY]: { tenant: "acme" } },
      faults: { script: ["503", "503", "503"] },
    });
    servers.push(server);
    expect((await fetch(`${server.url}/__admin/audit`)).status).toBe(200);
    const stranger = await fetch(`${server.url}/sites`, {
      headers: { authorization: "Bearer someone_else" },
    });
    expect(stranger.status).toBe(503);
    expect((await fetch(`${server.url}/sites`, { headers })).status).toBe(503);
    expect(server.audit()).toEqual([
      expect.objectContaining({ tenant: "acme", key: KEY, status: 503, fault: "503", processed: false }),
    ]);
  });
});

describe("fault mode over msw (createMockHandlers)", () => {
  let close: (() => void) | undefined;
  afterEach(() => {
    close?.();
    close = undefined;
  });

  function listen(script: (MockFault | null)[]) {
    const mock = createMockHandlers({
      dialect: "boothzen",
      baseUrl: "https://boothzen.test",
      faults: { script, delayMs: 1 },
    });
    const server = setupServer(...mock.handlers);
    server.listen({ onUnhandledRequest: "error" });
    close = () => server.close();
    return mock;
  }

  it("turns a reset into a network error, before or after processing", async () => {
    const mock = listen(["reset-before", "reset-after"]);
    const post = () =>
      fetch("https://boothzen.test/api/v1/bookings", {
        method: "POST",
        headers,
        body: JSON.stringify(booking),
      });
    await expect(post()).rejects.toThrow(TypeError);
    await expect(post()).rejects.toThrow(TypeError);
    expect(mock.audit().map((row) => [row.status, row.processed])).toEqual([
      [0, false],
      [201, true],
    ]);
  });

  it("cuts a truncated body short, delivers a slow one whole, and folds duplicated headers", async () => {
    listen(["truncated-body", "slow-body", "header-duplicated", null]);
    const url = "https://boothzen.test/api/v1/bookings?page_size=2";
    const truncated = await fetch(url, { headers });
    expect(truncated.status).toBe(200);
    await expect(truncated.text()).rejects.toThrow();
    const slow = await (await fetch(url, { headers })).text();
    const duplicated = await fetch(url, { headers });
    expect(duplicated.headers.get("ratelimit-remaining")).toBe("5, 0");
    expect(duplicated.headers.get("retry-after")).toBe("1, 2");
    await duplicated.arrayBuffer();
    expect(slow).toBe(await (await fetch(url, { headers })).text());
  });
});

describe("pacekeeper-mock --faults", () => {
  const ROOT = fileURLToPath(new URL("../..", import.meta.url));

  /** Runs the CLI; once it listens, sends one request to `/sites`, then stops it with SIGTERM. */
  function run(args: string[]): Promise<{ code: number | null; status?: number; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/mock/cli.ts", ...args], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let status: number | undefined;
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.stdout.on("data", async (chunk: Buffer) => {
        stdout += chunk.toString();
        const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
        if (url === undefined || status !== undefined) return;
        status = 0;
        status = (await fetch(`${url}/sites`, { headers })).status;
        child.kill("SIGTERM");
      });
      child.once("exit", (code) => resolve({ code, status, stderr }));
    });
  }

  it("injects the faults named on the command line", async () => {
    const result = await run([
      "--dialect",
      "campone",
      "--port",
      "0",
      "--faults",
      "503=1",
      "--faults-seed",
      "7",
    ]);
    expect(result.status).toBe(503);
    expect(result.code).toBe(0);
  });

  it("exits 2 naming --faults for an unknown fault or a bad probability", async () => {
    const unknown = await run(["--dialect", "campone", "--port", "0", "--faults", "504=0.1"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown fault "504" in `--faults`/);
    const bad = await run(["--dialect", "campone", "--port", "0", "--faults", "1.5"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/probability from 0 to 1/);
  });
});
