/**
 * A Redis for the benchmarks and diagnostics that share a key through `pacekeeper/redis`:
 * `REDIS_URL` when set, otherwise a throwaway `redis-server` (it must be on PATH) on a free
 * loopback port, without persistence, stopped by `stop()`.
 */
import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function redisUrl(): Promise<{ url: string; stop: () => void }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => {} };
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", ""], {
    stdio: "ignore",
  });
  child.once("error", (error) => {
    console.error(`Cannot start redis-server (${error.message}); set REDIS_URL to use another.`);
    process.exit(1);
  });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill() };
}
