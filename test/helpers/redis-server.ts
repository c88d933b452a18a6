import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { connect, createServer } from "node:net";
import { announceMissingService } from "./missing-service.js";

/**
 * A throwaway `redis-server` on a free loopback port, for the tests of `pacekeeper/redis`.
 * Where the binary is not on PATH the Redis tests are skipped, and say so; CI installs it
 * (`.ci/run`).
 */
export const hasRedis = (() => {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Says once per test file where the binary is missing (and fails the file where CI requires it). */
export function announceRedisSkip(file: string): void {
  if (!hasRedis) announceMissingService("redis-server", file);
}

export interface RedisServer {
  port: number;
  url: string;
  /** Stops the server (SIGKILL with `hard`, as a crash would), and resolves once it has exited. */
  stop(options?: { hard?: boolean }): Promise<void>;
}

/** Asks the OS for a free port by binding port 0, then lets it go for redis-server to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The most of redis-server's output kept, to show when it fails to start (its tail says why). */
const OUTPUT_KEPT = 8_192;

export async function startRedisServer(port?: number): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const chosen = port ?? (await freePort());
    const child = spawn(
      "redis-server",
      ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    // Its log goes to a buffer, not the test run's output; read always, so a full pipe never
    // blocks the server.
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_KEPT);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    // A test run that ends without stopping it must not leave the server behind.
    const orphan = () => child.kill("SIGKILL");
    process.once("exit", orphan);
    const exited = new Promise<void>((resolve) =>
      child.once("exit", () => {
        process.off("exit", orphan);
        resolve();
      }),
    );
    child.once("error", () => {});
    if (await listening(chosen, child)) {
      return {
        port: chosen,
        url: `redis://127.0.0.1:${chosen}`,
        async stop({ hard = false } = {}) {
          if (child.exitCode === null && child.signalCode === null) child.kill(hard ? "SIGKILL" : "SIGTERM");
          await exited;
        },
      };
    }
    child.kill("SIGKILL");
    await exited;
    // Someone took the port between our probe and redis-server's bind: try another.
    if (attempt >= 3 || port !== undefined) {
      throw new Error(`redis-server did not start on port ${chosen}; its output:\n${output}`);
    }
  }
}

/** Whether redis-server accepts connections on `port` within 5 s (false if it exits first). */
async function listening(port: number, child: ChildProcess): Promise<boolean> {
  const until = Date.now() + 5_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}
