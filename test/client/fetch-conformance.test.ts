import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, ietf, isRequestValidationError } from "../../src/index.js";
import { capturedWarnings } from "../helpers/captured-warnings.js";
import { type EchoServer, startEchoServer } from "../helpers/echo-server.js";

/** `patch` is sent as given, and undici warns of it: the warning is the test's own doing. */
capturedWarnings(["UNDICI-FETCH-patch"]);

/**
 * `client.fetch` is fetch: a table of fetch behaviours, each run through native `fetch` and
 * through `client.fetch` against the same loopback server, asserting that they agree. Where
 * pacekeeper differs on purpose (its credential header, its `User-Agent`, 429s waited out, the
 * origin lock, typed errors where fetch rejects), docs/client.md lists it, and the comparison
 * leaves exactly that out.
 */

let server: EchoServer;
beforeAll(async () => {
  server = await startEchoServer();
});
afterAll(async () => {
  await server.close();
});

type Input = "path" | "absolute" | "url" | "request";

interface Case {
  name: string;
  path: string;
  input?: Input;
  /** Made anew for each of the two runs: a stream can be sent once. */
  init?: () => RequestInit & { duplex?: "half" };
}

/** What a run's outcome is, in terms both runs can share. */
interface Outcome {
  rejected: boolean;
  status?: number;
  url?: string;
  redirected?: boolean;
  type?: string;
  contentType?: string | null;
  body?: unknown;
}

let n = 0;
function client() {
  return createClient({
    baseUrl: server.url,
    apiKey: `key_live_conformance_${++n}`,
    dialect: ietf(),
    retry: { retries: 0 },
  });
}

/** The outcome of one run, with what pacekeeper adds on purpose (its headers) left out. */
async function outcomeOf(run: () => Promise<Response>): Promise<Outcome> {
  let response: Response;
  try {
    response = await run();
  } catch {
    return { rejected: true };
  }
  const text = await response.text();
  let body: unknown = text;
  if (response.headers.get("content-type") === "application/json" && text !== "") {
    const echo = JSON.parse(text) as { headers: Record<string, string> };
    // Documented differences: the credential and pacekeeper's User-Agent.
    delete echo.headers.authorization;
    delete echo.headers["user-agent"];
    // The multipart boundary is random per send.
    const type = echo.headers["content-type"];
    if (type?.startsWith("multipart/form-data")) echo.headers["content-type"] = "multipart/form-data";
    body = JSON.parse(JSON.stringify(echo).replace(/-{2,}[\w-]*\d+[\w-]*/g, "--boundary"));
  }
  return {
    rejected: false,
    status: response.status,
    url: response.url.replace(server.url, ""),
    redirected: response.redirected,
    type: response.type,
    contentType: response.headers.get("content-type"),
    body,
  };
}

function inputOf(
  kind: Input,
  path: string,
  init: RequestInit | undefined,
): [string | URL | Request, RequestInit?] {
  const absolute = `${server.url}${path}`;
  if (kind === "absolute") return [absolute, init];
  if (kind === "url") return [new URL(absolute), init];
  if (kind === "request") return [new Request(absolute, init)];
  return [absolute, init];
}

async function* chunks(): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode("one,");
  yield new TextEncoder().encode("two");
}

function form(): FormData {
  const data = new FormData();
  data.set("name", "pacekeeper");
  data.set("file", new Blob(["file contents"], { type: "text/plain" }), "notes.txt");
  return data;
}

const CASES: Case[] = [
  { name: "GET a path", path: "/echo?a=1&b=two" },
  { name: "GET an absolute URL on the base's origin", path: "/echo?x=1", input: "absolute" },
  { name: "GET a URL object", path: "/echo", input: "url" },
  { name: "GET a Request", path: "/echo?q=req", input: "request" },
  {
    name: "POST a Request with a body",
    path: "/echo",
    input: "request",
    init: () => ({ method: "POST", body: "from a Request" }),
  },
  {
    name: "POST a string",
    path: "/echo",
    init: () => ({ method: "POST", body: "hello", headers: { "content-type": "text/plain" } }),
  },
  {
    name: "POST bytes",
    path: "/echo",
    init: () => ({ method: "POST", body: new Uint8Array([104, 105, 255]) }),
  },
  {
    name: "POST an ArrayBuffer",
    path: "/echo",
    init: () => ({ method: "POST", body: new Uint8Array([1, 2, 3]).buffer }),
  },
  {
    name: "POST a Blob",
    path: "/echo",
    init: () => ({ method: "POST", body: new Blob(["blob"], { type: "text/x-blob" }) }),
  },
  {
    name: "POST URLSearchParams",
    path: "/echo",
    init: () => ({ method: "POST", body: new URLSearchParams({ a: "1", b: "x y" }) }),
  },
  { name: "POST FormData (multipart)", path: "/echo", init: () => ({ method: "POST", body: form() }) },
  {
    name: "POST a ReadableStream",
    path: "/echo",
    init: () => ({ method: "POST", body: new Blob(["streamed"]).stream(), duplex: "half" }),
  },
  {
    name: "POST an async iterable",
    path: "/echo",
    init: () => ({ method: "POST", body: chunks() as unknown as RequestInit["body"], duplex: "half" }),
  },
  {
    name: "POST a Node stream",
    path: "/echo",
    init: () => ({
      method: "POST",
      body: Readable.from(["node ", "stream"]) as unknown as RequestInit["body"],
      duplex: "half",
    }),
  },
  {
    name: "PUT with headers of every spelling",
    path: "/echo",
    init: () => ({
      method: "PUT",
      body: "x",
      headers: [
        ["X-One", "1"],
        ["x-two", "2"],
      ],
    }),
  },
  { name: "DELETE", path: "/echo", init: () => ({ method: "delete" }) },
  {
    name: "PATCH spelled in lower case (fetch sends it as given)",
    path: "/echo",
    init: () => ({ method: "patch", body: "p" }),
  },
  { name: "HEAD", path: "/echo", init: () => ({ method: "HEAD" }) },
  { name: "a 302 followed", path: "/redirect/302?to=/echo%3Ffrom%3D302" },
  {
    name: "a 301 after POST becomes a GET",
    path: "/redirect/301?to=/echo",
    init: () => ({ method: "POST", body: "lost" }),
  },
  {
    name: "a 303 after PUT becomes a GET",
    path: "/redirect/303?to=/echo",
    init: () => ({ method: "PUT", body: "lost" }),
  },
  {
    name: "a 307 keeps the method and body",
    path: "/redirect/307?to=/echo",
    init: () => ({ method: "POST", body: "kept" }),
  },
  { name: "redirect: manual", path: "/redirect/302?to=/echo", init: () => ({ redirect: "manual" }) },
  {
    name: "redirect: manual on a Request",
    path: "/redirect/302?to=/echo",
    input: "request",
    init: () => ({ redirect: "manual" }),
  },
  { name: "redirect: error", path: "/redirect/302?to=/echo", init: () => ({ redirect: "error" }) },
  {
    name: "redirect: error on a Request",
    path: "/redirect/302?to=/echo",
    input: "request",
    init: () => ({ redirect: "error" }),
  },
  { name: "a 404", path: "/status/404" },
  { name: "a 500", path: "/status/500" },
  { name: "a GET with a body is refused", path: "/echo", init: () => ({ method: "GET", body: "no" }) },
  {
    name: "a header value that is not a byte string is refused",
    path: "/echo",
    init: () => ({ headers: { "x-mark": "✓" } }),
  },
  {
    name: "a header name that is not a token is refused",
    path: "/echo",
    init: () => ({ headers: { "x bad": "1" } }),
  },
  { name: "a method that is not a token is refused", path: "/echo", init: () => ({ method: "G ET" }) },
  { name: "CONNECT is refused", path: "/echo", init: () => ({ method: "CONNECT" }) },
  {
    name: "an aborted signal is refused",
    path: "/echo",
    init: () => ({ signal: AbortSignal.abort(new Error("gone")) }),
  },
];

describe("client.fetch agrees with native fetch", () => {
  it.each(CASES)("$name", async ({ path, input = "path", init }) => {
    const native = await outcomeOf(() => {
      const [target, options] = inputOf(input, path, init?.());
      return fetch(target, options);
    });
    const api = client();
    const paced = await outcomeOf(() => {
      const options = init?.();
      if (input === "path") return api.fetch(path, options);
      const [target, rest] = inputOf(input, path, options);
      return api.fetch(target, rest);
    });
    await api.close();
    expect(paced).toEqual(native);
  });

  it("aborts before the headers as fetch does", async () => {
    const api = client();
    for (const run of [
      (signal: AbortSignal) => fetch(`${server.url}/slow?ms=2000`, { signal }),
      (signal: AbortSignal) => api.fetch("/slow?ms=2000", { signal }),
    ]) {
      const controller = new AbortController();
      const pending = run(controller.signal);
      setTimeout(() => controller.abort(new Error("stop")), 50);
      await expect(pending).rejects.toThrow("stop");
    }
    await api.close();
  });

  it("aborts a body being read, as fetch does: the read rejects at once", async () => {
    const api = client();
    for (const run of [
      (signal: AbortSignal) => fetch(`${server.url}/trickle?chunks=100&every=50`, { signal }),
      (signal: AbortSignal) => api.fetch("/trickle?chunks=100&every=50", { signal }),
    ]) {
      const controller = new AbortController();
      const response = await run(controller.signal);
      const reading = response.text();
      setTimeout(() => controller.abort(new Error("stop reading")), 100);
      const started = performance.now();
      await expect(reading).rejects.toThrow("stop reading");
      // Not the whole trickle (5 s): the read ended when the signal aborted.
      expect(performance.now() - started).toBeLessThan(2_000);
    }
    await api.close();
  });

  it("ends a body read at the total deadline", async () => {
    const api = createClient({
      baseUrl: server.url,
      apiKey: `key_live_conformance_${++n}`,
      totalTimeoutMs: 300,
    });
    const response = await api.fetch("/trickle?chunks=100&every=50");
    await expect(response.text()).rejects.toMatchObject({ name: "TimeoutError", scope: "total" });
    await api.close();
  });

  it("documents what differs: the credential is pacekeeper's, and another origin is refused, typed", async () => {
    const api = client();
    const echo = (await (
      await api.fetch("/echo", { headers: { authorization: "Bearer other" } })
    ).json()) as {
      headers: Record<string, string>;
    };
    expect(echo.headers.authorization).toBe(`Bearer key_live_conformance_${n}`);
    const refusal = await api.fetch("https://elsewhere.example/echo").catch((e: unknown) => e);
    expect(isRequestValidationError(refusal)).toBe(true);
    await api.close();
  });
});
