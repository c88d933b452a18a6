import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { AuditEntry } from "../../src/mock/index.js";

export interface MockProcess {
  url: string;
  /** The server's audit log, read from its admin route (never counted). */
  audit(): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

/**
 * The mock server in a process of its own, started through the `pacekeeper-mock` CLI: a test that
 * compares elapsed time with the server's minimum must not share its event loop (and its CPU
 * time) with the server that judges it.
 */
export async function startMockProcess(flags: Record<string, string | number>): Promise<MockProcess> {
  const args = Object.entries(flags).flatMap(([name, value]) => [`--${name}`, String(value)]);
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "src/mock/cli.ts", "--port", "0", ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`pacekeeper-mock exited with ${code} before listening`)));
  });
  return {
    url,
    async audit() {
      const res = await fetch(`${url}/__admin/audit`);
      return (await res.json()) as AuditEntry[];
    },
    async close() {
      if (child.exitCode !== null) return;
      child.kill("SIGINT");
      await once(child, "exit");
    },
  };
}
