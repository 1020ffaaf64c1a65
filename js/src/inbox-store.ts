/**
 * The rows an inbox view holds, by task id. Pure: no DOM, no model.
 *
 * Each section is shown in the order Python's `Inbox.rows` has (`_row_order` in
 * neo_notebook/_inbox.py), kept here too because upserts arrive one row at a time and move
 * rows: Needs you longest waiting first (`waiting_since`, else `last_activity`), Working and
 * Recent newest activity first. A missing time counts as the epoch; ties keep arrival order.
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
    // Array.prototype.sort is stable: equal times keep the order rows arrived in.
    out.needs_you.sort(
      (a, b) => time(a.waiting_since ?? a.last_activity) - time(b.waiting_since ?? b.last_activity),
    );
    out.working.sort(newestFirst);
    out.recent.sort(newestFirst);
    return out;
  }
}

function newestFirst(a: InboxRow, b: InboxRow): number {
  return time(b.last_activity) - time(a.last_activity);
}

/** An ISO time in ms; 0 when missing or unreadable (as Python's `_timestamp`). */
function time(iso: string | null | undefined): number {
  if (!iso) return 0;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}
