// The presets, under other names: `boothzen` here builds a scenario.
import { boothzen as boothzenPreset, campone as camponePreset, type Dialect } from "pacekeeper";
import type { Model, Rule } from "./server-model.js";

/**
 * The scaled-down servers and batches. Windows stay at whole seconds (≥ 3 s) because both
 * dialects speak whole seconds (`Retry-After`, `RateLimit-Reset`): with shorter windows the
 * rounding, not the client, would decide the results. Limits are chosen so that each batch spans
 * four windows and its minimum is a few seconds, and so that a window's requests take a small part
 * of it to send even on a busy two-core machine (client and server share it): the server's limits,
 * not the machine's throughput, must bind.
 */
export interface Scenario {
  /** e.g. "BoothZen · fixed". */
  label: string;
  dialect: "campone" | "boothzen";
  model: Model;
  limit: number;
  windowMs: number;
  burst: number | undefined;
  burstWindowMs: number | undefined;
  /** Whether the server counts the requests it refuses (CampOne: "429 — counted"). */
  refusedCounts: boolean;
}

export interface BenchConfig {
  quick: boolean;
  /** GETs per batch, and how many run at once. */
  jobs: number;
  concurrency: number;
  /** A peer is stopped at this multiple of the server's minimum; its remaining jobs are "unfinished". */
  capFactor: number;
  /** Requests already on the wire when a 429 left the server are not violations. */
  violationGraceMs: number;
  /** pacekeeper's runs per scenario in the tail section: enough for a run that loses a window to show. */
  tailRuns: number;
  scenarios: Scenario[];
  overhead: { rounds: number; requestsPerRound: number; warmUpRequests: number; concurrency: number };
  scale: {
    keyCounts: number[];
    jobsPerKey: number;
    concurrencyPerKey: number;
    /** Runs per key count; the best is kept. */
    repeats: number;
    scenario: Scenario;
  };
}

const CAMPONE: Scenario = {
  label: "CampOne · rolling",
  dialect: "campone",
  model: "rolling",
  limit: 300,
  windowMs: 3_000,
  burst: undefined,
  burstWindowMs: undefined,
  refusedCounts: true,
};

/** BoothZen's shape kept: a main window and a one-second burst limit that both bind. */
const boothzen = (model: Model): Scenario => ({
  label: `BoothZen · ${model}`,
  dialect: "boothzen",
  model,
  limit: 300,
  windowMs: 3_000,
  burst: 150,
  burstWindowMs: 1_000,
  refusedCounts: false,
});

export function benchConfig(quick: boolean): BenchConfig {
  return {
    quick,
    jobs: quick ? 500 : 1_000,
    concurrency: 32,
    capFactor: 3,
    violationGraceMs: 10,
    tailRuns: quick ? 3 : 8,
    scenarios: [CAMPONE, boothzen("fixed"), boothzen("rolling"), boothzen("bucket")],
    // Many short rounds rather than a few long ones: this machine's speed drifts within seconds,
    // and a ratio is only as good as its two halves ran alike. Without RateLimit headers, 105
    // rounds of 600 read 0.88–0.91 in six runs of one build (the setup varied a little between
    // them); 21 rounds of 3,000, the same number of requests, read 0.87–0.98 in four. One round's
    // ratio spreads widely (its middle half over ~0.15), so 105 rounds left the median ±0.02 from
    // run to run; 315 narrow that by √3, for about two minutes.
    overhead: {
      rounds: quick ? 25 : 315,
      requestsPerRound: 600,
      warmUpRequests: quick ? 15_000 : 30_000,
      concurrency: 50,
    },
    scale: {
      keyCounts: [1, 2, 4, 8],
      jobsPerKey: quick ? 75 : 150,
      concurrencyPerKey: 8,
      repeats: quick ? 1 : 2,
      // Small bursts per key, so that eight keys together stay well inside what one machine
      // (client and server on two cores) can carry: the keys' limits, not the CPU, must bind.
      scenario: { ...boothzen("fixed"), label: "BoothZen · fixed (per key)", limit: 75, burst: 25 },
    },
  };
}

/** The limits a scenario's server enforces, as the models see them. */
export function rulesOf(s: Scenario): Rule[] {
  const rules: Rule[] = [{ limit: s.limit, windowMs: s.windowMs }];
  if (s.burst !== undefined && s.burstWindowMs !== undefined)
    rules.push({ limit: s.burst, windowMs: s.burstWindowMs });
  return rules;
}

/** Job `i`'s path: one booking each, all of which exist. */
export function jobPath(s: Scenario, i: number): string {
  return s.dialect === "campone"
    ? `/bookings/${(i % 3000) + 1}`
    : `/api/v1/bookings/bkg_${String((i % 2000) + 1).padStart(6, "0")}`;
}

/** The limits of a server, as its dialect's preset takes them. */
export interface ServerLimits {
  dialect: "campone" | "boothzen";
  limit: number;
  windowMs: number;
  burst?: number | undefined;
  burstWindowMs?: number | undefined;
}

/** pacekeeper's preset of a server's dialect, set to that server's limits (BoothZen's burst defaults as the preset's). */
export function presetFor(server: ServerLimits): Dialect {
  return server.dialect === "campone"
    ? camponePreset({ limit: server.limit, windowMs: server.windowMs })
    : boothzenPreset({
        limit: server.limit,
        windowMs: server.windowMs,
        burst: server.burst ?? 60,
        burstWindowMs: server.burstWindowMs ?? 1_000,
      });
}
