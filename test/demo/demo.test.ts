import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as byName from "pacekeeper/batch";
import type { AuditEntry } from "pacekeeper/mock";
import { describe, expect, it } from "vitest";
import {
  type DemoSettings,
  type DemoSummary,
  formatSummaryTable,
  rateLimitedAfterFirstResponse,
  runDemoBatch,
} from "../../demo/batch.js";
import * as source from "../../src/batch/index.js";

const run = promisify(execFile);

/** The demo's batch on small settings: real loopback servers, windows of one second. */
const SMALL: Record<"campone" | "boothzen", DemoSettings> = {
  campone: {
    dialect: "campone",
    keys: 4,
    limit: 10,
    windowMs: 1_000,
    from: "2025-06-01",
    to: "2025-07-15",
    creates: 40,
  },
  boothzen: {
    dialect: "boothzen",
    keys: 4,
    limit: 10,
    windowMs: 1_000,
    burst: 5,
    burstWindowMs: 500,
    fetches: 20,
    creates: 20,
  },
};

function expectEveryJobDoneOnce(summary: DemoSummary, settings: DemoSettings) {
  expect(summary.failed).toBe(0);
  expect(summary.starts).toBe(summary.jobs);
  // One request per job, and the server saw exactly as many: none lost, none sent twice.
  expect(summary.requests).toBe(summary.jobs);
  expect(summary.rateLimitedAfterFirst).toBe(0);
  expect(summary.listed).toBe(summary.expected);
  expect(summary.created).toBe(settings.creates);
  // The batch needed more than one window of every key, so the pacer held requests back.
  expect(summary.minimumMs).toBeGreaterThan(0);
  expect(summary.waits.window.count + summary.waits.budget.count).toBeGreaterThan(0);
}

describe("the demo imports the package by name, as a user would: the build in dist/", () => {
  it("under vitest, which runs test/demo", async () => {
    const built = await import("../../dist/batch/index.js");
    expect(byName.createKeyPool).toBe(built.createKeyPool);
    expect(byName.createKeyPool).not.toBe(source.createKeyPool);
  });

  it("under tsx, which runs `npm run demo`", async () => {
    const script = `
      const byName = await import("pacekeeper/batch");
      const built = await import("./dist/batch/index.js");
      console.log(JSON.stringify({ built: byName.createKeyPool === built.createKeyPool }));
    `;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      timeout: 15_000,
    });
    expect(JSON.parse(stdout)).toEqual({ built: true });
  });

  it("`npm run demo` builds first", async () => {
    const { readFile } = await import("node:fs/promises");
    const scripts = JSON.parse(await readFile("package.json", "utf8")).scripts as Record<string, string>;
    expect(scripts.predemo).toMatch(/^npm run build\b/);
    expect(scripts.demo).toBe("tsx demo/run.ts");
  });
});

describe("the demo's batch (demo/batch.ts), small settings", () => {
  it("CampOne: pulls a date range with page_size=200 over 4 keys, creates bookings, every job once, no late 429", async () => {
    const summary = await runDemoBatch(SMALL.campone);
    expectEveryJobDoneOnce(summary, SMALL.campone);
    expect(summary.expected).toBeGreaterThan(200); // more than one page
    expect(summary.jobs).toBe(Math.ceil(summary.expected / 200) + SMALL.campone.creates);
  });

  it("BoothZen: pages by cursor, fetches by id, creates, every job once, no late 429", async () => {
    const summary = await runDemoBatch(SMALL.boothzen);
    expectEveryJobDoneOnce(summary, SMALL.boothzen);
    expect(summary.expected).toBe(2000);
    expect(summary.jobs).toBe(10 + 20 + 20);
    const table = formatSummaryTable([summary]);
    expect(table.split("\n")[0]).toMatch(
      /^dialect\s+keys\s+jobs\s+requests\s+429s\s+time\s+minimum\s+vs minimum\s+waits by reason/,
    );
    expect(table.split("\n")[2]).toMatch(/^boothzen\s+4\s+50\s+50\s+0\s+/);
  });

  it("counts a 429 after a key's first response as the pacer's failure, not the first one", () => {
    const row = (key: string, status: number): AuditEntry => ({
      tenant: "default",
      key,
      method: "GET",
      path: "/sites",
      status,
      latencyMs: 0,
      timestamp: 0,
    });
    expect(rateLimitedAfterFirstResponse([row("a", 429), row("b", 200), row("a", 200), row("b", 429)])).toBe(
      1,
    );
    expect(rateLimitedAfterFirstResponse([row("a", 429), row("b", 429)])).toBe(0);
  });
});
