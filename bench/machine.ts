import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";

export interface Machine {
  nproc: string;
  cpu: string;
  memoryGiB: string;
  node: string;
  os: string;
}

export function machine(): Machine {
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync("nproc", { encoding: "utf8" }).trim();
  } catch {
    // not on Linux: the OS's CPU count stands in
  }
  return {
    nproc,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    os: `${process.platform} ${process.arch}`,
  };
}

/** The 1-minute load average: other work on the machine skews every figure. */
export function load(): number {
  return loadavg()[0] ?? 0;
}
