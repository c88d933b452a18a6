import { Worker } from "node:worker_threads";
import type { AuditEntry, MockServerOptions } from "../../src/mock/index.js";
import type { HostReply, HostRequest } from "./protocol.js";

/** A server running on the host thread. */
export interface HostedServer {
  url: string;
  /** The mock's audit log (empty for the plain server). */
  audit(key?: string): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

/** The plain server of the overhead rounds. */
export interface PlainServer extends HostedServer {
  /** Connections it has accepted so far: a timed round must open none. */
  connections(): Promise<number>;
}

export interface ServerHost {
  startMock(options: Omit<MockServerOptions, "port" | "clock">): Promise<HostedServer>;
  startPlain(): Promise<PlainServer>;
  terminate(): Promise<void>;
}

type Ask = { [K in HostRequest["op"]]: Omit<Extract<HostRequest, { op: K }>, "seq"> }[HostRequest["op"]];

/**
 * Starts the server thread. Workers do not inherit tsx's loader hooks on Node 20, so the thread
 * registers tsx itself before it imports the TypeScript entry.
 */
export async function startServerHost(): Promise<ServerHost> {
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./worker.ts", import.meta.url).href;
  const source = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  const worker = new Worker(source, { eval: true });
  const pending = new Map<number, { resolve(reply: HostReply): void; reject(error: Error): void }>();
  let seq = 0;
  worker.on("message", (reply: HostReply) => {
    const waiter = pending.get(reply.seq);
    pending.delete(reply.seq);
    if (reply.error !== undefined) waiter?.reject(new Error(`server thread: ${reply.error}`));
    else waiter?.resolve(reply);
  });
  worker.on("error", (error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  });
  const ask = (request: Ask): Promise<HostReply> =>
    new Promise((resolve, reject) => {
      const s = ++seq;
      pending.set(s, { resolve, reject });
      worker.postMessage({ ...request, seq: s } as HostRequest);
    });
  const hosted = (reply: HostReply): HostedServer => {
    const id = reply.id!;
    return {
      url: reply.url!,
      audit: async (key) =>
        (await ask(key === undefined ? { op: "audit", id } : { op: "audit", id, key })).audit ?? [],
      close: async () => {
        await ask({ op: "close", id });
      },
    };
  };
  return {
    startMock: async (options) => hosted(await ask({ op: "start-mock", options })),
    startPlain: async () => {
      const reply = await ask({ op: "start-plain" });
      const id = reply.id!;
      return {
        ...hosted(reply),
        connections: async () => (await ask({ op: "connections", id })).connections ?? 0,
      };
    },
    terminate: async () => {
      await worker.terminate();
    },
  };
}
