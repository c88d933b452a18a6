/**
 * The demo's batch: a realistic job against one mock API with several keys, through a key pool,
 * with a progress reporter. `demo/run.ts` runs it for both dialects; test/demo/demo.test.ts runs
 * it on small settings and checks its summary.
 *
 * It imports the package by its name, as a user's code would: Node resolves `pacekeeper` here
 * through the package's own `exports` to the build in dist/ (`npm run demo` builds first).
 */
import { boothzen, type Client, campone, type Dialect } from "pacekeeper";
import { createKeyPool, createProgress, type ProgressStream, type ProgressSummary } from "pacekeeper/batch";
import { type AuditEntry, startMockServer } from "pacekeeper/mock";
import { z } from "zod";
import { type CountingModel, idealMinimumMs, type Rule } from "./ideal-schedule.js";

export type DemoDialect = "campone" | "boothzen";

export interface DemoSettings {
  dialect: DemoDialect;
  /** API keys, one per "worker" of the pool. */
  keys: number;
  /** Requests per window per key, on the server and in the client's dialect alike. */
  limit: number;
  windowMs: number;
  /** BoothZen's burst limit per `burstWindowMs`. */
  burst?: number;
  burstWindowMs?: number;
  /** CampOne: the date range of bookings to pull (arrival, inclusive). */
  from?: string;
  to?: string;
  /** BoothZen: bookings to fetch again by id after listing them. */
  fetches?: number;
  /** Bookings to create. */
  creates: number;
  /** Where the progress goes; `undefined` for none. */
  progress?: { stream: ProgressStream; intervalMs?: number };
}

export interface DemoSummary {
  dialect: DemoDialect;
  keys: number;
  /** Jobs the batch made: one request each. */
  jobs: number;
  /** Times a job was started (a job started twice would show here). */
  starts: number;
  failed: number;
  /** Requests the server saw (its audit log). */
  requests: number;
  /** 429s the server sent. */
  rateLimited: number;
  /** 429s after a key's first response: the pacer's own failures. */
  rateLimitedAfterFirst: number;
  /** Bookings read from the list, distinct, and how many the API said there were. */
  listed: number;
  expected: number;
  created: number;
  elapsedMs: number;
  /** The server's minimum for the busiest key's share of the requests. */
  minimumMs: number;
  waits: ProgressSummary["waits"];
}

/** The demo's defaults: windows of a few seconds (Retry-After is whole seconds), about 10 s per dialect. */
export const DEMO_SETTINGS: Record<DemoDialect, DemoSettings> = {
  campone: {
    dialect: "campone",
    keys: 4,
    limit: 30,
    windowMs: 4_000,
    from: "2025-03-01",
    to: "2025-10-31",
    creates: 250,
  },
  boothzen: {
    dialect: "boothzen",
    keys: 4,
    limit: 50,
    windowMs: 5_000,
    burst: 10,
    burstWindowMs: 1_000,
    fetches: 120,
    creates: 100,
  },
};

const CampOnePage = z.object({
  results: z.array(z.object({ id: z.number() })),
  page: z.number(),
  total: z.number(),
  next: z.number().nullable(),
});
const BoothZenList = z.object({
  data: z.array(z.object({ id: z.string() })),
  has_more: z.boolean(),
  next_cursor: z.string().nullable(),
});
const Created = z.object({ id: z.union([z.number(), z.string()]) });

/** Starts the dialect's mock on loopback, runs the batch over `keys` keys, and reports. */
export async function runDemoBatch(settings: DemoSettings): Promise<DemoSummary> {
  const { dialect, keys, limit, windowMs } = settings;
  const burst = { burst: settings.burst ?? 60, burstWindowMs: settings.burstWindowMs ?? 1_000 };
  const server = await startMockServer(
    dialect === "campone"
      ? { dialect, port: 0, limit, windowMs }
      : { dialect, port: 0, limit, windowMs, ...burst },
  );
  const clientDialect: Dialect =
    dialect === "campone" ? campone({ limit, windowMs }) : boothzen({ limit, windowMs, ...burst });
  const progress = createProgress({
    total: 0,
    label: dialect,
    stream: settings.progress?.stream ?? { write: () => true },
    ...(settings.progress?.intervalMs === undefined ? {} : { intervalMs: settings.progress.intervalMs }),
    budget: { limits: clientDialect.limits, keys },
  });
  const apiKeys = Array.from({ length: keys }, (_, i) => `key_live_demo_${dialect}_${i + 1}`);
  const pool = createKeyPool({ apiKeys, baseUrl: server.url, dialect: clientDialect, hooks: progress.hooks });
  // The ETA asks each key's pacer when it could send next.
  progress.watch(pool.clients);

  let jobs = 0;
  let starts = 0;
  let failed = 0;
  /** The progress's total: what the batch knows it will do so far. */
  let total = 0;
  const setTotal = (n: number): void => {
    total = n;
    progress.setTotal(n);
  };
  /** One request per job; counts the job and its start, feeds the progress. */
  const job = async <T>(work: (client: Client) => Promise<T>): Promise<T | undefined> => {
    jobs++;
    if (jobs > total) setTotal(jobs);
    try {
      const value = await pool.run((client) => {
        starts++;
        return work(client);
      });
      progress.tick();
      return value;
    } catch {
      failed++;
      progress.fail();
      return undefined;
    }
  };

  const started = performance.now();
  let listed = new Set<string | number>();
  let expected = 0;
  let created = 0;
  try {
    if (dialect === "campone") {
      ({ listed, expected } = await pullCampOneBookings(job, setTotal, settings));
    } else {
      ({ listed, expected } = await pageBoothZenBookings(job, setTotal));
      const ids = [...listed].slice(0, settings.fetches ?? 0);
      setTotal(jobs + ids.length + settings.creates);
      await Promise.all(
        ids.map((id) => job((c) => c.request({ path: `/api/v1/bookings/${id}`, schema: Created }))),
      );
    }
    setTotal(jobs + settings.creates);
    const results = await Promise.all(
      Array.from({ length: settings.creates }, (_, i) =>
        job((client) =>
          client.request({
            method: "POST",
            path: dialect === "campone" ? "/bookings" : "/api/v1/bookings",
            body: dialect === "campone" ? campOneBooking(i) : boothZenBooking(i),
            idempotencyKey: `demo-${dialect}-create-${i}`,
            schema: Created,
          }),
        ),
      ),
    );
    created = results.filter((r) => r !== undefined).length;
  } finally {
    await pool.close();
  }
  const elapsedMs = performance.now() - started;
  const waits = progress.stop().waits;
  const audit = server.audit();
  await server.close();

  const perKey = Math.max(...apiKeys.map((k) => audit.filter((row) => row.key === k).length));
  const model: CountingModel = dialect === "campone" ? "rolling" : "fixed";
  const rules: Rule[] =
    dialect === "campone"
      ? [{ limit, windowMs }]
      : [
          { limit, windowMs },
          { limit: burst.burst, windowMs: burst.burstWindowMs },
        ];
  return {
    dialect,
    keys,
    jobs,
    starts,
    failed,
    requests: audit.length,
    rateLimited: audit.filter((row) => row.status === 429).length,
    rateLimitedAfterFirst: rateLimitedAfterFirstResponse(audit),
    listed: listed.size,
    expected,
    created,
    elapsedMs,
    minimumMs: idealMinimumMs(model, rules, perKey),
    waits,
  };
}

type Job = <T>(work: (client: Client) => Promise<T>) => Promise<T | undefined>;

/** CampOne: page 1 says how many pages there are; the rest are fetched at once, over every key. */
async function pullCampOneBookings(job: Job, setTotal: (total: number) => void, settings: DemoSettings) {
  const query = { from: settings.from, to: settings.to, page_size: 200 };
  const pageOf = (page: number) =>
    job((c) => c.request({ path: "/bookings", query: { ...query, page }, schema: CampOnePage }));
  const first = await pageOf(1);
  if (first === undefined) throw new Error("CampOne: the first page of bookings failed");
  const pages = Math.ceil(first.total / 200);
  setTotal(pages + settings.creates);
  const rest = await Promise.all(Array.from({ length: pages - 1 }, (_, i) => pageOf(i + 2)));
  const listed = new Set<string | number>();
  for (const page of [first, ...rest]) for (const booking of page?.results ?? []) listed.add(booking.id);
  return { listed, expected: first.total };
}

/** BoothZen: follow `next_cursor`, one page after the other (each page is a job on the soonest key). */
async function pageBoothZenBookings(job: Job, setTotal: (total: number) => void) {
  const listed = new Set<string | number>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: Record<string, string | number> =
      cursor === null ? { page_size: 200 } : { page_size: 200, cursor };
    const page = await job((c) => c.request({ path: "/api/v1/bookings", query, schema: BoothZenList }));
    if (page === undefined) throw new Error("BoothZen: a page of bookings failed");
    pages++;
    setTotal(pages + (page.has_more ? 1 : 0));
    for (const booking of page.data) listed.add(booking.id);
    cursor = page.next_cursor;
  } while (cursor !== null);
  // The cursor list has no total: every page read is the whole list.
  return { listed, expected: listed.size };
}

function campOneBooking(i: number) {
  const day = 1 + (i % 28);
  const date = (d: number) => `2025-11-${String(d).padStart(2, "0")}`;
  return {
    site_id: 1 + (i % 12),
    customer_id: 1 + (i % 600),
    arrival: date(day),
    departure: date(day + 1),
    guests: 1 + (i % 6),
  };
}

function boothZenBooking(i: number) {
  const start = Date.UTC(2025, 11, 1 + (i % 28), 9);
  return {
    booth_id: `booth_${String(1 + (i % 40)).padStart(3, "0")}`,
    customer_name: `Demo Customer ${i + 1}`,
    starts_at: new Date(start).toISOString(),
    ends_at: new Date(start + 8 * 3_600_000).toISOString(),
  };
}

/** 429s of each key after its first response: the pacer's failures (the first answer may teach it the limit). */
export function rateLimitedAfterFirstResponse(audit: readonly AuditEntry[]): number {
  const firstAt = new Map<string, number>();
  let late = 0;
  audit.forEach((row, i) => {
    if (!firstAt.has(row.key)) firstAt.set(row.key, i);
    else if (row.status === 429) late++;
  });
  return late;
}

/** The summary as a table, one row per dialect. */
export function formatSummaryTable(summaries: readonly DemoSummary[]): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const header = [
    "dialect",
    "keys",
    "jobs",
    "requests",
    "429s",
    "time",
    "minimum",
    "vs minimum",
    "waits by reason (requests · summed expected wait)",
  ];
  const rows = summaries.map((s) => [
    s.dialect,
    String(s.keys),
    String(s.jobs),
    String(s.requests),
    String(s.rateLimited),
    seconds(s.elapsedMs),
    seconds(s.minimumMs),
    s.minimumMs > 0 ? `${(s.elapsedMs / s.minimumMs).toFixed(2)}x` : "-",
    Object.entries(s.waits)
      .filter(([, w]) => w.count > 0)
      .map(([reason, w]) => `${reason} ${w.count} · ${seconds(w.ms)}`)
      .join(", ") || "none",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
