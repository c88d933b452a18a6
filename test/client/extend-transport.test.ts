import { afterEach, describe, expect, it } from "vitest";
import { createClient, ResponseValidationError, TimeoutError } from "../../src/index.js";
import { type EchoServer, startEchoServer } from "../helpers/echo-server.js";
import { scriptedClients } from "../helpers/scripted-client.js";

/**
 * `client.extend` over the default transport and a real loopback server: connections and attempt
 * timeouts, which only undici's agents and real time show (seconds: an integration test).
 */
const KEY = "key_live_extend_test_00001";
const { closeAfterTest } = scriptedClients(KEY);

describe("client.extend on the default transport", () => {
  let server: EchoServer;
  afterEach(async () => server?.close());

  const real = async (options: { timeoutMs?: number } = {}) => {
    server = await startEchoServer();
    const client = createClient({ baseUrl: server.url, apiKey: KEY, retry: { retries: 0 }, ...options });
    closeAfterTest(client);
    return client;
  };

  it("closing a derived client leaves the parent's connections open: a body being read is read whole", async () => {
    const client = await real();
    const derived = client.extend({ headers: { "x-a": "1" } });
    await derived.get("/status/204");
    const response = await client.fetch("/trickle?chunks=5&every=20");
    const reading = response.text();
    await derived.close();
    expect((await reading).split("\n").filter(Boolean)).toHaveLength(5);

    // Closing the parent does end such a read: what the check above would have seen.
    const cut = await client.fetch("/trickle?chunks=50&every=20");
    const cutReading = cut.text();
    await client.close();
    await expect(cutReading).rejects.toThrow();
  });

  it("gives a derived client or a call a longer attempt timeout than the client's own", async () => {
    // The client's agent frees a request after the client's `timeoutMs` (undici's timer for it
    // fires within about a second): a longer timeout must not go through that agent.
    const client = await real({ timeoutMs: 100 });
    await expect(client.fetch("/slow?ms=2500")).rejects.toBeInstanceOf(TimeoutError);
    const patient = client.extend({ timeoutMs: 20_000 });
    const [derived, call] = await Promise.allSettled([
      patient.fetch("/slow?ms=2500"),
      client.get("/slow?ms=2500", { timeoutMs: 20_000 }),
    ]);
    expect(derived.status === "fulfilled" && derived.value.status).toBe(200);
    // `/slow` answers text: the call got its response (not JSON), not a timeout.
    const error = call.status === "rejected" ? call.reason : undefined;
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as ResponseValidationError).status).toBe(200);
  });

  it("gives a derived client a shorter attempt timeout than the client's own", async () => {
    const client = await real({ timeoutMs: 20_000 });
    const quick = client.extend({ timeoutMs: 100 });
    await expect(quick.fetch("/never")).rejects.toMatchObject({ name: "TimeoutError", timeoutMs: 100 });
  });
});
