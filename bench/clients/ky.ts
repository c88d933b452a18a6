import ky, { HTTPError } from "ky";
import { authHeaders, type ClientUnderTest } from "./types.js";

export const kyClient: ClientUnderTest = {
  name: "ky 1",
  setup:
    "`ky.create({ prefixUrl, headers, retry: { limit: 10 }, timeout: false })`: ky's retry " +
    "defaults otherwise (429 in `statusCodes` and `afterStatusCodes`, so it waits `Retry-After`; " +
    "0.3 s × 2^n backoff without it). `timeout: false` because ky's 10 s default counts the " +
    "retries' waits and would fail jobs the other clients are allowed to finish.",
  create(target) {
    const api = ky.create({
      prefixUrl: target.baseUrl,
      headers: authHeaders(target),
      retry: { limit: target.retries },
      timeout: false,
    });
    return {
      async get(path, signal) {
        try {
          const res = await api.get(path.slice(1), { signal });
          await res.arrayBuffer();
          return res.status;
        } catch (error) {
          if (error instanceof HTTPError) return error.response.status;
          throw error;
        }
      },
      close: async () => {},
    };
  },
};
