import { afterEach } from "vitest";
import {
  type ClientOptions,
  campone,
  createClient,
  memoryStore,
  type PacekeeperEvent,
} from "../../src/index.js";
import { createVirtualClock } from "../../src/testing/index.js";
import type { scriptedFetch } from "./scripted-fetch.js";

/**
 * The clients of a test file, closed after each test, and the usual one to make: a client of
 * `apiKey` on an auto-advancing virtual clock, with its own store, a scripted transport, and every
 * event it emits recorded. Call it at the top of a test file: it registers an `afterEach`.
 */
export function scriptedClients(apiKey: string) {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  return {
    /** Closes these after the test, as `setup`'s clients are. */
    closeAfterTest(...closables: { close(): Promise<void> }[]): void {
      open.push(...closables);
    },
    setup(fetch: ReturnType<typeof scriptedFetch>, options: Partial<ClientOptions> = {}) {
      const clock = createVirtualClock(1_700_000_000_000);
      clock.autoAdvance(true);
      const events: PacekeeperEvent[] = [];
      const client = createClient({
        baseUrl: "https://api.example.test/",
        apiKey,
        dialect: campone({ backoff: { retryAfterJitterMs: 0 } }),
        fetch,
        clock,
        store: memoryStore(),
        hooks: { event: (e) => events.push(e) },
        ...options,
      });
      open.push(client, { close: async () => clock.autoAdvance(false) });
      return { client, clock, events };
    },
  };
}
