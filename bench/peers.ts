/** The side-by-side runs: every client, the same batch, a fresh mock server each time. */
import { CLIENTS, type ClientUnderTest } from "./clients/index.js";
import { type BenchConfig, jobPath, rulesOf, type Scenario } from "./config.js";
import type { ServerHost } from "./host/index.js";
import { runJobs } from "./run-jobs.js";
import { countViolations, idealMinimumMs, replayAudit } from "./server-model.js";
import { fixed, sleep } from "./stats.js";

export interface PeerResult {
  client: string;
  scenario: string;
  /** Completion time over the server's minimum (the cap's multiple when capped). */
  ratio: number;
  minimumMs: number;
  /** 429s the server sent this key. */
  refused: number;
  /** Requests the server received from this key (audit rows): jobs plus waste. */
  sent: number;
  /** Requests that reached the server inside a `Retry-After` window given to the key. */
  violations: number;
  done: number;
  failed: number;
  unfinished: number;
  capped: boolean;
  failures: string;
  /** Time stamps where the replayed model disagrees with the server's verdicts (0: exact). */
  replayDisagreements: number;
}

let runNumber = 0;

export async function runPeer(
  host: ServerHost,
  config: BenchConfig,
  scenario: Scenario,
  client: ClientUnderTest,
): Promise<PeerResult> {
  const server = await host.startMock({
    dialect: scenario.dialect,
    counting: scenario.model,
    limit: scenario.limit,
    windowMs: scenario.windowMs,
    ...(scenario.burst !== undefined ? { burst: scenario.burst, burstWindowMs: scenario.burstWindowMs } : {}),
  });
  const apiKey = `key_bench_${++runNumber}_${process.pid}`;
  const rules = rulesOf(scenario);
  const minimumMs = idealMinimumMs(scenario.model, rules, config.jobs);
  const capMs = Math.max(config.capFactor * minimumMs, minimumMs + 3_000);
  const stop = new AbortController();
  const bench = client.create(
    {
      dialect: scenario.dialect,
      baseUrl: server.url,
      apiKey,
      limit: scenario.limit,
      windowMs: scenario.windowMs,
      burst: scenario.burst,
      burstWindowMs: scenario.burstWindowMs,
      retries: 10,
    },
    stop.signal,
  );
  const outcome = await runJobs(
    config.jobs,
    config.concurrency,
    capMs,
    (i, signal) => bench.get(jobPath(scenario, i), signal),
    stop,
  );
  await Promise.race([bench.close().catch(() => {}), sleep(2_000)]);
  await sleep(250);
  const audit = await server.audit(apiKey);
  await server.close();
  const replay = replayAudit(audit, scenario.model, rules, scenario.refusedCounts);
  return {
    client: client.name,
    scenario: scenario.label,
    ratio: outcome.elapsedMs / minimumMs,
    minimumMs,
    refused: audit.filter((row) => row.status === 429).length,
    sent: audit.length,
    violations: countViolations(replay.rows, config.violationGraceMs),
    done: outcome.done,
    failed: outcome.failed,
    unfinished: outcome.unfinished,
    capped: outcome.capped,
    failures: [...outcome.failures].map(([k, v]) => `${v}×${k}`).join(", "),
    replayDisagreements: replay.disagreements,
  };
}

export async function runPeers(
  host: ServerHost,
  config: BenchConfig,
  only: (name: string) => boolean,
): Promise<PeerResult[]> {
  const results: PeerResult[] = [];
  for (const scenario of config.scenarios) {
    for (const client of CLIENTS) {
      if (!only(client.name)) continue;
      const r = await runPeer(host, config, scenario, client);
      results.push(r);
      console.log(
        `  ${scenario.label.padEnd(20)} ${client.name.padEnd(28)} time/min ${r.capped ? `>${fixed(r.ratio)}` : fixed(r.ratio)}` +
          `  429s ${r.refused}  sent ${r.sent}  violations ${r.violations}  done ${r.done}/${config.jobs}` +
          (r.failures ? `  (${r.failures})` : "") +
          (r.replayDisagreements ? `  [replay disagrees at ${r.replayDisagreements} ms]` : ""),
      );
      await sleep(500);
    }
  }
  return results;
}
