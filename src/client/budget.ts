import { firstSegment } from "../dialects/dialect.js";
import { knownKeys, nonEmptyString, plainObject } from "../internal/validate.js";
import type { KeyBudget } from "../pacer/budget.js";
import type { ClientRuntime } from "./context.js";
import { apiKeyOf } from "./options.js";

export interface BudgetOptions {
  /** Another key than the client's `apiKey`: one a request names, or an SDK sets. */
  apiKey?: string;
  /**
   * A path whose route `nextSendAt` is for, where the server keeps a bucket per route (GitHub's
   * `/search/code`): the route's buckets, rather than those every route shares.
   */
  path?: string;
}

/** `client.budget`, declared here so that `Client` gains it by one `extends`. */
export interface ReadsBudget {
  /**
   * The key's budget as its pacer sees it now, synchronously: for each limit in force (each
   * configured window, each quota the server described) the `limit`, what is `remaining`, and
   * `resetAt`, when more comes back (epoch ms on the client's clock); then the requests `waiting`
   * in this process, those `inFlight`, and `nextSendAt`. With a server's headers, `remaining` is its
   * figure less the sends it cannot have counted yet; without (CampOne), the key's own sends
   * counted in the window's log. Nothing is sent to ask.
   *
   * @example
   * const { limits, nextSendAt } = client.budget();
   * for (const { limit, remaining, resetAt } of limits) {
   *   console.log(`${remaining} of ${limit} left, more at ${resetAt && new Date(resetAt).toISOString()}`);
   * }
   */
  budget(options?: BudgetOptions): KeyBudget;
}

/** `client.budget`: the pacer's view of the key, or nothing for a client with no key of its own. */
export function readBudget(runtime: ClientRuntime, options: BudgetOptions = {}): KeyBudget {
  plainObject("options", options);
  knownKeys("budget() options", options, ["apiKey", "path"]);
  const { dialect, clock } = runtime.options;
  const secret = options.apiKey ?? runtime.options.apiKey;
  // `auth: { fromRequest }` without an `apiKey`: each request's credential is a key of its own.
  if (secret === undefined) return { limits: [], waiting: 0, inFlight: 0, nextSendAt: clock.now() };
  const { pacer } = runtime.credentials.of(apiKeyOf("apiKey", secret));
  if (options.path === undefined) return pacer.budget();
  const path = nonEmptyString("path", options.path).replace(/^\/*/, "/");
  return pacer.budget(dialect.route ? dialect.route(path) : firstSegment(path));
}
