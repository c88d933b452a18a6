/**
 * A diagnostic, not part of `npm run bench`: where the in-memory pacer spends an acquire +
 * release, and how that grows with the window log. `npx tsx bench/diagnose-pacer.ts`
 *
 * For log sizes 10 … 10,000 (a CampOne-shaped key whose log is kept full on a hand-moved clock,
 * as in bench/pacer-cost.ts), the CPU time per request; then a CPU profile at 1,000 entries
 * (CampOne's default) summed by function.
 */
import { campone, LocalKeyPacer, type SendOutcome } from "pacekeeper";
import { profile, topLines } from "./profile.js";

const COUNTED: SendOutcome = { kind: "response", status: 200, counted: true };
const windowMs = 3_600_000;

function fullLogKey(logSize: number) {
  const clock = {
    t: 1_700_000_000_000,
    now: () => clock.t,
    sleep: () => Promise.reject(new Error("the budget was meant never to bind")),
  };
  const dialect = campone({ limit: logSize, windowMs });
  const pacer = new LocalKeyPacer({
    limits: dialect.limits,
    probeFirst: false,
    backoff: dialect.backoff,
    clock,
  });
  const dt = windowMs / (logSize - 2);
  return async () => {
    clock.t += dt;
    const permit = await pacer.acquire();
    permit.release(COUNTED);
  };
}

console.log("CPU time per acquire + release, log kept full:");
for (const logSize of [10, 100, 1_000, 10_000]) {
  const step = fullLogKey(logSize);
  for (let i = 0; i < 2 * logSize; i++) await step();
  const n = Math.max(2_000, Math.min(200_000, 20_000_000 / logSize));
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await step();
  const used = process.cpuUsage(start);
  console.log(
    `  log ${String(logSize).padStart(6)}: ${(((used.user + used.system) * 1000) / n).toFixed(0)} ns`,
  );
}

const step = fullLogKey(1_000);
for (let i = 0; i < 2_000; i++) await step();
const summary = await profile(async () => {
  for (let i = 0; i < 100_000; i++) await step();
});
console.log("\nCPU profile at 1,000 entries — self time, top 10:");
console.log(topLines(summary.self, 10));
console.log("\nInclusive time of the pacer's functions (src/):");
console.log(topLines(summary.inclusive, 12, (k) => k.includes("src/")));
