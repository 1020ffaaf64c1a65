/**
 * The inbox's three sections, in order (Needs you, Working, Recent), each a heading, a list
 * of rows and a short line when it is empty. Rows keep their element across updates (and
 * across sections), so a reader's open card, typed instructions and focus stay put.
 */

import { h } from "./dom";
import { SECTION_TITLES } from "./inbox-header";
import { type InboxRow, type InboxSection, SECTIONS } from "./inbox-model";
import { type RowActions, RowView } from "./inbox-row";
import type { ApprovalInfo } from "./model";

const EMPTY_TEXT: Record<InboxSection, string> = {
  needs_you: "Nothing needs you.",
  working: "Nothing is running.",
  recent: "No recent tasks.",
};

interface SectionParts {
  el: HTMLElement;
  heading: HTMLElement;
  count: HTMLElement;
  list: HTMLUListElement;
  empty: HTMLElement;
}

export class InboxList {
  readonly el: HTMLElement;
  private readonly sections: Record<InboxSection, SectionParts>;
  private readonly views = new Map<string, RowView>();
  private readonly rows = new Map<string, InboxRow>();
  private opened: string | null = null;

  constructor(
    private readonly handlers: Omit<RowActions, "answered">,
    /** The time now, in ms; a new row reads it, ticks pass it on. */
    private readonly clock: () => number,
  ) {
    this.el = h("div", "neo-inbox-sections");
    const parts = {} as Record<InboxSection, SectionParts>;
    for (const section of SECTIONS) {
      parts[section] = sectionParts(section);
      this.el.append(parts[section].el);
    }
    this.sections = parts;
  }

  /** Show exactly these rows, section by section, in order. */
  show(bySection: Record<InboxSection, readonly InboxRow[]>): void {
    const seen = new Set<string>();
    for (const section of SECTIONS) {
      const { list, empty, count } = this.sections[section];
      let expected = list.firstElementChild;
      for (const row of bySection[section]) {
        seen.add(row.id);
        const view = this.viewFor(row);
        if (view.el !== expected) list.insertBefore(view.el, expected);
        else expected = expected.nextElementSibling;
      }
      empty.hidden = bySection[section].length > 0;
      count.textContent = String(bySection[section].length);
    }
    for (const [id, view] of this.views) {
      if (seen.has(id)) continue;
      view.el.remove();
      this.views.delete(id);
      this.rows.delete(id);
    }
  }

  setOpened(taskId: string | null): void {
    this.opened = taskId;
    for (const [id, view] of this.views) view.setOpened(id === taskId);
  }

  setCard(taskId: string, card: ApprovalInfo | null): void {
    this.views.get(taskId)?.setCard(card);
  }

  tick(): void {
    const now = this.clock();
    for (const view of this.views.values()) view.tick(now);
  }

  row(taskId: string): RowView | undefined {
    return this.views.get(taskId);
  }

  /** The element of a section's heading (focusable from script, not in the tab order). */
  heading(section: InboxSection): HTMLElement {
    return this.sections[section].heading;
  }

  private viewFor(row: InboxRow): RowView {
    let view = this.views.get(row.id);
    if (!view) {
      view = new RowView(row, this.clock(), {
        ...this.handlers,
        answered: (answered) => this.focusAfter(answered),
      });
      view.setOpened(row.id === this.opened);
      this.views.set(row.id, view);
    } else if (this.rows.get(row.id) !== row) {
      view.update(row);
    }
    this.rows.set(row.id, row);
    return view;
  }

  /** After an answer: the next Needs-you row's Approve, or the section's heading. */
  private focusAfter(answered: RowView): void {
    const list = this.sections.needs_you.list;
    const rows = Array.from(list.children);
    const from = rows.indexOf(answered.el);
    for (const el of rows.slice(from + 1)) {
      const target = this.views.get((el as HTMLElement).dataset.taskId ?? "")?.focusTarget;
      if (target) {
        target.focus();
        return;
      }
    }
    this.sections.needs_you.heading.focus();
  }
}

function sectionParts(section: InboxSection): SectionParts {
  const el = h("section", "neo-inbox-section");
  el.dataset.testid = `inbox-section-${section}`;
  el.dataset.section = section;
  const heading = h("h3", "neo-inbox-heading", SECTION_TITLES[section]);
  heading.id = `neo-inbox-${section}-${uid()}`;
  heading.tabIndex = -1;
  const count = h("span", "neo-inbox-heading-count");
  heading.append(" ", count);
  el.setAttribute("aria-labelledby", heading.id);
  const list = h("ul", "neo-inbox-rows");
  const empty = h("p", "neo-empty neo-inbox-empty", EMPTY_TEXT[section]);
  el.append(heading, list, empty);
  return { el, heading, count, list, empty };
}

let lastUid = 0;
function uid(): number {
  return ++lastUid;
}
