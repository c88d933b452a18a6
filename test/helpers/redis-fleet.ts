import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { WorkerBoot, WorkerJob, WorkerResult } from "./redis-worker.js";

const WORKER = fileURLToPath(new URL("./redis-worker.ts", import.meta.url));

export interface RunOptions {
  /** Kill worker `index` with SIGKILL once it has completed `after` requests of this job. */
  kill?: { index: number; after: number };
  /** Kill every worker still busy after this long: a hang fails the test, not the run. */
  timeoutMs?: number;
}

export interface RunOutcome {
  /** One per worker; undefined for a worker that was killed or crashed. */
  results: (WorkerResult | undefined)[];
  killed: boolean;
  /** When the victim was killed (`Date.now()`): its last reservations were granted before it. */
  killedAt: number | undefined;
  stderr: string[];
}

export interface Fleet {
  /** Gives every worker its job, waits until all are prepared, then starts them at once. */
  run(jobs: WorkerJob[], options?: RunOptions): Promise<RunOutcome>;
  close(): Promise<void>;
}

interface Worker {
  child: ChildProcess;
  stderr: string;
  alive: boolean;
  /** Resolves with the next line the worker prints that `accept` takes. */
  next(accept: (line: string) => boolean): Promise<string>;
  onLine?: (line: string) => void;
}

/**
 * Starts `count` separate Node processes (test/helpers/redis-worker.ts) that will share keys
 * through the Redis on `redisPort`. Started once per test file: starting Node with tsx and
 * warming up costs seconds on two cores.
 */
export async function startFleet(count: number, boot: Omit<WorkerBoot, "index">): Promise<Fleet> {
  const workers: Worker[] = [];
  for (let index = 0; index < count; index++) {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, JSON.stringify({ ...boot, index })], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const waiting: { accept: (line: string) => boolean; resolve: (line: string) => void }[] = [];
    const failures: ((error: Error) => void)[] = [];
    const worker: Worker = {
      child,
      stderr: "",
      alive: true,
      next(accept) {
        return new Promise((resolve, reject) => {
          if (!worker.alive) {
            reject(new Error(`worker ${index} is gone: ${worker.stderr}`));
            return;
          }
          waiting.push({ accept, resolve });
          failures.push(reject);
        });
      },
    };
    child.stderr!.on("data", (chunk: Buffer) => {
      worker.stderr += chunk.toString();
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      worker.onLine?.(line);
      const i = waiting.findIndex((w) => w.accept(line));
      if (i === -1) return;
      const [w] = waiting.splice(i, 1);
      failures.splice(i, 1);
      w!.resolve(line);
    });
    // "close", not "exit": by then stderr has been read to the end.
    child.once("close", (code, signal) => {
      worker.alive = false;
      const error = new Error(`worker ${index} ended (${code ?? signal}): ${worker.stderr}`);
      for (const fail of failures.splice(0)) fail(error);
      waiting.splice(0);
    });
    workers.push(worker);
  }
  try {
    await Promise.all(workers.map((w) => w.next((line) => line === "ready")));
  } catch (error) {
    for (const w of workers) w.child.kill("SIGKILL");
    throw error;
  }
  // Workers left running when the test process ends would keep the machine busy.
  process.once("exit", () => {
    for (const w of workers) w.child.kill("SIGKILL");
  });

  return {
    async run(jobs, options = {}) {
      const stderrBefore = workers.map((w) => w.stderr.length);
      const guard = setTimeout(() => {
        for (const w of workers) w.child.kill("SIGKILL");
      }, options.timeoutMs ?? 40_000);
      let killed = false;
      let killedAt: number | undefined;
      try {
        await Promise.all(
          workers.map((w, i) => {
            const prepared = w.next((line) => line === "prepared");
            w.child.stdin!.write(`prepare ${JSON.stringify(jobs[i])}\n`);
            return prepared;
          }),
        );
        const kill = options.kill;
        if (kill) {
          const victim = workers[kill.index]!;
          victim.onLine = (line) => {
            if (!killed && line.startsWith("done ") && Number(line.slice(5)) >= kill.after) {
              killed = true;
              killedAt = Date.now();
              victim.child.kill("SIGKILL");
            }
          };
        }
        const results = await Promise.all(
          workers.map(async (w) => {
            const result = w.next((line) => line.startsWith("result "));
            w.child.stdin!.write("go\n");
            try {
              return JSON.parse((await result).slice(7)) as WorkerResult;
            } catch (error) {
              if (killed && !w.alive) return undefined;
              throw error;
            }
          }),
        );
        return { results, killed, killedAt, stderr: workers.map((w, i) => w.stderr.slice(stderrBefore[i])) };
      } finally {
        clearTimeout(guard);
        for (const w of workers) w.onLine = undefined;
      }
    },
    async close() {
      await Promise.all(
        workers.map(async (w) => {
          if (!w.alive) return;
          const closed = new Promise((resolve) => w.child.once("close", resolve));
          w.child.stdin!.write("exit\n");
          const timer = setTimeout(() => w.child.kill("SIGKILL"), 5_000);
          await closed;
          clearTimeout(timer);
        }),
      );
    },
  };
}
