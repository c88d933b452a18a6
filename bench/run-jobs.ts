/** Runs a batch with a fixed concurrency and a time cap, and tells what became of every job. */
import { setMaxListeners } from "node:events";

export interface JobsOutcome {
  /** Jobs that ended with a 2xx. */
  done: number;
  /** Jobs that ended otherwise: a final non-2xx status, or the client gave up by throwing. */
  failed: number;
  /** Jobs cut by the time cap (in progress or never started). */
  unfinished: number;
  /** From the first send until the last job ended; the cap when the cap cut the batch. */
  elapsedMs: number;
  capped: boolean;
  /** Final statuses of the failed jobs, and "error" for throws. */
  failures: Map<string, number>;
}

/**
 * Runs jobs `0 … total-1`, at most `concurrency` at once. At `capMs` the signal given to every job
 * aborts and the batch ends at once, whatever is still waiting; jobs still asleep in a retry loop
 * that ignores the signal (the BoothZen document's) end at their next attempt.
 */
export async function runJobs(
  total: number,
  concurrency: number,
  capMs: number,
  job: (index: number, signal: AbortSignal) => Promise<number>,
  stop: AbortController = new AbortController(),
): Promise<JobsOutcome> {
  // Every request of the batch listens to the one cap signal.
  setMaxListeners(0, stop.signal);
  const failures = new Map<string, number>();
  let next = 0;
  let done = 0;
  let failed = 0;
  const start = performance.now();
  let lastEnd = start;
  const worker = async () => {
    while (next < total && !stop.signal.aborted) {
      const index = next++;
      try {
        const status = await job(index, stop.signal);
        if (stop.signal.aborted) return;
        if (status >= 200 && status < 300) done++;
        else {
          failed++;
          failures.set(String(status), (failures.get(String(status)) ?? 0) + 1);
        }
      } catch (error) {
        if (stop.signal.aborted) return;
        failed++;
        const name = error instanceof Error ? error.name : "error";
        failures.set(name, (failures.get(name) ?? 0) + 1);
      }
      lastEnd = performance.now();
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const capped = await Promise.race([
    Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker)).then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        stop.abort(new Error("time cap"));
        resolve(true);
      }, capMs);
    }),
  ]);
  clearTimeout(timer);
  return {
    done,
    failed,
    unfinished: total - done - failed,
    elapsedMs: capped ? capMs : lastEnd - start,
    capped,
    failures,
  };
}
