/**
 * A diagnostic, not part of `npm run bench`: this build's overhead against another build's, in
 * one process, on the overhead benchmark's plain server. A change of a few per cent cannot be seen
 * by comparing two runs of `npm run bench` (their medians move by about ±0.03); side by side, in
 * many short paired rounds (bare, other build, this build; the order reversed every other round),
 * it can.
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npm run build)
 *   npm run build && npx tsx bench/compare-builds.ts --against=/tmp/before [--headers] [--rounds=40]
 *
 * Prints, per variant, the median over rounds of (bare rps / variant rps)⁻¹ with its quartiles, and
 * the median extra wall time per request against the bare transport.
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as thisBuild from "pacekeeper";
import { Agent } from "undici";
import { startServerHost } from "./host/index.js";
import { runJobs } from "./run-jobs.js";
import { fixed, median } from "./stats.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const against = arg("against");
if (!against)
  throw new Error("usage: npx tsx bench/compare-builds.ts --against=DIR [--headers] [--rounds=N]");
const headers = process.argv.includes("--headers");
const rounds = Number(arg("rounds") ?? 40);
const REQUESTS = 600;
const CONCURRENCY = 50;

const otherBuild: typeof thisBuild = await import(pathToFileURL(resolve(against, "dist/index.js")).href);
const host = await startServerHost();
const server = await host.startPlain();
/** The plain server answers this path with RateLimit headers (a million per minute). */
const path = headers ? "/api/v1/bookings/bkg_000001" : "/plain";

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128, headersTimeout: 30_000 });
const auth = { authorization: "Bearer key_compare_builds", "user-agent": "bench" };
const bare = async () => {
  const res = await fetch(`${server.url}${path}`, {
    headers: auth,
    dispatcher: agent,
  } as unknown as RequestInit);
  await res.arrayBuffer();
  return res.status;
};
const paced = (build: typeof thisBuild) => {
  const dialect = headers
    ? build.boothzen({ limit: 1_000_000, windowMs: 60_000, burst: 1_000_000, burstWindowMs: 1_000 })
    : build.campone({ limit: 1_000_000, windowMs: 60_000 });
  const client = build.createClient({ baseUrl: server.url, apiKey: `key_${Math.random()}`, dialect });
  return async () => {
    const res = await client.fetch(path);
    await res.arrayBuffer();
    return res.status;
  };
};
const variants: [string, () => Promise<number>][] = [
  ["bare fetch + Agent", bare],
  [`pacekeeper of ${against}`, paced(otherBuild)],
  ["pacekeeper of this build", paced(thisBuild)],
];

// Warm up (a client's first tens of thousands of requests run slower), then paired rounds.
for (const [, send] of variants) await runJobs(REQUESTS * 20, CONCURRENCY, 300_000, send);
const usPerRequest: number[][] = variants.map(() => []);
for (let round = 0; round < rounds; round++) {
  const order = variants.map((_, i) => (round % 2 === 1 ? variants.length - 1 - i : i));
  for (const i of order) {
    const outcome = await runJobs(REQUESTS, CONCURRENCY, 300_000, variants[i]![1]);
    usPerRequest[i]!.push((outcome.elapsedMs * 1000) / REQUESTS);
  }
}
const quartile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
console.log(`${rounds} paired rounds of ${REQUESTS} requests at concurrency ${CONCURRENCY}, ${path}:`);
for (const [i, [name]] of variants.entries()) {
  const ratios = usPerRequest[i]!.map((us, r) => usPerRequest[0]![r]! / us).sort((a, b) => a - b);
  const extra = median(usPerRequest[i]!.map((us, r) => us - usPerRequest[0]![r]!));
  console.log(
    `  ${name.padEnd(40)} ${fixed(median(ratios))} × bare (quartiles ${fixed(quartile(ratios, 0.25))}–${fixed(quartile(ratios, 0.75))}), +${fixed(extra, 0)} µs per request`,
  );
}
await server.close();
await host.terminate();
process.exit(0);
