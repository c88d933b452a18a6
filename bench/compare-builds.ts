/**
 * A diagnostic, not part of `npm run bench`: this build's overhead against another build's, in
 * one process, on the overhead benchmark's plain server. A change of a few per cent cannot be seen
 * by comparing two runs of `npm run bench` (their medians move by about ±0.03); side by side, in
 * many short paired rounds (bare, other build, this build; each round in a random order,
 * `shuffledAfter`), it can.
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npm run build)
 *   npm run build && npx tsx bench/compare-builds.ts --against=/tmp/before [--headers] [--rounds=40]
 *
 * Prints, per variant, the median over rounds of its requests per second / the bare transport's in
 * the same round, with the quartiles, and the median extra wall time per request.
 */

import * as thisBuild from "pacekeeper";
import { startServerHost } from "./host/index.js";
import {
  type Build,
  bareFetch,
  HEADERS,
  loadBuild,
  neverBinding,
  PLAIN,
  pacekeeperFetch,
} from "./overhead.js";
import { runJobs } from "./run-jobs.js";
import { fixed, median, shuffledAfter } from "./stats.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const against = arg("against");
if (!against)
  throw new Error("usage: npx tsx bench/compare-builds.ts --against=DIR [--headers] [--rounds=N]");
const headers = process.argv.includes("--headers");
const rounds = Number(arg("rounds") ?? 40);
const REQUESTS = 600;
const CONCURRENCY = 50;

const otherBuild = await loadBuild(against);
const host = await startServerHost();
const server = await host.startPlain();
const path = headers ? HEADERS : PLAIN;

/** The overhead benchmark's variants, the paced one from either build (with its own dialect). */
const paced = (name: string, build: Build) =>
  pacekeeperFetch(name, "bare", neverBinding(build, headers), path, build);
const variants = [
  bareFetch("bare fetch + Agent", path),
  paced(`pacekeeper of ${against}`, otherBuild),
  paced("pacekeeper of this build", thisBuild),
].map((v) => ({ name: v.name, ...v.setup(server.url) }));

// Warm up (a client's first tens of thousands of requests run slower), then paired rounds.
for (const { send } of variants) await runJobs(REQUESTS * 20, CONCURRENCY, 300_000, send);
const usPerRequest: number[][] = variants.map(() => []);
let order = variants.map((_, i) => i);
for (let round = 0; round < rounds; round++) {
  order = shuffledAfter(order);
  for (const i of order) {
    const outcome = await runJobs(REQUESTS, CONCURRENCY, 300_000, variants[i]!.send);
    usPerRequest[i]!.push((outcome.elapsedMs * 1000) / REQUESTS);
  }
}
const quartile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
console.log(`${rounds} paired rounds of ${REQUESTS} requests at concurrency ${CONCURRENCY}, ${path}:`);
for (const [i, { name }] of variants.entries()) {
  const ratios = usPerRequest[i]!.map((us, r) => usPerRequest[0]![r]! / us).sort((a, b) => a - b);
  const extra = median(usPerRequest[i]!.map((us, r) => us - usPerRequest[0]![r]!));
  console.log(
    `  ${name.padEnd(40)} ${fixed(median(ratios))} × bare (quartiles ${fixed(quartile(ratios, 0.25))}–${fixed(quartile(ratios, 0.75))}), +${fixed(extra, 0)} µs per request`,
  );
}
for (const v of variants) await v.close();
await server.close();
await host.terminate();
process.exit(0);
