// A worker module for test/workers.test.ts: one CampOne client per worker, one request per job.
// Plain JavaScript on the built package (`npm test` builds first), as a user's worker would be.
import { campone, createClient, serveWorkerJobs } from "../../dist/index.js";

serveWorkerJobs({
  createClient: ({ apiKey, data, hooks }) =>
    createClient({ baseUrl: data.baseUrl, apiKey, dialect: campone(), ...(hooks ? { hooks } : {}) }),
  async run(job, client) {
    if (job.kind === "exit") process.exit(3); // the worker dies before the job sends anything
    if (job.kind === "throw") throw new TypeError(`job ${job.id} is not valid`);
    if (job.kind === "unclonable") return { id: job.id, callback: () => {} };
    const booking = await client.request({ path: `/bookings/${job.bookingId}` });
    return { id: job.id, bookingId: booking.id, key: client.key };
  },
});
