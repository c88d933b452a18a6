import { Agent } from "undici";

/** Any function with the signature of `fetch`. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface Transport {
  fetch: FetchLike;
  /** Releases the transport's connections. */
  close(): Promise<void>;
}

/**
 * The default transport: `globalThis.fetch`, looked up at call time so that msw's `setupServer`
 * (which patches the global) intercepts it in users' tests, with a keep-alive undici `Agent` as
 * its dispatcher. The agent is made on first use and closed by `close()`.
 */
export function defaultTransport(): Transport {
  let agent: Agent | undefined;
  return {
    fetch(input, init) {
      agent ??= new Agent({ keepAliveTimeout: 10_000, connections: 128 });
      return globalThis.fetch(input, { ...init, dispatcher: agent } as unknown as RequestInit);
    },
    async close() {
      const closing = agent;
      agent = undefined;
      await closing?.close();
    },
  };
}

/** A caller's own fetch: pacekeeper does not own its connections, so closing it does nothing. */
export function customTransport(fetch: FetchLike): Transport {
  return { fetch, close: async () => {} };
}
