import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

/** The real rate limiters `real-limiter-server.mjs` runs, each as its documentation sets it up. */
export const HEADER_LIMITERS = [
  "express-draft-6",
  "express-draft-7",
  "express-draft-8",
  "express-legacy",
  "fastify",
  "flexible",
  "hono-draft-6",
  "hono-draft-7",
] as const;

/** Servers that send no rate-limit header: a leaky bucket refusing at once, or delaying the excess. */
export const HEADERLESS_LIMITERS = ["leaky", "leaky-delay"] as const;

export type LimiterKind = (typeof HEADER_LIMITERS)[number] | (typeof HEADERLESS_LIMITERS)[number];

export interface LimiterProcess {
  url: string;
  /** Every limited request the server answered: when (ms on its clock) and with which status. */
  audit(): Promise<{ at: number; status: number }[]>;
  close(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL("./real-limiter-server.mjs", import.meta.url));

/** Starts a real limiter of `limit` requests per `windowMs` in a process of its own. */
export async function startLimiter(
  kind: LimiterKind,
  limit: number,
  windowMs: number,
): Promise<LimiterProcess> {
  const child: ChildProcess = spawn(process.execPath, [SCRIPT, kind, String(limit), String(windowMs)], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`${kind} limiter exited with ${code} before listening`)));
  });
  return {
    url,
    async audit() {
      const res = await fetch(`${url}/__audit`);
      return (await res.json()) as { at: number; status: number }[];
    },
    async close() {
      if (child.exitCode !== null) return;
      child.kill();
      await once(child, "exit");
    },
  };
}
