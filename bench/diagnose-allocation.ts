/**
 * A diagnostic, not part of `npm run bench`: the bytes pacekeeper allocates per `client.fetch`, by
 * function, on a `fetch` that answers at once (one shared `Response`), so that only the client's
 * own objects are counted. Unlike time on a shared machine, this barely moves from run to run, so
 * it shows a change of a few per cent that the overhead rounds cannot.
 *
 *   npm run build && npx tsx bench/diagnose-allocation.ts [--headers] [--against=DIR]
 *
 * `--headers` answers RateLimit headers, read by the BoothZen preset; `--against=DIR` measures
 * another built checkout too (see bench/compare-builds.ts), before this one.
 */

import { Session } from "node:inspector/promises";
import * as thisBuild from "pacekeeper";
import { type Build, HEADERS, loadBuild, neverBinding, PLAIN } from "./overhead.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const headers = process.argv.includes("--headers");
const against = arg("against");
const WARM_UP = 100_000;
const MEASURED = 50_000;
const CONCURRENCY = 50;

const answer = new Response("{}", {
  headers: headers
    ? { "ratelimit-limit": "1000000", "ratelimit-remaining": "999000", "ratelimit-reset": "42" }
    : {},
});
// The default transport (it calls `globalThis.fetch` at call time), as most users run it: a `fetch`
// option would be handed an `AbortSignal` per attempt, which the default transport is not.
globalThis.fetch = async () => answer;
const path = headers ? HEADERS : PLAIN;

async function measure(name: string, build: Build): Promise<void> {
  const client = build.createClient({
    baseUrl: "http://127.0.0.1:9",
    apiKey: `key_allocation_${name}`,
    dialect: neverBinding(build, headers),
  });
  const run = async (n: number) => {
    let next = 0;
    const worker = async () => {
      while (next++ < n) await client.fetch(path);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  await run(WARM_UP);
  const session = new Session();
  session.connect();
  // Every sample kept, also of objects the young generation collects: all of them were allocated.
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 64,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await run(MEASURED);
  const { profile } = await session.post("HeapProfiler.stopSampling");
  session.disconnect();
  await client.close();

  const byFunction = new Map<string, number>();
  const walk = (node: typeof profile.head) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = `${functionName || "(anonymous)"} ${url.replace(/^.*\//, "")}:${lineNumber + 1}`;
    byFunction.set(where, (byFunction.get(where) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
  console.log(`${name}: ${Math.round(total / MEASURED)} bytes per call`);
  for (const [where, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    console.log(`  ${String(Math.round(bytes / MEASURED)).padStart(6)}  ${where}`);
  }
}

console.log(`${MEASURED} calls at concurrency ${CONCURRENCY} after ${WARM_UP}, ${path}:`);
if (against) {
  await measure(`pacekeeper of ${against}`, await loadBuild(against));
}
await measure("pacekeeper of this build", thisBuild);
