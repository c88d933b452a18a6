import type { Redis } from "ioredis";

/**
 * One pub/sub connection per store (`client.duplicate()`: a subscribed connection can send
 * nothing else), listening on the channel of every key this process paces. A release that may
 * let a waiter go earlier than its timer publishes when the key may send next; the waiters of
 * that key in this process look again then instead of at their computed wake-up.
 *
 * Pub/sub is only a shortcut: a lost message costs a waiter the time until its own timer, never
 * a permit. The connection is opened on the first channel, so a store that never paces opens none.
 *
 * A subscription hears nothing published before Redis confirmed it, so its handlers are called
 * once then, with a moment long past: the waiters look again at once instead of sleeping through a
 * release announced in between (until their timer, which may be `pollMs` away).
 */
/** A server time long past: the handler looks again at once. */
const LOOK_NOW = 0;

export class WakeSubscriber {
  private connection: Redis | undefined;
  private readonly handlers = new Map<string, Set<(at: number) => void>>();
  /** Report one error per outage, not one per reconnection attempt. */
  private reported = false;

  constructor(
    private readonly client: Redis,
    private readonly onError: (error: unknown) => void,
  ) {}

  add(channel: string, handler: (at: number) => void): void {
    const known = this.handlers.get(channel);
    if (known) {
      known.add(handler);
      return;
    }
    this.handlers.set(channel, new Set([handler]));
    const connection = this.connect();
    if (connection) this.subscribe(connection, [channel]);
  }

  remove(channel: string, handler: (at: number) => void): void {
    const known = this.handlers.get(channel);
    if (!known?.delete(handler) || known.size > 0) return;
    this.handlers.delete(channel);
    this.connection?.unsubscribe(channel).catch(() => {
      // the connection is gone: so is the subscription
    });
  }

  close(): void {
    this.handlers.clear();
    this.connection?.disconnect();
    this.connection = undefined;
  }

  private connect(): Redis | undefined {
    if (this.connection) return this.connection;
    let connection: Redis;
    try {
      connection = this.client.duplicate();
    } catch (error) {
      this.report(error);
      return undefined;
    }
    connection.on("message", (channel: string, message: string) => {
      const at = Number(message);
      if (!Number.isFinite(at)) return;
      for (const handler of this.handlers.get(channel) ?? []) handler(at);
    });
    // Without a listener, ioredis prints every reconnection error of this connection.
    connection.on("error", (error: unknown) => this.report(error));
    connection.on("ready", () => {
      this.reported = false;
      // After a reconnection the server forgot the subscriptions; ioredis renews those it had
      // confirmed, this renews the ones that failed while it was down.
      const channels = [...this.handlers.keys()];
      if (channels.length > 0) this.subscribe(connection, channels);
    });
    this.connection = connection;
    return connection;
  }

  private subscribe(connection: Redis, channels: string[]): void {
    connection.subscribe(...channels).then(
      () => {
        for (const channel of channels)
          for (const handler of this.handlers.get(channel) ?? []) handler(LOOK_NOW);
      },
      (error: unknown) => this.report(error),
    );
  }

  private report(error: unknown): void {
    if (this.reported) return;
    this.reported = true;
    this.onError(error);
  }
}
