/**
 * `npm run demo`: both mock servers in-process on loopback, with windows scaled down to seconds,
 * a realistic batch against each with 4 keys through a key pool, progress while it runs, and a
 * summary table at the end. No network beyond 127.0.0.1; exits by itself.
 */
import { DEMO_SETTINGS, type DemoSummary, formatSummaryTable, runDemoBatch } from "./batch.js";

const out = process.stdout;
// A terminal gets a redrawn bar; a pipe or a CI log gets a plain line every 2 s.
const progress = { stream: out, ...(out.isTTY ? {} : { intervalMs: 2_000 }) };

const describe = {
  campone: (s: DemoSummary) =>
    `pulled ${s.listed} of ${s.expected} bookings arriving ${DEMO_SETTINGS.campone.from}..${DEMO_SETTINGS.campone.to} (page_size=200), created ${s.created}`,
  boothzen: (s: DemoSummary) =>
    `paged through ${s.listed} bookings by cursor (page_size=200), fetched ${DEMO_SETTINGS.boothzen.fetches} by id, created ${s.created}`,
};

const summaries: DemoSummary[] = [];
for (const settings of [DEMO_SETTINGS.campone, DEMO_SETTINGS.boothzen]) {
  const limits =
    settings.dialect === "campone"
      ? `${settings.limit} per ${settings.windowMs / 1000} s rolling`
      : `${settings.limit} per ${settings.windowMs / 1000} s fixed, burst ${settings.burst} per ${(settings.burstWindowMs ?? 1000) / 1000} s`;
  out.write(`\n${settings.dialect}: ${settings.keys} keys, ${limits} per key\n`);
  const summary = await runDemoBatch({ ...settings, progress });
  out.write(`${describe[settings.dialect](summary)}\n`);
  summaries.push(summary);
}
out.write(`\n${formatSummaryTable(summaries)}\n`);
out.write(
  "\nvs minimum: the wall time divided by the least time the server's counting allows for the busiest key's share (1.00x: no time lost).\n",
);

const bad = summaries.filter((s) => s.failed > 0 || s.starts !== s.jobs || s.rateLimitedAfterFirst > 0);
if (bad.length > 0) {
  out.write(`\nunexpected: ${bad.map((s) => s.dialect).join(", ")} had failures, repeats or late 429s\n`);
  process.exitCode = 1;
}
