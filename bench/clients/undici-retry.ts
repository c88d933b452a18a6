import { Agent, errors, RetryAgent, request } from "undici";
import { authHeaders, type ClientUnderTest } from "./types.js";

export const undiciRetryClient: ClientUnderTest = {
  name: "undici RetryAgent",
  setup:
    "`new RetryAgent(new Agent(), { maxRetries: 10 })` as undici's docs show, used as the " +
    "`dispatcher` of `undici.request`; its defaults otherwise (`retryAfter: true`, `minTimeout` " +
    "500 ms, `timeoutFactor` 2, `maxTimeout` 30 s, 429 among `statusCodes`).",
  create(target) {
    const agent = new RetryAgent(new Agent(), { maxRetries: target.retries });
    const headers = authHeaders(target);
    return {
      async get(path, signal) {
        try {
          const { statusCode, body } = await request(`${target.baseUrl}${path}`, {
            dispatcher: agent,
            headers,
            signal,
          });
          await body.arrayBuffer();
          return statusCode;
        } catch (error) {
          // Out of retries: the handler throws with the last status.
          if (error instanceof errors.RequestRetryError) return error.statusCode;
          throw error;
        }
      },
      close: () => agent.close(),
    };
  },
};
