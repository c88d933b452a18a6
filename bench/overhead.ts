/**
 * Overhead: pacekeeper's `client.fetch` on a budget that never binds, against the transport it
 * wraps (the global `fetch` with an undici `Agent` configured as src/transport.ts configures it)
 * and against `undici.request`, on a plain `node:http` server on loopback. Variants run in
 * interleaved rounds, each in a random order (`shuffledAfter`), so that load from elsewhere on the
 * machine hits them alike; each ratio is taken within a round, and the median of the rounds is
 * reported.
 */

import type { Dialect } from "pacekeeper";
import * as thisBuild from "pacekeeper";
import { Agent, request } from "undici";
import type { BenchConfig } from "./config.js";
import type { ServerHost } from "./host/index.js";
import { runJobs } from "./run-jobs.js";
import { fixed, median, medianInterval, quartiles, shuffledAfter } from "./stats.js";

/**
 * The options of pacekeeper's default transport (src/transport.ts), for the bare baseline; its
 * `headersTimeout` is the client's default attempt timeout.
 */
const agentOptions = { keepAliveTimeout: 10_000, connections: 128, headersTimeout: 30_000 };

export interface Variant {
  name: string;
  /** The variant its ratio is taken against; undefined for a baseline. */
  baseline: string | undefined;
  setup(url: string): { send(): Promise<number>; close(): Promise<void> };
}

export const PLAIN = "/plain";
/** A path the plain server answers with RateLimit headers (a million per minute). */
export const HEADERS = "/api/v1/bookings/bkg_000001";
const auth = { authorization: "Bearer key_overhead_0001", "user-agent": "bench" };

/** The bare transport: the global `fetch` with an `Agent` of its own, on `path`. */
export function bareFetch(name: string, path: string): Variant {
  return {
    name,
    baseline: undefined,
    setup(url) {
      const agent = new Agent(agentOptions);
      return {
        async send() {
          const res = await fetch(`${url}${path}`, {
            headers: auth,
            dispatcher: agent,
          } as unknown as RequestInit);
          await res.arrayBuffer();
          return res.status;
        },
        close: () => agent.close(),
      };
    },
  };
}

/** The built pacekeeper (`dist/`), as users get it. */
export type Build = typeof thisBuild;

/**
 * The preset the overhead is measured with, on a budget that never binds (a million a minute):
 * BoothZen's where the server answers RateLimit headers, CampOne's where it answers none.
 */
export function neverBinding(build: Build, withHeaders: boolean): Dialect {
  return withHeaders
    ? build.boothzen({ limit: 1_000_000, windowMs: 60_000, burst: 1_000_000, burstWindowMs: 1_000 })
    : build.campone({ limit: 1_000_000, windowMs: 60_000 });
}

/**
 * pacekeeper's `client.fetch` with `dialect` (a budget that never binds), on `path`.
 */
export function pacekeeperFetch(
  name: string,
  baseline: string,
  dialect: Dialect,
  path: string,
  build: Build = thisBuild,
): Variant {
  return {
    name,
    baseline,
    setup(url) {
      const client = build.createClient({
        baseUrl: url,
        apiKey: `key_overhead_${Math.random().toString(36).slice(2)}`,
        dialect,
      });
      return {
        async send() {
          const res = await client.fetch(path);
          await res.arrayBuffer();
          return res.status;
        },
        close: () => client.close(),
      };
    },
  };
}

const BARE = "bare fetch + Agent";
const BARE_HEADERS = "bare fetch + Agent, RateLimit headers";

const VARIANTS: Variant[] = [
  bareFetch(BARE, PLAIN),
  pacekeeperFetch("pacekeeper campone()", BARE, neverBinding(thisBuild, false), PLAIN),
  {
    name: "undici.request",
    baseline: BARE,
    setup(url) {
      const agent = new Agent(agentOptions);
      return {
        async send() {
          const res = await request(`${url}${PLAIN}`, { headers: auth, dispatcher: agent });
          await res.body.arrayBuffer();
          return res.statusCode;
        },
        close: () => agent.close(),
      };
    },
  },
  bareFetch(BARE_HEADERS, HEADERS),
  pacekeeperFetch(
    "pacekeeper boothzen(), RateLimit headers",
    BARE_HEADERS,
    neverBinding(thisBuild, true),
    HEADERS,
  ),
];

export interface OverheadResult {
  variant: string;
  baseline: string | undefined;
  /** Median requests per second over the rounds (for context; the ratio is the figure). */
  rps: number;
  /** Median over rounds of (this variant's rps / its baseline's rps in the same round). */
  ratio: number | undefined;
  /** The middle half of the rounds' ratios: how far one round's ratio spreads. */
  ratioQuartiles: [number, number] | undefined;
  /** The 95 % confidence interval of `ratio`: how far the median itself may move in another run. */
  ratioInterval: [number, number] | undefined;
}

export async function runOverhead(host: ServerHost, config: BenchConfig): Promise<OverheadResult[]> {
  const { rounds, requestsPerRound, warmUpRequests, concurrency } = config.overhead;
  const server = await host.startPlain();
  const clients = VARIANTS.map((v) => v.setup(server.url));
  const rps: number[][] = VARIANTS.map(() => []);
  // Round 0 warms up connections, the JIT and the heap's sizing, and is not counted: it is
  // longer than the others, because a client's first tens of thousands of requests run slower
  // until V8 has settled (bare fetch's too, for fewer of them).
  let warmConnections = 0;
  let order = VARIANTS.map((_, i) => i);
  for (let round = 0; round <= rounds; round++) {
    if (round === 1) warmConnections = await server.connections();
    if (round > 0) order = shuffledAfter(order);
    const requests = round === 0 ? warmUpRequests : requestsPerRound;
    for (const v of order) {
      const outcome = await runJobs(requests, concurrency, 300_000, () => clients[v]!.send());
      if (outcome.done !== requests) throw new Error(`${VARIANTS[v]!.name}: ${outcome.failed} failed`);
      if (round > 0) rps[v]!.push((requestsPerRound / outcome.elapsedMs) * 1000);
    }
    if (round > 0) {
      const line = VARIANTS.map((v, i) => `${v.name} ${rps[i]!.at(-1)!.toFixed(0)}`).join(", ");
      console.log(`  round ${round} (order ${order.join("")}): ${line} req/s`);
    }
  }
  // The rounds measure requests on open connections: a connection opened in one is set-up time
  // (bench/host/worker.ts says why none should be).
  const reopened = (await server.connections()) - warmConnections;
  if (reopened > 0) console.warn(`  warning: ${reopened} connections were opened inside timed rounds`);
  for (const c of clients) await c.close();
  await server.close();
  return VARIANTS.map((v, i) => {
    const b = v.baseline === undefined ? -1 : VARIANTS.findIndex((x) => x.name === v.baseline);
    const ratios = b === -1 ? undefined : rps[i]!.map((x, r) => x / rps[b]![r]!);
    return {
      variant: v.name,
      baseline: v.baseline,
      rps: median(rps[i]!),
      ratio: ratios && median(ratios),
      ratioQuartiles: ratios && quartiles(ratios),
      ratioInterval: ratios && medianInterval(ratios),
    };
  });
}

export function describeOverhead(results: readonly OverheadResult[]): string {
  return results
    .map((r) => `  ${r.variant}: ${r.ratio === undefined ? "baseline" : `${fixed(r.ratio)} × ${r.baseline}`}`)
    .join("\n");
}
