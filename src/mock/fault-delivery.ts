/**
 * Putting a faulted answer on the wire: over `node:http` (`startMockServer`: the socket is really
 * destroyed, the headers really late, the body really cut short), or as a Fetch `Response` (msw and
 * `createMockApi`: a reset is `Response.error()`, which msw turns into a network error).
 */
import type { ServerResponse } from "node:http";
import type { Served } from "./fault-responses.js";

/** Chunks of a `slow-body`. */
const SLOW_CHUNKS = 4;

/** The real-time waits of the slow faults, which `clear()` drops when a server closes. */
export class FaultTimers {
  readonly #pending = new Set<NodeJS.Timeout>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(timer);
        resolve();
      }, ms);
      this.#pending.add(timer);
    });
  }

  /** Cancels every wait: the exchanges waiting on them are abandoned (their sockets are being closed). */
  clear(): void {
    for (const timer of this.#pending) clearTimeout(timer);
    this.#pending.clear();
  }
}

/** The answer as a Fetch `Response`, delivered as its fault says. */
export async function toFetchResponse(served: Served, timers: FaultTimers): Promise<Response> {
  const { response, delivery } = served;
  switch (delivery.kind) {
    case "reset":
      return Response.error();
    case "slow-headers":
      await timers.sleep(delivery.delayMs);
      return withHeaderLines(served);
    case "slow-body": {
      const chunks = split(new Uint8Array(await response.arrayBuffer()), SLOW_CHUNKS);
      let next = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (next > 0) await timers.sleep(delivery.delayMs);
          const chunk = chunks[next++];
          if (chunk !== undefined) controller.enqueue(chunk);
          if (next >= chunks.length) controller.close();
        },
      });
      return new Response(body, { status: response.status, headers: withoutLength(response.headers) });
    }
    case "truncated-body": {
      const bytes = new Uint8Array(await response.arrayBuffer());
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
          controller.error(new TypeError("terminated: the mock cut the body short (fault truncated-body)"));
        },
      });
      return new Response(body, { status: response.status, headers: withoutLength(response.headers) });
    }
    default:
      return withHeaderLines(served);
  }
}

/**
 * Writes a faulted answer over `node:http`.
 * @param payload the answer's body, already read.
 */
export async function writeFaulted(
  outgoing: ServerResponse,
  served: Served,
  payload: Buffer,
  timers: FaultTimers,
): Promise<void> {
  const { response, delivery } = served;
  const status = response.status;
  const headers = headerFields(served);
  switch (delivery.kind) {
    case "reset":
      outgoing.destroy();
      return;
    case "slow-headers":
      await timers.sleep(delivery.delayMs);
      if (outgoing.destroyed) return;
      writeWhole(outgoing, status, headers, payload);
      return;
    case "slow-body": {
      outgoing.writeHead(status, { ...headers, "content-length": String(payload.byteLength) });
      const chunks = split(payload, SLOW_CHUNKS);
      for (let i = 0; i < chunks.length; i++) {
        if (i > 0) await timers.sleep(delivery.delayMs);
        if (outgoing.destroyed) return;
        outgoing.write(chunks[i]);
      }
      outgoing.end();
      return;
    }
    case "truncated-body": {
      // Announce the whole length (at least one byte), send half, cut: the client sees the body end early.
      outgoing.writeHead(status, { ...headers, "content-length": String(Math.max(1, payload.byteLength)) });
      outgoing.write(payload.subarray(0, Math.floor(payload.byteLength / 2)), () => outgoing.destroy());
      return;
    }
    default:
      writeWhole(outgoing, status, headers, payload);
  }
}

function writeWhole(
  outgoing: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  payload: Buffer,
): void {
  const bodiless = status === 204 || status === 304;
  outgoing.writeHead(
    status,
    bodiless ? headers : { ...headers, "content-length": String(payload.byteLength) },
  );
  outgoing.end(bodiless ? undefined : payload);
}

/** The fields to write, a repeated field as an array so that `node:http` writes one line per value. */
function headerFields(served: Served): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  const lines = served.headerLines ?? [...served.response.headers];
  for (const [name, value] of lines) {
    if (name === "content-length") continue;
    const seen = fields[name];
    fields[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return fields;
}

function withHeaderLines(served: Served): Response {
  if (served.headerLines === undefined) return served.response;
  const headers = new Headers();
  for (const [name, value] of served.headerLines) headers.append(name, value);
  return new Response(served.response.body, { status: served.response.status, headers });
}

function withoutLength(source: Headers): Headers {
  const headers = new Headers(source);
  headers.delete("content-length");
  return headers;
}

function split<T extends Uint8Array>(bytes: T, parts: number): Uint8Array[] {
  const size = Math.max(1, Math.ceil(bytes.byteLength / parts));
  const chunks: Uint8Array[] = [];
  for (let start = 0; start < bytes.byteLength; start += size)
    chunks.push(bytes.subarray(start, start + size));
  return chunks.length === 0 ? [new Uint8Array(0)] : chunks;
}
