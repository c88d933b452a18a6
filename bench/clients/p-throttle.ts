import pThrottle from "p-throttle";
import { callWithBackoff, fetchReadingRefusals } from "./doc-loop.js";
import { authHeaders, type ClientUnderTest } from "./types.js";

export const pThrottleClient: ClientUnderTest = {
  name: "p-throttle 8 + doc loop",
  setup:
    "`pThrottle({ limit, interval: windowMs, strict: true })` (and, for BoothZen, a second one for " +
    "the burst) around the global `fetch`; p-throttle has no retry, so a 429 goes through the " +
    "document's `callWithBackoff` loop and back through the throttle.",
  create(target, stop) {
    const main = pThrottle({ limit: target.limit, interval: target.windowMs, strict: true, signal: stop });
    const burst =
      target.burst !== undefined && target.burstWindowMs !== undefined
        ? pThrottle({ limit: target.burst, interval: target.burstWindowMs, strict: true, signal: stop })
        : undefined;
    const headers = authHeaders(target);
    const once = (url: string, signal: AbortSignal) => fetchReadingRefusals(url, { headers, signal });
    const throttled = burst ? main(burst(once)) : main(once);
    return {
      async get(path, signal) {
        const res = await callWithBackoff(() => throttled(`${target.baseUrl}${path}`, signal));
        if (res.status !== 429) await res.arrayBuffer();
        return res.status;
      },
      close: async () => {},
    };
  },
};
