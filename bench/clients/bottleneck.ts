import Bottleneck from "bottleneck";
import { authHeaders, type ClientUnderTest } from "./types.js";

class RateLimited extends Error {
  constructor(readonly retryAfterMs: number) {
    super("HTTP 429");
  }
}

export const bottleneckClient: ClientUnderTest = {
  name: "Bottleneck (Octokit-style)",
  setup:
    "`new Bottleneck({ reservoir: limit, reservoirRefreshAmount: limit, reservoirRefreshInterval: " +
    "windowMs, minTime: burstWindowMs / burst, maxConcurrent: 10 })` — the documented limits as " +
    "Bottleneck's readme configures a quota (reservoir plus `minTime` to stagger it; CampOne has no " +
    "burst, so no `minTime`), with `maxConcurrent: 10` as Octokit's global group; a 429 is retried " +
    "after `Retry-After` by returning it from the `failed` event, as @octokit/plugin-throttling's " +
    "retry limiter does (up to 10 times).",
  create(target, stop) {
    const limiter = new Bottleneck({
      reservoir: target.limit,
      reservoirRefreshAmount: target.limit,
      reservoirRefreshInterval: target.windowMs,
      maxConcurrent: 10,
      minTime:
        target.burst !== undefined && target.burstWindowMs !== undefined
          ? target.burstWindowMs / target.burst
          : 0,
    });
    limiter.on("failed", (error: unknown, info) => {
      if (error instanceof RateLimited && info.retryCount < target.retries && !stop.aborted) {
        return error.retryAfterMs;
      }
      return undefined;
    });
    const headers = authHeaders(target);
    return {
      async get(path, signal) {
        try {
          return await limiter.schedule(async () => {
            const res = await fetch(`${target.baseUrl}${path}`, { headers, signal });
            await res.arrayBuffer();
            if (res.status === 429) throw new RateLimited(Number(res.headers.get("retry-after")) * 1000);
            return res.status;
          });
        } catch (error) {
          if (error instanceof RateLimited) return 429;
          throw error;
        }
      },
      async close() {
        await limiter.stop({ dropWaitingJobs: true }).catch(() => {});
        await limiter.disconnect();
      },
    };
  },
};
