import type { AuditEntry, MockServerOptions } from "../../src/mock/index.js";

/** What the benchmark asks of its server thread. `seq` pairs a request with its reply. */
export type HostRequest =
  | { seq: number; op: "start-mock"; options: Omit<MockServerOptions, "port" | "clock"> }
  | { seq: number; op: "start-plain" }
  | { seq: number; op: "audit"; id: number; key?: string }
  | { seq: number; op: "connections"; id: number }
  | { seq: number; op: "close"; id: number };

export interface HostReply {
  seq: number;
  error?: string;
  /** The server's handle for later requests, on a start. */
  id?: number;
  url?: string;
  audit?: AuditEntry[];
  /** Connections the plain server has accepted so far. */
  connections?: number;
}
