/** What a node of a `LinkedList` carries: its own links, so that a list costs no allocation per entry. */
export interface ListNode<T> {
  prev: T | undefined;
  next: T | undefined;
}

/**
 * A doubly linked list of nodes that link themselves (as Node's own timer lists do): pushing and
 * removing are O(1) and allocate nothing, for structures that every request enters and leaves.
 *
 * Not a `Set` or a `Map`: with a client's calls in progress or its attempt timeouts kept in one (an
 * add and a delete per request), V8's young-generation collections often kept the entries alive and
 * promoted them, and garbage collection took twenty times as long (docs/design.md, "Performance").
 * For the same reason a removed node's links are cleared: a dead node that reached the old
 * generation would otherwise keep its still-young neighbours — and everything they reference —
 * alive through every scavenge until the next full collection.
 */
export class LinkedList<T extends ListNode<T>> {
  private first: T | undefined;
  private last: T | undefined;

  /** The oldest node, or undefined when the list is empty. */
  get head(): T | undefined {
    return this.first;
  }

  push(node: T): void {
    node.prev = this.last;
    node.next = undefined;
    if (this.last) this.last.next = node;
    else this.first = node;
    this.last = node;
  }

  /** Removes `node`; a node not in the list (removed already) is left alone. */
  remove(node: T): void {
    if (node.prev === undefined && this.first !== node) return;
    if (node.prev) node.prev.next = node.next;
    else this.first = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.last = node.prev;
    node.prev = undefined;
    node.next = undefined;
  }

  /** The nodes, oldest first; a snapshot, so that the caller may remove them as it goes. */
  toArray(): T[] {
    const nodes: T[] = [];
    for (let node = this.first; node; node = node.next) nodes.push(node);
    return nodes;
  }
}
