import { Readable } from "node:stream";
import { Octokit } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";
import { throttling } from "@octokit/plugin-throttling";
import ky from "ky";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, ietf } from "../../src/index.js";
import { type SdkServer, startSdkServer } from "../helpers/sdk-server.js";

/**
 * Real SDKs with `client.fetch` as their `fetch`, as docs/integrations.md shows them: openai,
 * Octokit (with its throttling and pagination plugins) and ky, each against a loopback server
 * that speaks enough of its API. JSON, server-sent events chunk by chunk, multipart and streamed
 * uploads, pagination, an abort mid-stream, and a 429 waited out by pacekeeper (the SDK's own
 * retries off, so that the two do not multiply).
 */

let server: SdkServer;
beforeAll(async () => {
  server = await startSdkServer();
});
afterAll(async () => {
  await server.close();
});

let n = 0;
function paced(path = "") {
  return createClient({
    baseUrl: `${server.url}${path}`,
    apiKey: `sk-test-${++n}`,
    dialect: ietf(),
    retry: { rateLimitRetries: 2 },
  });
}

describe("openai", () => {
  function openai(api: ReturnType<typeof createClient>) {
    return new OpenAI({ apiKey: "sk-sdk-own", baseURL: `${server.url}/v1`, fetch: api.fetch, maxRetries: 0 });
  }

  it("a chat completion, and a stream read chunk by chunk", async () => {
    const api = paced("/v1");
    const sdk = openai(api);
    const completion = await sdk.chat.completions.create({
      model: "test",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from the paced model.");
    const stream = await sdk.chat.completions.create({
      model: "test",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const arrivals: string[] = [];
    for await (const chunk of stream) arrivals.push(chunk.choices[0]?.delta.content ?? "");
    expect(arrivals.join("")).toBe("Hello from the paced model.");
    await api.close();
  });

  it("an abort mid-stream ends the read at once, as it does over native fetch", async () => {
    const api = paced("/v1");
    const sdk = openai(api);
    const stream = await sdk.chat.completions.create({
      model: "test",
      messages: [{ role: "user", content: "long" }],
      stream: true,
    });
    let seen = 0;
    const started = performance.now();
    const reading = (async () => {
      for await (const _chunk of stream) {
        seen++;
        if (seen === 3) stream.controller.abort();
      }
    })();
    // openai ends the iteration on its own abort (it may also throw): what counts is that it ends now.
    await reading.catch(() => undefined);
    // 500 chunks would take 20 s; the abort ended it after three.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(seen).toBe(3);
    await api.close();
  });

  it("pages with `for await`, and uploads a file as multipart", async () => {
    const api = paced("/v1");
    const sdk = openai(api);
    const ids: string[] = [];
    for await (const batch of sdk.batches.list()) ids.push(batch.id);
    expect(ids).toEqual(["batch-0", "batch-1", "batch-2", "batch-3", "batch-4"]);
    const file = await sdk.files.create({
      file: await toFile(Buffer.from('{"a":1}\n{"a":2}\n'), "upload.jsonl"),
      purpose: "batch",
    });
    expect(file.id).toBe("file-1");
    const upload = server.seen.at(-1)!;
    expect(upload.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.body).toContain('{"a":1}');
    await api.close();
  });

  it("a 429 is waited out by pacekeeper, with the SDK's retries off: one refusal, one success", async () => {
    const api = paced("/v1");
    const sdk = openai(api);
    const before = server.seen.length;
    server.refuseNext("/v1/chat/completions", 1);
    const completion = await sdk.chat.completions.create({
      model: "test",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from the paced model.");
    expect(server.seen.length - before).toBe(2);
    await api.close();
  });
});

describe("the SDK's own credential, with auth: { fromRequest }", () => {
  function passthrough(path = "") {
    return createClient({
      baseUrl: `${server.url}${path}`,
      auth: { fromRequest: "authorization" },
      dialect: ietf(),
    });
  }

  it("openai: the SDK's key reaches the server untouched, and two SDK keys are two pacers", async () => {
    const api = createClient({
      baseUrl: `${server.url}/v1`,
      auth: { fromRequest: "authorization" },
      dialect: ietf(),
      retry: { rateLimitRetries: 0 },
    });
    const before = server.seen.length;
    const sdk = (apiKey: string) =>
      new OpenAI({ apiKey, baseURL: `${server.url}/v1`, fetch: api.fetch, maxRetries: 0 });
    const chat = { model: "test", messages: [{ role: "user" as const, content: "hi" }] };
    // alpha is refused for 30 s; beta, another pacer, goes at once all the same.
    server.refuseNext("/v1/chat/completions", 30);
    await expect(sdk("sk-sdk-alpha").chat.completions.create(chat)).rejects.toMatchObject({ status: 429 });
    await sdk("sk-sdk-beta").chat.completions.create(chat);
    expect(server.seen.slice(before).map((r) => r.headers.authorization)).toEqual([
      "Bearer sk-sdk-alpha",
      "Bearer sk-sdk-beta",
    ]);
    expect(api.nextSendAt("Bearer sk-sdk-alpha") - api.nextSendAt("Bearer sk-sdk-beta")).toBeGreaterThan(
      25_000,
    );
    await api.close();
  });

  it("Octokit: its token is sent as it set it", async () => {
    const api = passthrough();
    const before = server.seen.length;
    const sdk = new Octokit({ auth: "ghp_sdk_own", baseUrl: server.url, request: { fetch: api.fetch } });
    await sdk.request("GET /repos/{owner}/{repo}/issues", { owner: "o", repo: "r" });
    expect(server.seen[before]?.headers.authorization).toBe("token ghp_sdk_own");
    await api.close();
  });
});

describe("Octokit, with the throttling and pagination plugins", () => {
  const Paced = Octokit.plugin(throttling, paginateRest);
  function octokit(api: ReturnType<typeof createClient>) {
    return new Paced({
      auth: "ghp_sdk_own",
      baseUrl: server.url,
      request: { fetch: api.fetch },
      // pacekeeper waits rate limits out: the plugin need not retry them too.
      throttle: { onRateLimit: () => false, onSecondaryRateLimit: () => false },
    });
  }

  it("paginates through Link headers", async () => {
    const api = paced();
    const issues = await octokit(api).paginate("GET /repos/{owner}/{repo}/issues", {
      owner: "o",
      repo: "r",
      per_page: 3,
    });
    expect(issues.map((issue) => issue.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await api.close();
  });

  it("uploads a Node stream", async () => {
    const api = paced();
    const { data } = await octokit(api).request(
      "POST /repos/{owner}/{repo}/releases/{release_id}/assets{?name}",
      {
        owner: "o",
        repo: "r",
        release_id: 1,
        name: "asset.bin",
        data: Readable.from([Buffer.alloc(1000, 1), Buffer.alloc(500, 2)]) as unknown as string,
        headers: { "content-type": "application/octet-stream", "content-length": 1500 },
      },
    );
    expect(data).toMatchObject({ name: "asset.bin", size: 1500 });
    await api.close();
  });

  it("a 429 is waited out by pacekeeper before the plugin sees it", async () => {
    const api = paced();
    const before = server.seen.length;
    server.refuseNext("/repos/o/r/issues", 1);
    const { data } = await octokit(api).request("GET /repos/{owner}/{repo}/issues", {
      owner: "o",
      repo: "r",
    });
    expect(data).toHaveLength(3);
    expect(server.seen.length - before).toBe(2);
    await api.close();
  });
});

describe("ky", () => {
  function kyOf(api: ReturnType<typeof createClient>) {
    return ky.create({ prefixUrl: server.url, fetch: api.fetch, retry: 0 });
  }

  it("JSON in and out, and a streamed upload", async () => {
    const api = paced();
    const http = kyOf(api);
    expect(await http.get("items").json()).toHaveLength(3);
    expect(await http.post("items", { json: { name: "new" } }).json()).toEqual({ id: 4, name: "new" });
    const upload = await http
      .put("upload", { body: new Blob(["x".repeat(2048)]).stream(), duplex: "half" } as never)
      .json();
    expect(upload).toEqual({ received: 2048 });
    await api.close();
  });

  it("a 429 is waited out by pacekeeper, with ky's retries off", async () => {
    const api = paced();
    const before = server.seen.length;
    server.refuseNext("/items", 1);
    expect(await kyOf(api).get("items").json()).toHaveLength(3);
    expect(server.seen.length - before).toBe(2);
    await api.close();
  });
});
