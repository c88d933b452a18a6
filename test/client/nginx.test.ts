import { afterEach, describe, expect, it } from "vitest";
import { createClient, ietf } from "../../src/index.js";
import { announceMissingService } from "../helpers/missing-service.js";
import { findNginx, type NginxProcess, startNginx } from "../helpers/nginx.js";
import { pacedBatch } from "../helpers/paced-batch.js";

/**
 * Debian's nginx with `limit_req` (10 r/s, burst 5), which sends no header of its limit and
 * refuses with a bare 429: `ietf()` learns its pace. `.ci/run` installs nginx; where it is not
 * installed, the test says so and is skipped.
 */
const nginx = findNginx();
if (nginx === undefined) announceMissingService("nginx", "nginx.test.ts");
const RATE = 10;
const BURST = 5;
const N = 60;

const servers: NginxProcess[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function run(nodelay: boolean, limits: { limit: number; windowMs: number }[]) {
  const server = await startNginx(nginx!, { rate: RATE, burst: BURST, nodelay });
  servers.push(server);
  const client = createClient({ baseUrl: server.url, apiKey: "key_nginx", dialect: ietf({ limits }) });
  const { failed, elapsedMs: elapsed } = await pacedBatch(client, N);
  const statuses = await server.close();
  // nodelay: the burst goes at once, then one request per 1/rate; delayed: one per 1/rate from the first.
  const minimum = ((nodelay ? N - BURST - 1 : N - 1) * 1000) / RATE;
  return {
    failed,
    served: statuses.filter((s) => s === 200).length,
    refused: statuses.filter((s) => s === 429).length,
    ratio: elapsed / minimum,
  };
}

describe.skipIf(nginx === undefined)("nginx limit_req (10 r/s, burst 5, bare 429s)", () => {
  it.each([true, false])("nodelay %s, no configuration: at most 8 refusals, within 1.5x", async (nodelay) => {
    const result = await run(nodelay, []);
    expect(result.failed).toBe(0);
    expect(result.served).toBe(N);
    expect(result.refused).toBeLessThanOrEqual(8);
    expect(result.ratio).toBeLessThanOrEqual(1.5);
  });

  it.each([true, false])(
    "nodelay %s, the rate configured: at most 8 refusals, within 1.3x",
    async (nodelay) => {
      const result = await run(nodelay, [{ limit: RATE, windowMs: 1000 }]);
      expect(result.failed).toBe(0);
      expect(result.served).toBe(N);
      expect(result.refused).toBeLessThanOrEqual(8);
      expect(result.ratio).toBeLessThanOrEqual(1.3);
    },
  );
});
