import { describe, expect, it } from "vitest";
import { LocalKeyPacer } from "../../src/pacer/local-key-pacer.js";
import { ok, pacerOnVirtualTime } from "../helpers/pacer.js";
import { describeKeyPacerContract, T0 } from "./key-pacer-contract.js";

describeKeyPacerContract("LocalKeyPacer", {
  // The clients of one process share one pacer per key: every "process" here is the same object.
  make(config, count) {
    const pacer = new LocalKeyPacer(config);
    return Array.from({ length: count }, () => pacer);
  },
  // Nothing of its own to wait for but the microtasks its promises settle in.
  settle: () => new Promise((resolve) => setImmediate(resolve)),
});

describe("LocalKeyPacer: what only the in-process pacer does", () => {
  it("tryAcquire grants at once when the key may send, and otherwise answers undefined without queueing", async () => {
    const { pacer, clock } = pacerOnVirtualTime([{ limit: 2, windowMs: 1000 }]);
    const first = pacer.tryAcquire();
    expect(first?.grantedAt).toBe(T0);
    const second = pacer.tryAcquire()!;
    // The window is full: no permit, and nothing is queued by asking.
    expect(pacer.tryAcquire()).toBeUndefined();
    expect(pacer.waiting).toBe(0);
    first!.release(ok());
    second.release(ok());
    const waiter = pacer.acquire();
    expect(pacer.waiting).toBe(1);
    await clock.advance(1000);
    // The waiter, queued first, got the room that came free.
    expect(pacer.waiting).toBe(0);
    expect(pacer.tryAcquire()).toBeDefined();
    expect((await waiter).grantedAt).toBe(T0 + 1000);
  });
});
