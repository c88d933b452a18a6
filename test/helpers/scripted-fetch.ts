import type { FetchLike } from "../../src/client/transport.js";

export interface SeenRequest {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
}

type Reply = Response | Error | ((request: SeenRequest) => Response | Error | Promise<Response | Error>);

/**
 * A transport that answers from a script, one reply per request, and records what it was sent.
 * An `Error` reply is thrown as fetch throws a network failure. Past the script's end it answers 200.
 */
export function scriptedFetch(replies: Reply[] = []): FetchLike & { seen: SeenRequest[] } {
  const seen: SeenRequest[] = [];
  const queue = [...replies];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const body =
      init.body === null || init.body === undefined ? undefined : await new Response(init.body).text();
    const request: SeenRequest = {
      url: String(input instanceof Request ? input.url : input),
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body,
    };
    seen.push(request);
    init.signal?.throwIfAborted();
    const next = queue.shift() ?? new Response("{}", { status: 200 });
    const reply = typeof next === "function" ? await next(request) : next;
    if (reply instanceof Error) throw reply;
    return reply;
  };
  return Object.assign(fetch, { seen });
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** What undici's fetch throws when the connection is refused. */
export function refused(): Error {
  return new TypeError("fetch failed", {
    cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
  });
}

/** What undici's fetch throws when the peer resets the connection mid-request. */
export function reset(): Error {
  return new TypeError("fetch failed", {
    cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }),
  });
}
