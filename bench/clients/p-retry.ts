import pRetry from "p-retry";
import { authHeaders, type ClientUnderTest } from "./types.js";

class RetryableStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

export const pRetryClient: ClientUnderTest = {
  name: "p-retry 7",
  setup:
    "`pRetry(run, { retries: 10, signal })` where `run` calls the global `fetch` and throws on a " +
    "429 or 5xx, as p-retry's readme shows; its defaults otherwise (`factor` 2, `minTimeout` 1 s, " +
    "no randomization). p-retry has no way to take `Retry-After` per attempt (p-retry#27).",
  create(target) {
    const headers = authHeaders(target);
    return {
      async get(path, signal) {
        try {
          return await pRetry(
            async () => {
              const res = await fetch(`${target.baseUrl}${path}`, { headers, signal });
              await res.arrayBuffer();
              if (res.status === 429 || res.status >= 500) throw new RetryableStatus(res.status);
              return res.status;
            },
            { retries: target.retries, signal },
          );
        } catch (error) {
          if (error instanceof RetryableStatus) return error.status;
          throw error;
        }
      },
      close: async () => {},
    };
  },
};
