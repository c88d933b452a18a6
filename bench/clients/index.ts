import { bottleneckClient } from "./bottleneck.js";
import { docLoopClient } from "./doc-loop.js";
import { gotClient } from "./got.js";
import { kyClient } from "./ky.js";
import { pRetryClient } from "./p-retry.js";
import { pThrottleClient } from "./p-throttle.js";
import { pacekeeperClient } from "./pacekeeper.js";
import type { ClientUnderTest } from "./types.js";
import { undiciRetryClient } from "./undici-retry.js";

/** Every client of the side-by-side runs, pacekeeper first. */
export const CLIENTS: readonly ClientUnderTest[] = [
  pacekeeperClient,
  docLoopClient,
  pRetryClient,
  undiciRetryClient,
  kyClient,
  bottleneckClient,
  gotClient,
  pThrottleClient,
];

export type { BenchClient, ClientUnderTest, Target } from "./types.js";
