import { authHeaders, type ClientUnderTest } from "./types.js";

/**
 * The loop the BoothZen document recommends (its "429 handling" section), as
 * printed there, with types. It retries without end; the run's time cap stops it.
 */
export async function callWithBackoff(fn: () => Promise<Response>, attempt = 0): Promise<Response> {
  const res = await fn();
  if (res.status !== 429) return res;
  const retryAfter = Number(res.headers.get("Retry-After")) || Math.min(60, 2 ** attempt);
  const jitter = Math.random() * 500;
  await new Promise((r) => setTimeout(r, retryAfter * 1000 + jitter));
  return callWithBackoff(fn, attempt + 1);
}

/** A 429's body is read before the loop sleeps, so its connection goes back to the pool. */
export async function fetchReadingRefusals(url: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, init);
  if (res.status === 429) await res.arrayBuffer();
  return res;
}

export const docLoopClient: ClientUnderTest = {
  name: "doc loop",
  setup:
    "`callWithBackoff` copied from the BoothZen document around the global `fetch`: sleeps " +
    "`Retry-After` + up to 500 ms of jitter on each 429 (or 2^attempt s, capped at 60 s, without " +
    "the header), no limit on attempts; a 429's body is read before the sleep so its connection is " +
    "reused. The same loop for both dialects.",
  create(target) {
    const headers = authHeaders(target);
    return {
      async get(path, signal) {
        const res = await callWithBackoff(() =>
          fetchReadingRefusals(`${target.baseUrl}${path}`, { headers, signal }),
        );
        if (res.status !== 429) await res.arrayBuffer();
        return res.status;
      },
      close: async () => {},
    };
  },
};
