/**
 * `npm run bench`: pacekeeper side by side with its peers on the mock servers, its overhead over
 * the bare transport, the pacer's own cost, and scale across keys — all in one run, reported as
 * ratios measured side by side. Writes docs/benchmarks.svg and the generated part of
 * docs/benchmarks.md. Not a test: nothing here fails the build.
 *
 *   npm run build && npx tsx bench/run.ts [--quick] [--only=peers,tail,real,overhead,pacer,scale] [--clients=pacekeeper,ky] [--no-write]
 *   npx tsx bench/run.ts --render=FILE   rewrites docs/ from the results a run saved (its last line says where)
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchConfig } from "./config.js";
import { startServerHost } from "./host/index.js";
import { load, machine } from "./machine.js";
import { describeOverhead, type OverheadResult, runOverhead } from "./overhead.js";
import type { PacerCostResult } from "./pacer-cost.js";
import { type PeerResult, runPeers } from "./peers.js";
import { REAL_LIMITER_CONFIG, type RealLimiterResult, runRealLimiters } from "./real-limiters.js";
import { type BenchResults, goals, resultsMarkdown } from "./report.js";
import { runScale, type ScaleResult } from "./scale.js";
import { benchmarkChart } from "./svg.js";
import { runTail, type TailResult } from "./tail.js";

const START = "<!-- bench:results:start (written by npm run bench; edit outside these markers) -->";
const END = "<!-- bench:results:end -->";

const args = process.argv.slice(2);
const USAGE =
  "usage: npx tsx bench/run.ts [--quick] [--only=peers,tail,real,overhead,pacer,scale] [--clients=NAME,…] [--no-write] [--render=FILE]";
const unknown = args.filter((a) => !/^--(quick|no-write|(only|clients|render)=.+)$/.test(a));
if (unknown.length > 0) {
  console.error(`Unknown argument ${unknown.join(" ")}\n${USAGE}`);
  process.exit(2);
}
const flag = (name: string) =>
  args
    .find((a) => a.startsWith(`--${name}=`))
    ?.split("=")[1]
    ?.split(",");
const quick = args.includes("--quick");
const sections = flag("only") ?? ["peers", "tail", "real", "overhead", "pacer", "scale"];
const clientFilter = flag("clients");
const write = !args.includes("--no-write");
const root = fileURLToPath(new URL("..", import.meta.url));
const command =
  process.env.npm_lifecycle_event === "bench"
    ? `npm run bench${args.length ? ` -- ${args.join(" ")}` : ""}`
    : `npx tsx bench/run.ts${args.length ? ` ${args.join(" ")}` : ""}`;

const rendering = flag("render")?.[0];
const results = rendering ? savedResults(rendering) : await measure();
console.log("\nGoals:");
for (const g of goals(results)) console.log(`  ${g.met ? "met    " : "NOT MET"}  ${g.goal}: ${g.measured}`);
if (!rendering) {
  const saved = join(
    tmpdir(),
    `pacekeeper-bench-${results.startedAt.toISOString().replace(/[:.]/g, "-")}.json`,
  );
  writeFileSync(saved, JSON.stringify(results));
  console.log(`\nResults saved to ${saved} (re-render with --render=${saved}).`);
}
if (write) {
  const { machine: m, config } = results;
  const svg = benchmarkChart({
    title: `pacekeeper vs peers — ${m.nproc} CPUs, Node ${m.node}${config.quick ? ", --quick" : ""}`,
    peers: results.peers,
    capFactor: config.capFactor,
    overhead: results.overhead,
    scale: results.scale,
  });
  writeFileSync(`${root}docs/benchmarks.svg`, svg);
  writeGeneratedPart(`${root}docs/benchmarks.md`, resultsMarkdown(results));
  console.log("Wrote docs/benchmarks.md (between its results markers) and docs/benchmarks.svg.");
}
process.exit(0);

async function measure(): Promise<BenchResults> {
  const config = benchConfig(quick);
  const startedAt = new Date();
  const loads = [load()];
  const loadTimer = setInterval(() => loads.push(load()), 5_000);
  const m = machine();
  console.log(
    `pacekeeper bench${quick ? " --quick" : ""}: ${m.nproc} CPUs (${m.cpu}), Node ${m.node}, load ${loads[0]!.toFixed(2)}`,
  );
  const host = await startServerHost();
  let peers: PeerResult[] = [];
  let tail: TailResult[] = [];
  let realLimiters: RealLimiterResult[] = [];
  let overhead: OverheadResult[] = [];
  let pacer: PacerCostResult | undefined;
  let scale: ScaleResult[] = [];
  try {
    if (sections.includes("peers")) {
      console.log(
        "\nSide by side on the mock servers (time / minimum, 429s, requests sent, violations, jobs done):",
      );
      peers = await runPeers(
        host,
        config,
        (name) => !clientFilter || clientFilter.some((c) => name.toLowerCase().includes(c.toLowerCase())),
      );
    }
    if (sections.includes("tail")) {
      console.log(`\npacekeeper, every run (${config.tailRuns} per scenario, median and worst):`);
      tail = await runTail(host, config, config.tailRuns);
    }
    if (sections.includes("real")) {
      console.log(
        "\nAgainst real rate limiters, each in a process of its own (worst run / minimum, 429s per run):",
      );
      realLimiters = await runRealLimiters(quick ? { ...REAL_LIMITER_CONFIG, runs: 1 } : REAL_LIMITER_CONFIG);
    }
    if (sections.includes("overhead")) {
      console.log("\nOverhead against the bare transport (interleaved rounds):");
      overhead = await runOverhead(host, config);
      console.log(describeOverhead(overhead));
    }
    if (sections.includes("pacer")) {
      console.log("\nPacer cost and memory (child process with --expose-gc):");
      pacer = await pacerCostInChild(quick);
    }
    if (sections.includes("scale")) {
      console.log("\nScale across keys:");
      scale = await runScale(host, config);
    }
  } finally {
    await host.terminate();
    clearInterval(loadTimer);
  }
  loads.push(load());
  return {
    config,
    command,
    machine: m,
    startedAt,
    durationS: (Date.now() - startedAt.getTime()) / 1000,
    load: { before: loads[0]!, after: loads.at(-1)!, max: Math.max(...loads) },
    peers,
    tail,
    realLimiters,
    realLimiterConfig: REAL_LIMITER_CONFIG,
    overhead,
    pacer,
    scale,
  };
}

function savedResults(path: string): BenchResults {
  const saved = JSON.parse(readFileSync(path, "utf8")) as BenchResults & { startedAt: string };
  return { ...saved, startedAt: new Date(saved.startedAt) };
}

/** Memory per key needs `global.gc`, and a heap of its own: the pacer section runs in a child. */
function pacerCostInChild(quickRun: boolean): Promise<PacerCostResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--expose-gc", "--import", "tsx", "bench/pacer-cost.ts", ...(quickRun ? ["--quick"] : [])],
      { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const last = stdout.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !last.startsWith("{")) reject(new Error(`bench/pacer-cost.ts exited with ${code}`));
      else resolve(JSON.parse(last) as PacerCostResult);
    });
  });
}

/** Replaces what lies between the markers, keeping the hand-written text around them. */
function writeGeneratedPart(path: string, generated: string): void {
  const doc = existsSync(path) ? readFileSync(path, "utf8") : `# Benchmarks\n\n${START}\n${END}\n`;
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  const body = `${START}\n\n${generated}\n\n${END}`;
  const next =
    from === -1 || to === -1
      ? `${doc.trimEnd()}\n\n${body}\n`
      : doc.slice(0, from) + body + doc.slice(to + END.length);
  writeFileSync(path, next);
}
