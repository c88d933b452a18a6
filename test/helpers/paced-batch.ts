import type { Client } from "../../src/index.js";
import { runPool } from "./simulated-transport.js";

/**
 * `total` GETs of `/items/<i>` through `client`, `concurrency` at once, each body discarded; closes
 * the client. What the tests against real rate limiters measure: the batch's wall time and the
 * calls that did not end in a 2xx.
 */
export async function pacedBatch(
  client: Client,
  total: number,
  concurrency = 16,
): Promise<{ failed: number; elapsedMs: number }> {
  let failed = 0;
  const start = performance.now();
  try {
    await runPool(total, concurrency, async (i) => {
      const res = await client.fetch(`/items/${i}`);
      await res.body?.cancel();
      if (!res.ok) failed++;
    });
  } finally {
    await client.close();
  }
  return { failed, elapsedMs: performance.now() - start };
}
