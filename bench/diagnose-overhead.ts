/**
 * A diagnostic, not part of `npm run bench`: where pacekeeper's per-request overhead goes, on the
 * same plain server as the overhead rounds.
 *
 *   npm run build && npx tsx bench/diagnose-overhead.ts [--rounds=N]
 *
 * 1. A ladder, on a plain path and on one that answers RateLimit headers, measured in interleaved
 *    rounds against the bare transport on the same path:
 *    - the bare `fetch` with exactly the options the client hands it (its headers object,
 *      `redirect: "manual"`): what the client changes in the call itself;
 *    - the same `fetch` paced by the key's pacer alone (the preset's `LocalKeyPacer`, a permit
 *      before and a release with the response's `readRateLimit` snapshot after): the floor of any
 *      client that paces from headers, without a call's machinery (URL checks, retry loop,
 *      attempt timeout, abort links, events);
 *    - pacekeeper's `client.fetch`.
 * 2. CPU profiles of pacekeeper alone (node:inspector), summed by function: self time of the
 *    hottest functions, and inclusive time of pacekeeper's own (those of the built package, dist/).
 */

import * as thisBuild from "pacekeeper";
import { createClient, type Dialect, LocalKeyPacer, readRateLimit, realClock, VERSION } from "pacekeeper";
import { Agent } from "undici";
import { startServerHost } from "./host/index.js";
import { HEADERS, neverBinding, PLAIN } from "./overhead.js";
import { profile, topLines } from "./profile.js";
import { runJobs } from "./run-jobs.js";
import { fixed, median, shuffledAfter } from "./stats.js";

const REQUESTS = 2_000;
const CONCURRENCY = 50;
const ROUNDS = Number(process.argv.find((a) => a.startsWith("--rounds="))?.split("=")[1] ?? 30);
const auth = { authorization: "Bearer key_diagnose_overhead", "user-agent": "bench" };

const host = await startServerHost();
const server = await host.startPlain();
const agents: Agent[] = [];
/** An agent per rung, configured as the default transport's. */
const newAgent = () => {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128, headersTimeout: 30_000 });
  agents.push(agent);
  return agent;
};
const clients: ReturnType<typeof createClient>[] = [];

type Rung = [name: string, send: () => Promise<number>, baseline: number];

/** The ladder of one path; `first` is the index of its bare rung in the whole ladder. */
function rungs(path: string, dialect: Dialect, first: number): Rung[] {
  const url = `${server.url}${path}`;
  const client = createClient({ baseUrl: server.url, apiKey: `key_diagnose_${first}`, dialect });
  clients.push(client);
  // The client's own headers object, as `client.fetch` hands it to `fetch`.
  const clientHeaders = Object.freeze({
    "user-agent": `pacekeeper/${VERSION}`,
    authorization: "Bearer key_diagnose",
  });
  const fetchAs = (agent: Agent) => () => {
    const init: Record<string, unknown> = { headers: clientHeaders, redirect: "manual" };
    init.dispatcher = agent;
    return fetch(url, init as RequestInit);
  };
  const bareAgent = newAgent();
  const asClient = fetchAs(newAgent());
  const pacedFetch = fetchAs(newAgent());
  const pacer = new LocalKeyPacer({
    limits: dialect.limits,
    probeFirst: false,
    backoff: dialect.backoff,
    clock: realClock,
  });
  return [
    [
      `bare fetch + Agent, ${path}`,
      async () => {
        const res = await fetch(url, { headers: auth, dispatcher: bareAgent } as unknown as RequestInit);
        await res.arrayBuffer();
        return res.status;
      },
      first,
    ],
    [
      "  with the client's fetch options",
      async () => {
        const res = await asClient();
        await res.arrayBuffer();
        return res.status;
      },
      first,
    ],
    [
      "  + paced by the pacer alone, headers read",
      async () => {
        const permit = pacer.tryAcquire() ?? (await pacer.acquire());
        const res = await pacedFetch();
        const { status } = res;
        const rateLimit = readRateLimit(res.headers, realClock.now());
        permit.release({ kind: "response", status, counted: dialect.counts(status, path), rateLimit });
        await res.arrayBuffer();
        return status;
      },
      first,
    ],
    [
      "  pacekeeper client.fetch",
      async () => {
        const res = await client.fetch(path);
        await res.arrayBuffer();
        return res.status;
      },
      first,
    ],
  ];
}

const plain = rungs(PLAIN, neverBinding(thisBuild, false), 0);
const ladder: Rung[] = [...plain, ...rungs(HEADERS, neverBinding(thisBuild, true), plain.length)];

// Warm up each rung past the JIT's settling (docs/benchmarks.md, "Overhead"), then interleave.
for (const [, send] of ladder) await runJobs(20_000, CONCURRENCY, 300_000, send);
const rps: number[][] = ladder.map(() => []);
let order = ladder.map((_, i) => i);
for (let round = 0; round < ROUNDS; round++) {
  // A random order each round, so that neither a drift in the machine's speed nor a rung's place favours it.
  order = shuffledAfter(order);
  for (const i of order) {
    const outcome = await runJobs(REQUESTS, CONCURRENCY, 120_000, () => ladder[i]![1]());
    rps[i]!.push((REQUESTS / outcome.elapsedMs) * 1000);
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
for (const i of [plain.length - 1, ladder.length - 1]) {
  const summary = await profile(async () => {
    for (let round = 0; round < 3; round++)
      await runJobs(REQUESTS, CONCURRENCY, 120_000, () => ladder[i]![1]());
  });
  console.log(
    `\nCPU profile of ${ladder[i]![0].trim()}, ${i === plain.length - 1 ? PLAIN : HEADERS} — self time, top 15:`,
  );
  console.log(topLines(summary.self, 15));
  console.log("\nInclusive time of pacekeeper's own functions (dist/, the built package):");
  console.log(topLines(summary.inclusive, 20, (k) => k.includes("dist/")));
}

for (const client of clients) await client.close();
for (const agent of agents) await agent.close();
await server.close();
await host.terminate();
process.exit(0);
