import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { WakeSubscriber } from "../../src/redis/wake-subscriber.js";

/** A stand-in for ioredis' subscriber connection whose SUBSCRIBE is confirmed when the test says. */
function fakeClient() {
  const connection = Object.assign(new EventEmitter(), {
    confirm: () => {},
    subscribe: (..._channels: string[]) =>
      new Promise<void>((resolve) => {
        connection.confirm = resolve;
      }),
    unsubscribe: async () => {},
    disconnect: () => {},
  });
  return { client: { duplicate: () => connection } as unknown as Redis, connection };
}

describe("WakeSubscriber", () => {
  it("has its handlers look again once Redis confirms the subscription: a release before it is not heard", async () => {
    const { client, connection } = fakeClient();
    const subscriber = new WakeSubscriber(client, () => {});
    const wakes: number[] = [];
    subscriber.add("pk:{a}:wake", (at) => wakes.push(at));
    // Until Redis confirms the SUBSCRIBE, the handler is not called: nothing published yet is heard.
    await Promise.resolve();
    expect(wakes).toEqual([]);
    connection.confirm();
    await Promise.resolve();
    await Promise.resolve();
    expect(wakes).toHaveLength(1);
    expect(wakes[0]).toBeLessThan(Date.now() - 1_000_000);
    // From then on, messages are delivered as they come.
    connection.emit("message", "pk:{a}:wake", "1700000000000");
    expect(wakes.at(-1)).toBe(1_700_000_000_000);
    subscriber.close();
  });
});
