/**
 * A small soak in a process of its own (run by `test/reliability-soak.test.ts` through tsx): after
 * `client.close()` and `server.close()` nothing may keep the event loop alive — no timer, no socket —
 * so the process must exit by itself. It prints one JSON line with what it saw, then "closed".
 */
import { runSoak, unsafeResends } from "./fault-soak.js";

const unhandled: string[] = [];
process.on("unhandledRejection", (reason) => {
  unhandled.push(String(reason));
});

const calls = Number(process.argv[2] ?? "1000");
const report = await runSoak({ calls, concurrency: 32, faultRate: 0.05, seed: 11 });
const summary = {
  calls: report.calls.filter((call) => call !== undefined).length,
  untyped: report.calls.filter((call) => call.outcome === "untyped").map((call) => call.detail),
  unsafeResends: unsafeResends(report).length,
  faults: report.audit.filter((row) => row.fault !== null).length,
  unhandled,
  // For the reader of a failure: what was still open right after closing.
  resources: process.getActiveResourcesInfo(),
};
process.stdout.write(`${JSON.stringify(summary)}\nclosed\n`);
