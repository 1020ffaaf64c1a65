/**
 * The rows an inbox view holds, by task id, in the kernel's order. Pure: no DOM, no model.
 *
 * A reset sets the order; an upsert keeps a known row in its place and adds new rows after
 * the others, in the order sent. The kernel sends a reset whenever the order itself changes
 * (a new sort, a re-listing).
 */

import { type InboxRow, type InboxSection, SECTIONS } from "./inbox-model";

export class RowStore {
  private readonly rows = new Map<string, InboxRow>();

  get size(): number {
    return this.rows.size;
  }

  get(id: string): InboxRow | undefined {
    return this.rows.get(id);
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  /** Apply a `rows` message; returns the ids that left (only a reset drops rows). */
  apply(rows: readonly InboxRow[], reset: boolean): string[] {
    const valid = rows.filter((row) => typeof row?.id === "string");
    const gone: string[] = [];
    if (reset) {
      const keep = new Set(valid.map((row) => row.id));
      for (const id of this.rows.keys()) if (!keep.has(id)) gone.push(id);
      this.rows.clear();
    }
    // Map keeps insertion order, and `set` on a known key keeps its place.
    for (const row of valid) this.rows.set(row.id, row);
    return gone;
  }

  /** Drop rows; returns the ids that were held. */
  remove(ids: readonly string[]): string[] {
    return ids.filter((id) => this.rows.delete(id));
  }

  /** The rows of each section, in order; a row of an unknown section shows under Recent. */
  bySection(): Record<InboxSection, InboxRow[]> {
    const out: Record<InboxSection, InboxRow[]> = { needs_you: [], working: [], recent: [] };
    for (const row of this.rows.values()) {
      out[SECTIONS.includes(row.section) ? row.section : "recent"].push(row);
    }
    return out;
  }
}
