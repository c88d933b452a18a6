// A worker module for test/workers.test.ts: one CampOne client per worker, one request per job.
// Plain JavaScript on the built package (`npm test` builds first), as a user's worker would be.

import { threadId } from "node:worker_threads";
import { serveWorkerJobs } from "../../dist/batch/index.js";
import { campone, createClient } from "../../dist/index.js";

/** The batch's `workerData`, as `createClient` receives it. */
let workerData;
/** Whether this worker has counted itself into `data.started` (see `allStarted`). */
let counted = false;

/**
 * With `data.started` (an Int32Array on a SharedArrayBuffer) and `data.workers`, a job waits until
 * every worker has begun one: otherwise, on a loaded machine, the workers that start first can
 * finish the whole batch before the last one is up, and "every key did some work" would be luck.
 */
async function allStarted(data) {
  if (!data.started) return;
  if (!counted) {
    counted = true;
    Atomics.add(data.started, 0, 1);
  }
  const giveUpAt = Date.now() + 10_000;
  while (Atomics.load(data.started, 0) < data.workers && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

serveWorkerJobs({
  createClient: ({ apiKey, data, hooks }) => {
    workerData = data;
    return createClient({ baseUrl: data.baseUrl, apiKey, dialect: campone(), ...(hooks ? { hooks } : {}) });
  },
  async run(job, client) {
    if (job.kind === "exit") process.exit(3); // the worker dies before the job sends anything
    if (job.kind === "exit-after-request") {
      await client.request({ path: `/bookings/${job.bookingId}` });
      process.exit(3); // the worker dies after the job's request reached the server
    }
    if (job.kind === "throw") throw new TypeError(`job ${job.id} is not valid`);
    if (job.kind === "unclonable") return { id: job.id, callback: () => {} };
    await allStarted(workerData);
    const booking = await client.request({ path: `/bookings/${job.bookingId}` });
    return { id: job.id, bookingId: booking.id, key: client.key, thread: threadId };
  },
});
