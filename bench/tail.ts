/**
 * Every run, not the median: pacekeeper alone, each scenario of the side-by-side runs several
 * times on a fresh mock server, reported by its median and its worst run. A key that loses a whole
 * window in one run of five shows here, where a median hides it.
 */
import { pacekeeperClient } from "./clients/pacekeeper.js";
import type { BenchConfig } from "./config.js";
import type { ServerHost } from "./host/index.js";
import { runPeer } from "./peers.js";
import { fixed, median, sleep } from "./stats.js";

export interface TailResult {
  scenario: string;
  /** Each run's time over the server's minimum. */
  ratios: number[];
  /** Each run's 429s. */
  refused: number[];
  /** Jobs not served, over every run. */
  failed: number;
}

export async function runTail(host: ServerHost, config: BenchConfig, runs: number): Promise<TailResult[]> {
  const results: TailResult[] = [];
  for (const scenario of config.scenarios) {
    const result: TailResult = { scenario: scenario.label, ratios: [], refused: [], failed: 0 };
    for (let run = 0; run < runs; run++) {
      const r = await runPeer(host, config, scenario, pacekeeperClient);
      result.ratios.push(r.ratio);
      result.refused.push(r.refused);
      result.failed += r.failed + r.unfinished;
      await sleep(250);
    }
    results.push(result);
    console.log(
      `  ${scenario.label.padEnd(20)} ${runs} runs: median ${fixed(median(result.ratios), 3)}, worst ${fixed(Math.max(...result.ratios), 3)}` +
        `, 429s per run ${result.refused.join(" ")}${result.failed ? `, ${result.failed} jobs not served` : ""}`,
    );
  }
  return results;
}
