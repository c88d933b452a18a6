/**
 * A diagnostic, not part of `npm run bench`: the instructions pacekeeper's `client.fetch` runs per
 * call, counted by valgrind's callgrind on a `fetch` that answers at once (one shared `Response`),
 * as bench/diagnose-allocation.ts counts bytes. Instructions do not depend on what else the machine
 * is doing: two runs of one build agree within ~0.3 %, where timings on this machine spread ±5 %, so
 * a change of a few per cent shows. They are not time (a regular expression runs more instructions
 * than a loop over the characters, and less time): check a change's time too.
 *
 *   npm run build && npx tsx bench/diagnose-instructions.ts [--headers] [--against=DIR]
 *
 * Needs valgrind (`apt-get install valgrind`). Each build runs twice under callgrind, in a Node
 * started with `--predictable` (no compiler or GC threads, whose timing would move the counts):
 * 100,000 calls to warm up, then 0 or 50,000 more; the difference / 50,000 is one call, the test
 * loop's own work included (~1,300 instructions). Takes about a minute per build.
 */

import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { HEADERS, PLAIN } from "./overhead.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const headers = process.argv.includes("--headers");
const WARM_UP = 100_000;
const MEASURED = 50_000;
const CONCURRENCY = 50;

/**
 * What runs under callgrind: plain JavaScript, so that no loader runs inside valgrind. The presets
 * are the overhead benchmark's (`neverBinding` in bench/overhead.ts).
 */
const child = `
const [dir, warm, count, headers] = process.argv.slice(1);
const build = await import(new URL("dist/index.js", dir).href);
const withHeaders = headers === "1";
const answer = new Response("{}", {
  headers: withHeaders
    ? { "ratelimit-limit": "1000000", "ratelimit-remaining": "999000", "ratelimit-reset": "42" }
    : {},
});
globalThis.fetch = async () => answer;
const dialect = withHeaders
  ? build.boothzen({ limit: 1_000_000, windowMs: 60_000, burst: 1_000_000, burstWindowMs: 1_000 })
  : build.campone({ limit: 1_000_000, windowMs: 60_000 });
const client = build.createClient({ baseUrl: "http://127.0.0.1:9", apiKey: "key_instructions", dialect });
const path = withHeaders ? ${JSON.stringify(HEADERS)} : ${JSON.stringify(PLAIN)};
const run = async (n) => {
  let next = 0;
  const worker = async () => {
    while (next++ < n) await client.fetch(path);
  };
  await Promise.all(Array.from({ length: ${CONCURRENCY} }, worker));
};
await run(Number(warm));
await run(Number(count));
process.exit(0);
`;

/** Instructions callgrind counted in one run of the child. */
function instructions(dir: string, calls: number): number {
  const { stderr, error, status } = spawnSync(
    "valgrind",
    [
      "--tool=callgrind",
      "--callgrind-out-file=/dev/null",
      process.execPath,
      "--predictable",
      "--input-type=module",
      "-e",
      child,
      pathToFileURL(`${resolve(dir)}/`).href,
      String(WARM_UP),
      String(calls),
      headers ? "1" : "0",
    ],
    // valgrind reports on stderr.
    { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] },
  );
  if (error) throw error;
  // callgrind reports a count even of a run that failed: that count would mean nothing.
  if (status !== 0) throw new Error(`the run under callgrind failed (exit ${status}):\n${stderr}`);
  const collected = /Collected : (\d+)/.exec(stderr)?.[1];
  if (collected === undefined) throw new Error(`callgrind printed no count:\n${stderr}`);
  return Number(collected);
}

function measure(name: string, dir: string): void {
  const perCall = (instructions(dir, MEASURED) - instructions(dir, 0)) / MEASURED;
  console.log(`  ${name}: ${Math.round(perCall).toLocaleString("en")} instructions per call`);
}

console.log(
  `${MEASURED} calls at concurrency ${CONCURRENCY} after ${WARM_UP}, ${headers ? HEADERS : PLAIN}:`,
);
const against = arg("against");
if (against) measure(`pacekeeper of ${against}`, against);
measure("pacekeeper of this build", ".");
