import { type Client, createClient } from "pacekeeper";
import { presetFor } from "../config.js";
import type { BenchClient, ClientUnderTest } from "./types.js";

export const pacekeeperClient: ClientUnderTest = {
  name: "pacekeeper",
  setup:
    "`createClient({ baseUrl, apiKey, dialect })` with `campone({ limit, windowMs })` or " +
    "`boothzen({ limit, windowMs, burst, burstWindowMs })` set to the server's limits, " +
    "`retry: { rateLimitRetries: 10 }`; `client.fetch(path)`. Everything else default " +
    "(global `fetch` over a keep-alive undici `Agent`, in-memory pacer).",
  create(target) {
    const client = createClient({
      baseUrl: target.baseUrl,
      apiKey: target.apiKey,
      dialect: presetFor(target),
      retry: { rateLimitRetries: target.retries },
    });
    return benchClientOf(client);
  },
};

/** A pacekeeper client as the bench drives it: a GET whose body is read, and its status. */
export function benchClientOf(client: Client): BenchClient {
  return {
    async get(path, signal) {
      const res = await client.fetch(path, { signal });
      await res.arrayBuffer();
      return res.status;
    },
    close: () => client.close(),
  };
}
