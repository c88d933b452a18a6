import { boothzen, campone, createClient } from "pacekeeper";
import type { ClientUnderTest } from "./types.js";

export const pacekeeperClient: ClientUnderTest = {
  name: "pacekeeper",
  setup:
    "`createClient({ baseUrl, apiKey, dialect })` with `campone({ limit, windowMs })` or " +
    "`boothzen({ limit, windowMs, burst, burstWindowMs })` set to the server's limits, " +
    "`retry: { rateLimitRetries: 10 }`; `client.fetch(path)`. Everything else default " +
    "(global `fetch` over a keep-alive undici `Agent`, in-memory pacer).",
  create(target) {
    const dialect =
      target.dialect === "campone"
        ? campone({ limit: target.limit, windowMs: target.windowMs })
        : boothzen({
            limit: target.limit,
            windowMs: target.windowMs,
            burst: target.burst ?? 60,
            burstWindowMs: target.burstWindowMs ?? 1000,
          });
    const client = createClient({
      baseUrl: target.baseUrl,
      apiKey: target.apiKey,
      dialect,
      retry: { rateLimitRetries: target.retries },
    });
    return {
      async get(path, signal) {
        const res = await client.fetch(path, { signal });
        await res.arrayBuffer();
        return res.status;
      },
      close: () => client.close(),
    };
  },
};
