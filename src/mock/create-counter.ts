import type { Counter } from "./counter.js";
import { FixedWindow } from "./fixed-window.js";
import { RollingWindow } from "./rolling-window.js";
import { TokenBucket } from "./token-bucket.js";
import type { CountingModel } from "./types.js";

/** The counter of one limit, in the counting model the mock was started with (`windowOrigin`: fixed windows only). */
export function createCounter(
  model: CountingModel,
  limit: number,
  windowMs: number,
  windowOrigin?: number,
): Counter {
  switch (model) {
    case "rolling":
      return new RollingWindow(limit, windowMs);
    case "fixed":
      return new FixedWindow(limit, windowMs, windowOrigin);
    case "bucket":
      return new TokenBucket(limit, windowMs);
  }
}
