/**
 * The soak, shared by `test/client/reliability-soak.test.ts` (10 000 calls in the test process)
 * and `fault-soak-child.ts` (a smaller one in a child process that must then exit by itself):
 * mixed calls — GETs, POSTs with and without an idempotency key, through `client.request` and
 * `client.fetch` — over real loopback HTTP to a BoothZen mock in fault mode. Every call carries a
 * W3C `traceparent`, so the mock's audit log tells which rows are attempts of which call.
 */
import {
  boothzen,
  createClient,
  isPacekeeperError,
  memoryStore,
  type PacekeeperEvent,
} from "../../src/index.js";
import { type AuditEntry, MOCK_FAULTS, type MockFault, startMockServer } from "../../src/mock/index.js";

export const SOAK_KEY = "key_live_soak_0001";

/**
 * Every fault but `429-retry-after-86400`: that one closes the key's gate for a day — correctly — and
 * every later call would then be refused locally at once, which would leave nothing else to soak.
 * `test/reliability-limits.test.ts` covers it.
 */
export const SOAK_FAULTS: readonly MockFault[] = MOCK_FAULTS.filter(
  (fault) => fault !== "429-retry-after-86400",
);

export type CallKind = "get-list" | "get-one" | "post-keyed" | "post-unkeyed";

export interface SoakCall {
  index: number;
  kind: CallKind;
  via: "request" | "fetch";
  traceId: string;
  /** "result": a value or a Response; "typed": a pacekeeper error; "untyped": anything else (a defect). */
  outcome: "result" | "typed" | "untyped";
  /** The error's name, or the Response's status. */
  detail: string;
}

export interface SoakReport {
  calls: SoakCall[];
  audit: AuditEntry[];
  events: Map<PacekeeperEvent["type"], number>;
}

export interface SoakOptions {
  calls: number;
  concurrency: number;
  /** Fraction of requests that get a fault, spread evenly over `SOAK_FAULTS`. */
  faultRate: number;
  seed: number;
}

/** The kind of the i-th call: 60 % GET, 20 % POST with an idempotency key, 20 % POST without. */
function kindOf(i: number): CallKind {
  const slot = i % 10;
  if (slot < 4) return "get-list";
  if (slot < 6) return "get-one";
  if (slot < 8) return "post-keyed";
  return "post-unkeyed";
}

/** A valid W3C trace id for call `i` (never all zeros). */
export function traceIdOf(i: number): string {
  return (i + 1).toString(16).padStart(32, "0");
}

/**
 * Runs the soak: starts the mock, runs the calls `concurrency` at a time, closes the client and the
 * mock, and returns what every call ended in and what the mock saw. Limits are generous and
 * backoffs scaled down: the point is faults, not pacing.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const big = { limit: 1_000_000, windowMs: 60_000, burst: 1_000_000, burstWindowMs: 1_000 };
  const probabilities = Object.fromEntries(
    SOAK_FAULTS.map((fault) => [fault, options.faultRate / SOAK_FAULTS.length]),
  );
  const server = await startMockServer({
    dialect: "boothzen",
    ...big,
    faults: { seed: options.seed, probabilities, delayMs: 20 },
  });
  const events = new Map<PacekeeperEvent["type"], number>();
  const client = createClient({
    baseUrl: server.url,
    apiKey: SOAK_KEY,
    dialect: boothzen({ ...big, backoff: { baseMs: 5, capMs: 50, retryAfterJitterMs: 5 } }),
    store: memoryStore(),
    // Generous: a timeout here would only mean a machine too loaded to tell anything.
    timeoutMs: 60_000,
    totalTimeoutMs: 120_000,
    retry: { retries: 3 },
    hooks: { event: (e) => events.set(e.type, (events.get(e.type) ?? 0) + 1) },
  });

  const booking = (i: number) => ({
    booth_id: `booth_${String((i % 40) + 1).padStart(3, "0")}`,
    customer_name: `Soak ${i}`,
    starts_at: "2026-06-01T10:00:00Z",
    ends_at: "2026-06-01T12:00:00Z",
  });

  const one = async (index: number): Promise<SoakCall> => {
    const kind = kindOf(index);
    const via = index % 5 === 4 ? "fetch" : "request";
    const traceId = traceIdOf(index);
    const headers: Record<string, string> = { traceparent: `00-${traceId}-00f067aa0ba902b7-01` };
    const path =
      kind === "get-list"
        ? "/api/v1/bookings"
        : kind === "get-one"
          ? `/api/v1/bookings/bkg_${String((index % 2000) + 1).padStart(6, "0")}`
          : "/api/v1/bookings";
    const post = kind === "post-keyed" || kind === "post-unkeyed";
    const idempotencyKey = kind === "post-keyed" ? `soak-${index}` : undefined;
    const call = { index, kind, via, traceId } as const;
    try {
      if (via === "request") {
        await client.request({
          method: post ? "POST" : "GET",
          path,
          ...(kind === "get-list" ? { query: { page_size: 2 } } : {}),
          ...(post ? { body: booking(index) } : {}),
          ...(idempotencyKey ? { idempotencyKey } : {}),
          headers,
        });
        return { ...call, outcome: "result", detail: "value" };
      }
      if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
      if (post) headers["content-type"] = "application/json";
      const response = await client.fetch(kind === "get-list" ? `${path}?page_size=2` : path, {
        method: post ? "POST" : "GET",
        headers,
        ...(post ? { body: JSON.stringify(booking(index)) } : {}),
      });
      // The body is the caller's to read; a body cut short is the transport's error, as with fetch.
      await response.arrayBuffer().catch(() => undefined);
      return { ...call, outcome: "result", detail: String(response.status) };
    } catch (error) {
      return {
        ...call,
        outcome: isPacekeeperError(error) ? "typed" : "untyped",
        detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
  };

  const calls: SoakCall[] = new Array(options.calls);
  let next = 0;
  const worker = async () => {
    while (next < options.calls) {
      const index = next++;
      calls[index] = await one(index);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    await client.close();
    await server.close();
  }
  return { calls, audit: server.audit(), events };
}

/** The audit rows of each call, by trace id, in the order they reached the mock. */
export function rowsByTrace(audit: readonly AuditEntry[]): Map<string, AuditEntry[]> {
  const byTrace = new Map<string, AuditEntry[]>();
  for (const row of audit) {
    if (row.traceId === undefined) continue;
    const rows = byTrace.get(row.traceId) ?? [];
    rows.push(row);
    byTrace.set(row.traceId, rows);
  }
  return byTrace;
}

/**
 * The POSTs without an idempotency key that were sent again after an attempt that may have reached
 * the server: every attempt but the last must have been a 429 (the server did not process it).
 */
export function unsafeResends(report: SoakReport): { traceId: string; statuses: number[] }[] {
  const byTrace = rowsByTrace(report.audit);
  const out: { traceId: string; statuses: number[] }[] = [];
  for (const call of report.calls) {
    if (call.kind !== "post-unkeyed") continue;
    const rows = byTrace.get(call.traceId) ?? [];
    if (rows.slice(0, -1).some((row) => row.status !== 429)) {
      out.push({ traceId: call.traceId, statuses: rows.map((row) => row.status) });
    }
  }
  return out;
}
