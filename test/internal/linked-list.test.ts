import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LinkedList, type ListNode } from "../../src/internal/linked-list.js";

interface Item extends ListNode<Item> {
  id: number;
}
const item = (id: number): Item => ({ id, prev: undefined, next: undefined });
const ids = (list: LinkedList<Item>) => list.toArray().map((n) => n.id);

describe("LinkedList: nodes that link themselves", () => {
  it("keeps push order, removes from any place, and ignores a node removed already", () => {
    const list = new LinkedList<Item>();
    const [a, b, c] = [item(1), item(2), item(3)];
    for (const n of [a, b, c]) list.push(n);
    list.remove(b);
    list.remove(b);
    expect(ids(list)).toEqual([1, 3]);
    expect(list.head).toBe(a);
    list.remove(a);
    expect(list.head).toBe(c);
    list.remove(c);
    expect(list.head).toBeUndefined();
    expect(ids(list)).toEqual([]);
  });

  it("clears a removed node's links, so that a dead node keeps no neighbour alive", () => {
    const list = new LinkedList<Item>();
    const [a, b, c] = [item(1), item(2), item(3)];
    for (const n of [a, b, c]) list.push(n);
    list.remove(b);
    expect([b.prev, b.next]).toEqual([undefined, undefined]);
    list.remove(a);
    list.remove(c);
    expect([a.next, c.prev]).toEqual([undefined, undefined]);
  });

  it("a removed node can be pushed again, at the end", () => {
    const list = new LinkedList<Item>();
    const [a, b] = [item(1), item(2)];
    list.push(a);
    list.push(b);
    list.remove(a);
    list.push(a);
    expect(ids(list)).toEqual([2, 1]);
  });

  it("behaves as an ordered set under any sequence of pushes and removals (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(9)), { maxLength: 200 }), (ops) => {
        const list = new LinkedList<Item>();
        const nodes = Array.from({ length: 10 }, (_, i) => item(i));
        let model: number[] = [];
        for (const [push, i] of ops) {
          if (push && !model.includes(i)) {
            list.push(nodes[i]!);
            model.push(i);
          } else if (!push) {
            list.remove(nodes[i]!);
            model = model.filter((x) => x !== i);
          }
          expect(ids(list)).toEqual(model);
          expect(list.head?.id).toBe(model[0]);
        }
      }),
    );
  });
});
