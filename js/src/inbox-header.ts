/**
 * The inbox's header: its title, how many rows each section holds, and what is followed
 * ("Following 3 of at most 20 tasks, re-read every 10 s"), with "Loading…" while a list or a
 * page is read.
 */

import { h } from "./dom";
import type { InboxSection } from "./inbox-model";

export const SECTION_TITLES: Record<InboxSection, string> = {
  needs_you: "Needs you",
  working: "Working",
  recent: "Recent",
};

export interface Following {
  following: number;
  follow_cap: number;
  poll_seconds: number;
  listed: number;
}

export class InboxHeader {
  readonly el: HTMLElement;
  private readonly counts: HTMLElement;
  private readonly following: HTMLElement;
  private readonly loading: HTMLElement;

  constructor() {
    this.el = h("div", "neo-header neo-inbox-header");
    const titleRow = h("div", "neo-title-row");
    titleRow.append(h("h2", "neo-task-name neo-inbox-title", "Neo inbox"));
    this.counts = h("div", "neo-inbox-counts");
    this.counts.dataset.testid = "inbox-counts";
    titleRow.append(this.counts);
    const line = h("div", "neo-inbox-following-line");
    this.following = h("span", "neo-muted");
    this.following.dataset.testid = "inbox-following";
    this.loading = h("span", "neo-inbox-loading");
    this.loading.dataset.testid = "inbox-loading";
    this.loading.setAttribute("role", "status");
    const spinner = h("span", "neo-spinner");
    spinner.setAttribute("aria-hidden", "true");
    this.loading.append(spinner, document.createTextNode(" Loading…"));
    line.append(this.following, this.loading);
    this.el.append(titleRow, line);
  }

  setCounts(counts: Record<InboxSection, number>): void {
    const chips = (Object.keys(SECTION_TITLES) as InboxSection[]).map((section) => {
      const chip = h("span", "neo-inbox-count", `${SECTION_TITLES[section]} ${counts[section]}`);
      chip.dataset.section = section;
      chip.dataset.empty = String(counts[section] === 0);
      return chip;
    });
    this.counts.replaceChildren(...chips);
  }

  setFollowing(value: Following): void {
    const cap = value.follow_cap;
    const listed = value.listed;
    this.following.textContent =
      `Following ${value.following} of at most ${cap} ${cap === 1 ? "task" : "tasks"}, ` +
      `re-read every ${value.poll_seconds} s` +
      (listed ? ` · ${listed} listed` : "");
  }

  setLoading(loading: boolean): void {
    this.loading.hidden = !loading;
  }
}
