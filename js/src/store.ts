/**
 * The items a view holds, by sequence number. Pure: no DOM, no model.
 *
 * The kernel numbers items 0, 1, 2, ... and never changes one once numbered, so a view keeps
 * each seq once, in order, and asks for whatever it has missed (`sync` after its last seq)
 * when a message starts past the next seq it expects.
 */

import type { Item } from "./model";

export interface Applied {
  /** "append": add `items` after what is shown; "replace": show only `items`. */
  mode: "append" | "replace";
  items: Item[];
  /** The seq to ask the kernel to resend after, when a message skipped some; else null. */
  syncAfter: number | null;
}

export class ItemStore {
  private held: Item[] = [];

  /** The last seq held, or -1 when empty. */
  get lastSeq(): number {
    return this.held.length ? this.held[this.held.length - 1].seq : -1;
  }

  get size(): number {
    return this.held.length;
  }

  get items(): readonly Item[] {
    return this.held;
  }

  apply(events: readonly Item[], reset: boolean): Applied {
    const incoming = [...events].sort((a, b) => a.seq - b.seq);
    if (reset && !this.sharesPrefix(incoming)) {
      this.held = [];
      const accepted = this.accept(incoming, incoming.length ? incoming[0].seq - 1 : -1);
      return { mode: "replace", items: accepted.items, syncAfter: accepted.syncAfter };
    }
    // A reset that only repeats what is held (another view of the same chat asked for
    // everything) is an append of whatever is new: the kernel never renumbers.
    const accepted = this.accept(incoming, this.lastSeq);
    return { mode: "append", items: accepted.items, syncAfter: accepted.syncAfter };
  }

  clear(): void {
    this.held = [];
  }

  private sharesPrefix(incoming: readonly Item[]): boolean {
    if (!this.held.length) return false;
    const bySeq = new Map(incoming.map((item) => [item.seq, item.id]));
    return this.held.every((item) => bySeq.get(item.seq) === item.id);
  }

  private accept(
    incoming: readonly Item[],
    after: number,
  ): { items: Item[]; syncAfter: number | null } {
    const items: Item[] = [];
    let last = after;
    for (const item of incoming) {
      if (item.seq <= last) continue;
      if (item.seq !== last + 1) {
        // Everything past a gap is dropped: the resend brings it again, in order.
        this.held.push(...items);
        return { items, syncAfter: last };
      }
      items.push(item);
      last = item.seq;
    }
    this.held.push(...items);
    return { items, syncAfter: null };
  }
}
