import got, { HTTPError } from "got";
import { authHeaders, type ClientUnderTest } from "./types.js";

export const gotClient: ClientUnderTest = {
  name: "got 14",
  setup:
    "`got.extend({ prefixUrl, headers, retry: { limit: 10 } })`: got's retry defaults otherwise " +
    "(429 retried after `Retry-After`, capped by `maxRetryAfter`, which defaults to the request " +
    "timeout: none here), over Node's global `http.Agent` (keep-alive).",
  create(target) {
    const api = got.extend({
      prefixUrl: target.baseUrl,
      headers: authHeaders(target),
      retry: { limit: target.retries },
    });
    return {
      async get(path, signal) {
        try {
          const res = await api.get(path.slice(1), { signal });
          return res.statusCode;
        } catch (error) {
          if (error instanceof HTTPError) return error.response.statusCode;
          throw error;
        }
      },
      close: async () => {},
    };
  },
};
