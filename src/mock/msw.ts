/**
 * `createMockHandlers`: the mock as msw request handlers, for `setupServer(...handlers)` from
 * `msw/node`. msw is an optional peer dependency, so it is loaded only when this is called: a user
 * of `startMockServer` alone does not need it installed. (msw tells its handlers apart by their
 * `kind`, not by class identity, so a CommonJS copy of msw serves an ES module `setupServer` too.)
 */
import { createRequire } from "node:module";
import { buildMockApi } from "./api.js";
import { resolveBaseUrl, resolveMockOptions } from "./options.js";
import type { MockHandlers, MockHandlersOptions } from "./types.js";

/**
 * msw handlers that answer every request under `baseUrl` as the dialect would.
 * @throws TypeError or RangeError when an option is invalid, naming the option; Error when msw is not installed.
 *
 * @example
 * ```ts
 * import { setupServer } from "msw/node";
 * import { createMockHandlers } from "pacekeeper/mock";
 *
 * const campone = createMockHandlers({ dialect: "campone", baseUrl: "https://api.campone.test" });
 * const server = setupServer(...campone.handlers);
 * server.listen({ onUnhandledRequest: "error" });
 * // … the code under test calls https://api.campone.test; then:
 * campone.audit(); // what it sent, with the status of each answer
 * server.close();
 * ```
 */
export function createMockHandlers(options: MockHandlersOptions): MockHandlers {
  const resolved = resolveMockOptions(options, ["baseUrl"]);
  const { origin, basePath } = resolveBaseUrl(options.baseUrl);
  const api = buildMockApi(resolved, basePath);
  const { http } = loadMsw();
  const root = `${origin}${basePath}`;
  const resolver = ({ request }: { request: Request }) => api.handle(request);
  return {
    handlers: [http.all(root === origin ? `${origin}/` : root, resolver), http.all(`${root}/*`, resolver)],
    audit: (filter) => api.audit(filter),
    reset: () => api.reset(),
  };
}

function loadMsw(): typeof import("msw") {
  // Resolved from this file, as an import of it would be (the CommonJS build gets `import.meta.url`
  // from tsup's shim).
  const load = createRequire(import.meta.url);
  try {
    return load("msw") as typeof import("msw");
  } catch (error) {
    throw new Error(
      "createMockHandlers needs msw 2, an optional peer dependency: npm install --save-dev msw",
      {
        cause: error,
      },
    );
  }
}
