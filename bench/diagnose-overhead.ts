/**
 * A diagnostic, not part of `npm run bench`: where pacekeeper's per-request overhead goes, on the
 * same plain server as the overhead rounds. `npx tsx bench/diagnose-overhead.ts`
 *
 * 1. A ladder of bare-fetch variants, each adding one thing the client does per call (an abort
 *    signal on `fetch`; a second controller linked to the call's and an attempt timer armed and
 *    cleared), measured in interleaved rounds against the bare transport, next to pacekeeper
 *    itself; and the same for a path that answers RateLimit headers, which the BoothZen preset
 *    reads and learns from.
 * 2. CPU profiles of pacekeeper alone (node:inspector), summed by function: self time of the
 *    hottest functions, and inclusive time of pacekeeper's own (src/) functions.
 */

import { boothzen, campone, createClient } from "pacekeeper";
import { Agent } from "undici";
import { startServerHost } from "./host/index.js";
import { profile, topLines } from "./profile.js";
import { runJobs } from "./run-jobs.js";
import { fixed, median } from "./stats.js";

const REQUESTS = 3_000;
const CONCURRENCY = 50;
const ROUNDS = 7;
const auth = { authorization: "Bearer key_diagnose_overhead", "user-agent": "bench" };

const host = await startServerHost();
const server = await host.startPlain();
const url = `${server.url}/plain`;
/** The plain server answers this path with RateLimit headers (a million per minute). */
const headersPath = "/api/v1/bookings/bkg_000001";
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128 });
const client = createClient({
  baseUrl: server.url,
  apiKey: "key_diagnose_overhead",
  dialect: campone({ limit: 1_000_000, windowMs: 60_000 }),
});
const withHeaders = createClient({
  baseUrl: server.url,
  apiKey: "key_diagnose_overhead_headers",
  dialect: boothzen({ limit: 1_000_000, windowMs: 60_000, burst: 1_000_000, burstWindowMs: 1_000 }),
});

const bare = (target: string) => async () => {
  const res = await fetch(target, { headers: auth, dispatcher: agent } as unknown as RequestInit);
  await res.arrayBuffer();
  return res.status;
};
const viaClient = (c: typeof client, path: string) => async () => {
  const res = await c.fetch(path);
  await res.arrayBuffer();
  return res.status;
};

/** Each rung: its name, the request, and the index of the rung it is compared with. */
const ladder: [string, () => Promise<number>, number][] = [
  ["bare fetch + Agent", bare(url), 0],
  [
    "+ an abort signal on fetch",
    async () => {
      const call = new AbortController();
      const res = await fetch(url, {
        headers: auth,
        dispatcher: agent,
        signal: call.signal,
      } as unknown as RequestInit);
      await res.arrayBuffer();
      return res.status;
    },
    0,
  ],
  [
    "+ attempt controller linked, timer armed and cleared",
    async () => {
      const call = new AbortController();
      const attempt = new AbortController();
      const onCallAbort = () => attempt.abort(call.signal.reason);
      call.signal.addEventListener("abort", onCallAbort, { once: true });
      const timer = setTimeout(() => attempt.abort(new Error("timeout")), 30_000);
      try {
        const res = await fetch(url, {
          headers: auth,
          dispatcher: agent,
          signal: attempt.signal,
        } as unknown as RequestInit);
        await res.arrayBuffer();
        return res.status;
      } finally {
        clearTimeout(timer);
      }
    },
    0,
  ],
  ["pacekeeper client.fetch, campone()", viaClient(client, "/plain"), 0],
  ["bare fetch + Agent, RateLimit headers", bare(`${server.url}${headersPath}`), 4],
  ["pacekeeper client.fetch, boothzen(), RateLimit headers", viaClient(withHeaders, headersPath), 4],
];

const rps: number[][] = ladder.map(() => []);
for (let round = 0; round <= ROUNDS; round++) {
  for (let i = 0; i < ladder.length; i++) {
    const outcome = await runJobs(REQUESTS, CONCURRENCY, 120_000, () => ladder[i]![1]());
    if (round > 0) rps[i]!.push((REQUESTS / outcome.elapsedMs) * 1000);
  }
}
console.log(
  `Interleaved rounds (${ROUNDS}, ${REQUESTS} requests at concurrency ${CONCURRENCY}), median ratio to the bare transport on the same path:`,
);
for (let i = 0; i < ladder.length; i++) {
  const b = ladder[i]![2];
  const ratios = rps[i]!.map((x, r) => x / rps[b]![r]!);
  const perRequestUs = rps[i]!.map((x, r) => 1e6 / x - 1e6 / rps[b]![r]!);
  console.log(
    `  ${ladder[i]![0].padEnd(56)} ${fixed(median(ratios))} × bare   (+${fixed(median(perRequestUs), 0)} µs of wall time per request)`,
  );
}

// CPU profiles of pacekeeper alone, without and with RateLimit headers.
for (const i of [3, 5]) {
  const summary = await profile(async () => {
    for (let round = 0; round < 3; round++)
      await runJobs(REQUESTS, CONCURRENCY, 120_000, () => ladder[i]![1]());
  });
  console.log(`\nCPU profile of ${ladder[i]![0]} — self time, top 15:`);
  console.log(topLines(summary.self, 15));
  console.log("\nInclusive time of pacekeeper's own functions (src/):");
  console.log(topLines(summary.inclusive, 20, (k) => k.includes("src/")));
}

await client.close();
await withHeaders.close();
await agent.close();
await server.close();
await host.terminate();
process.exit(0);
