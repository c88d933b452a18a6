/**
 * The two fronts the rules are driven through: a real loopback server (`startMockServer`, port 0) and
 * msw handlers (`createMockHandlers` + `setupServer`, which intercepts the global fetch). Every mock a
 * test starts is closed after the test.
 */
import { setupServer } from "msw/node";
import { afterEach } from "vitest";
import type { AuditEntry, AuditFilter, MockApiOptions } from "../../src/mock/index.js";
import { createMockHandlers, startMockServer } from "../../src/mock/index.js";

export interface RunningMock {
  url: string;
  audit(filter?: AuditFilter): AuditEntry[];
}

export interface MockFront {
  name: "http" | "msw";
  start(options: MockApiOptions): Promise<RunningMock & { close(): Promise<void> }>;
}

export const httpFront: MockFront = {
  name: "http",
  async start(options) {
    const server = await startMockServer({ ...options, port: 0 });
    return { url: server.url, audit: (filter) => server.audit(filter), close: () => server.close() };
  },
};

export const mswFront: MockFront = {
  name: "msw",
  async start(options) {
    const baseUrl = `https://${options.dialect}.mock.test`;
    const mock = createMockHandlers({ ...options, baseUrl });
    const server = setupServer(...mock.handlers);
    server.listen({ onUnhandledRequest: "error" });
    return {
      url: baseUrl,
      audit: (filter) => mock.audit(filter),
      close: async () => server.close(),
    };
  },
};

export const FRONTS: readonly MockFront[] = [httpFront, mswFront];

/** `start` for the tests of one front; whatever it starts is closed after each test. */
export function mockStarter(front: MockFront): (options: MockApiOptions) => Promise<RunningMock> {
  const running: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((mock) => mock.close()));
  });
  return async (options) => {
    const mock = await front.start(options);
    running.push(mock);
    return mock;
  };
}

export interface CallOptions {
  /** Bearer token; `null` sends no Authorization header. */
  key?: string | null;
  method?: string;
  body?: string | object;
  headers?: Record<string, string>;
}

/** One request to the mock. */
export function call(mock: RunningMock, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? "key_live_a" : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  return fetch(`${mock.url}${path}`, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
}

/** `count` requests, `concurrency` at a time (all at the same virtual time); their statuses, bodies drained. */
export async function callMany(
  mock: RunningMock,
  path: string,
  count: number,
  options: CallOptions = {},
  concurrency = 25,
): Promise<number[]> {
  const statuses: number[] = [];
  for (let done = 0; done < count; done += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - done) }, async () => {
      const response = await call(mock, path, options);
      await response.arrayBuffer();
      return response.status;
    });
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

/** How many times each status occurs. */
export function tally(statuses: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
