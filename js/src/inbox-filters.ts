/**
 * The inbox's filter controls: a search box (applied on Enter, or QUERY_DEBOUNCE_MS after the
 * last keystroke), selects for status, sort, direction and task type, and a compact list of
 * sources to leave out.
 *
 * Every change sends the whole filters object. The controls show the `filters` trait, except
 * the search box while someone is typing in it: their words are not overwritten.
 */

import { h } from "./dom";
import { EMPTY_FILTERS, type InboxFilters } from "./inbox-model";

export const QUERY_DEBOUNCE_MS = 400;

type Options<K extends keyof InboxFilters> = ReadonlyArray<readonly [InboxFilters[K], string]>;

const STATUS_OPTIONS: Options<"status"> = [
  ["", "Any status"],
  ["running", "Working"],
  ["idle", "Idle"],
];
const SORT_OPTIONS: Options<"sort_by"> = [
  ["", "Default order"],
  ["lastEvent", "Last activity"],
  ["created", "Created"],
  ["status", "Status"],
  ["name", "Name"],
  ["tokensUsed", "Tokens used"],
];
const DIRECTION_OPTIONS: Options<"sort_direction"> = [
  ["", "Default direction"],
  ["desc", "Descending"],
  ["asc", "Ascending"],
];
const TYPE_OPTIONS: Options<"task_type"> = [
  ["", "Any type"],
  ["sync", "Sync"],
  ["async", "Async"],
];

export class FilterBar {
  readonly el: HTMLElement;
  private filters: InboxFilters = { ...EMPTY_FILTERS };
  private readonly query: HTMLInputElement;
  private readonly status: HTMLSelectElement;
  private readonly sort: HTMLSelectElement;
  private readonly direction: HTMLSelectElement;
  private readonly type: HTMLSelectElement;
  private readonly exclude: HTMLDetailsElement;
  private readonly excludeSummary: HTMLElement;
  private readonly excludeList: HTMLElement;
  private sources: readonly string[] = [];
  private debounce: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly change: (filters: InboxFilters) => void) {
    this.el = h("div", "neo-inbox-filters");
    this.el.setAttribute("role", "search");

    this.query = h("input", "neo-input neo-inbox-query");
    this.query.type = "search";
    this.query.dataset.testid = "inbox-filter-query";
    this.query.placeholder = "Search tasks (Enter)";
    this.query.setAttribute("aria-label", "Search tasks");
    this.query.addEventListener("input", () => this.scheduleQuery());
    this.query.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        this.applyQuery();
      }
    });
    // A search box's clear button fires `search` without a keystroke.
    this.query.addEventListener("search", () => this.applyQuery());

    this.status = select("inbox-filter-status", "Status", STATUS_OPTIONS);
    this.sort = select("inbox-filter-sort", "Sort by", SORT_OPTIONS);
    this.direction = select("inbox-filter-direction", "Sort direction", DIRECTION_OPTIONS);
    this.type = select("inbox-filter-type", "Task type", TYPE_OPTIONS);
    this.status.addEventListener("change", () =>
      this.set({ status: this.status.value as InboxFilters["status"] }),
    );
    this.sort.addEventListener("change", () =>
      this.set({ sort_by: this.sort.value as InboxFilters["sort_by"] }),
    );
    this.direction.addEventListener("change", () =>
      this.set({ sort_direction: this.direction.value as InboxFilters["sort_direction"] }),
    );
    this.type.addEventListener("change", () =>
      this.set({ task_type: this.type.value as InboxFilters["task_type"] }),
    );

    this.exclude = h("details", "neo-inbox-exclude");
    this.exclude.dataset.testid = "inbox-filter-exclude";
    this.excludeSummary = h("summary", "neo-inbox-exclude-summary");
    this.excludeList = h("div", "neo-inbox-exclude-list");
    this.excludeList.setAttribute("role", "group");
    this.excludeList.setAttribute("aria-label", "Sources to leave out");
    this.exclude.append(this.excludeSummary, this.excludeList);
    this.excludeList.addEventListener("change", () => {
      const checked = Array.from(
        this.excludeList.querySelectorAll<HTMLInputElement>("input:checked"),
        (box) => box.value,
      );
      this.set({ exclude_sources: checked });
    });

    // A dropdown: Escape or a click elsewhere folds it.
    this.exclude.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !this.exclude.open) return;
      event.preventDefault();
      this.exclude.open = false;
      this.excludeSummary.focus();
    });
    document.addEventListener("click", this.foldExclude);

    this.el.append(this.query, this.status, this.sort, this.direction, this.type, this.exclude);
    this.draw();
  }

  /** The `filters` trait changed (this view's change echoed, or another view's). */
  setFilters(filters: InboxFilters | null | undefined): void {
    this.filters = { ...EMPTY_FILTERS, ...(filters ?? {}) };
    this.draw();
  }

  setSources(sources: readonly string[] | null | undefined): void {
    this.sources = sources ?? [];
    this.draw();
  }

  setDisabled(disabled: boolean): void {
    for (const control of [this.query, this.status, this.sort, this.direction, this.type]) {
      control.disabled = disabled;
    }
    for (const box of Array.from(this.excludeList.querySelectorAll("input"))) {
      box.disabled = disabled;
    }
  }

  /** Stop a pending search and the page-wide listener: the view is going away. */
  dispose(): void {
    this.cancelQuery();
    document.removeEventListener("click", this.foldExclude);
  }

  private readonly foldExclude = (event: MouseEvent): void => {
    if (this.exclude.open && !this.exclude.contains(event.target as Node)) {
      this.exclude.open = false;
    }
  };

  private scheduleQuery(): void {
    this.cancelQuery();
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.applyQuery();
    }, QUERY_DEBOUNCE_MS);
  }

  private cancelQuery(): void {
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.debounce = null;
  }

  private applyQuery(): void {
    this.cancelQuery();
    this.set({ query: this.query.value.trim() });
  }

  private set(change: Partial<InboxFilters>): void {
    const next = { ...this.filters, ...change };
    if (sameFilters(next, this.filters)) return;
    this.filters = next;
    this.drawExcludeSummary();
    this.change({ ...next, exclude_sources: [...next.exclude_sources] });
  }

  private draw(): void {
    const f = this.filters;
    if (document.activeElement !== this.query && this.debounce === null) {
      this.query.value = f.query;
    }
    setSelect(this.status, f.status);
    setSelect(this.sort, f.sort_by);
    setSelect(this.direction, f.sort_direction);
    setSelect(this.type, f.task_type);
    // Sources excluded but no longer offered still show, so they can be let back in.
    const names = [...this.sources];
    for (const name of f.exclude_sources) if (!names.includes(name)) names.push(name);
    const excluded = new Set(f.exclude_sources);
    const boxes = names.map((name) => {
      const label = h("label", "neo-inbox-exclude-choice");
      const box = h("input", "");
      box.type = "checkbox";
      box.value = name;
      box.checked = excluded.has(name);
      box.dataset.testid = "inbox-filter-exclude-source";
      label.append(box, document.createTextNode(` ${name}`));
      return label;
    });
    const hadFocus = this.excludeList.contains(document.activeElement);
    const focused = hadFocus ? (document.activeElement as HTMLInputElement).value : null;
    this.excludeList.replaceChildren(...boxes);
    if (!names.length) this.excludeList.append(h("span", "neo-muted", "No sources known yet."));
    if (focused !== null) {
      boxes
        .find((label) => label.querySelector("input")?.value === focused)
        ?.querySelector("input")
        ?.focus();
    }
    this.drawExcludeSummary();
  }

  private drawExcludeSummary(): void {
    const count = this.filters.exclude_sources.length;
    this.excludeSummary.textContent = count
      ? `Excluding ${count} source${count === 1 ? "" : "s"}`
      : "All sources";
    this.excludeSummary.title = count
      ? `Not listed: ${this.filters.exclude_sources.join(", ")}`
      : "";
  }
}

function select<K extends keyof InboxFilters>(
  testId: string,
  label: string,
  options: Options<K>,
): HTMLSelectElement {
  const node = h("select", "neo-inbox-select");
  node.dataset.testid = testId;
  node.setAttribute("aria-label", label);
  for (const [value, text] of options) {
    const option = h("option", "", text);
    option.value = String(value);
    node.append(option);
  }
  return node;
}

/** Select `value`; a value this version does not offer is added, so what is set shows. */
function setSelect(node: HTMLSelectElement, value: unknown): void {
  const text = typeof value === "string" ? value : "";
  if (!Array.from(node.options).some((option) => option.value === text)) {
    const option = h("option", "", text);
    option.value = text;
    node.append(option);
  }
  node.value = text;
}

function sameFilters(a: InboxFilters, b: InboxFilters): boolean {
  return (
    a.query === b.query &&
    a.status === b.status &&
    a.sort_by === b.sort_by &&
    a.sort_direction === b.sort_direction &&
    a.task_type === b.task_type &&
    a.exclude_sources.length === b.exclude_sources.length &&
    a.exclude_sources.every((source, i) => source === b.exclude_sources[i])
  );
}
