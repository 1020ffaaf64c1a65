/**
 * The Neo inbox's view: the tasks that need a person, those working, and recent ones, for
 * the Python side's `NeoInbox` (see inbox-model.ts for the contract).
 *
 * Small state arrives as traits; rows arrive in `rows` messages (a reset, or upserts by task
 * id) and leave in `remove` messages. Clicks go to the kernel with a fresh `request_id` and
 * are answered by an `ack`. `render` only wires: the rows (inbox-row.ts), the sections
 * (inbox-list.ts), the filters and the header draw themselves.
 */

import type { RenderProps } from "@anywidget/types";
import { button, h } from "./dom";
import { FilterBar } from "./inbox-filters";
import { InboxHeader } from "./inbox-header";
import { InboxList } from "./inbox-list";
import type {
  InboxAck,
  InboxBanner,
  InboxFilters,
  InboxKernelMessage,
  InboxModel,
} from "./inbox-model";
import { Requests } from "./inbox-requests";
import { RowStore } from "./inbox-store";
import { TICK_MS } from "./inbox-time";

export const GONE_TEXT = "The kernel is gone. Re-run the cell to reconnect.";

type Props = Pick<RenderProps<InboxModel>, "model" | "el">;

export function render({ model, el }: Props): () => void {
  const listeners: Array<[string, (...args: never[]) => void]> = [];
  const on = (name: string, callback: (...args: never[]) => void): void => {
    model.on(name, callback as (...args: unknown[]) => void);
    listeners.push([name, callback]);
  };

  const requests = new Requests((message) => model.send(message));
  const act = requests.act.bind(requests);
  const store = new RowStore();

  // -- layout ------------------------------------------------------------------------------

  const root = h("div", "neo-chat neo-inbox");
  root.dataset.testid = "neo-inbox";
  // Lumino (JupyterLab, Notebook 7) skips its shortcuts for keys typed in here.
  root.setAttribute("data-lm-suppress-shortcuts", "true");

  const banner = h("div", "neo-banner");
  banner.dataset.testid = "inbox-banner";
  banner.setAttribute("role", "alert");
  const bannerTitle = h("strong", "neo-banner-title");
  const bannerMessage = h("span", "neo-banner-message");
  banner.append(bannerTitle, bannerMessage);

  const header = new InboxHeader();
  const filters = new FilterBar((value) => applyFilters(value));
  const filterError = h("div", "neo-inline-error");
  filterError.setAttribute("role", "alert");
  filterError.hidden = true;

  const list = new InboxList(
    {
      approve: (task_id, approval_request_id) =>
        act({ type: "approve", task_id, approval_request_id }),
      reject: (task_id, approval_request_id, instructions) =>
        act({ type: "reject", task_id, approval_request_id, instructions }),
      open: (task_id) => act({ type: "open", task_id }),
      expand: (task_id) => act({ type: "expand", task_id }),
    },
    () => Date.now(),
  );

  const more = button("neo-button neo-inbox-more", "Load more", "inbox-more");
  const moreError = h("div", "neo-inline-error");
  moreError.setAttribute("role", "alert");
  moreError.hidden = true;
  const footer = h("div", "neo-inbox-footer");
  footer.append(more, moreError);

  root.append(banner, header.el, filters.el, filterError, list.el, footer);
  el.replaceChildren(root);

  // -- actions -----------------------------------------------------------------------------

  function applyFilters(value: InboxFilters): void {
    filterError.hidden = true;
    void act({ type: "filter", filters: value }).then((ack) => {
      if (ack.ok !== false) return;
      showError(filterError, ack.error || "The filters could not be applied.");
      filters.setFilters(model.get("filters")); // back to what is set
    });
  }

  let loadingMore = false;
  more.addEventListener("click", () => {
    if (loadingMore) return;
    loadingMore = true;
    moreError.hidden = true;
    updateMore();
    void act({ type: "more" }).then((ack) => {
      loadingMore = false;
      if (ack.ok === false) showError(moreError, ack.error || "No more tasks could be read.");
      updateMore();
    });
  });

  function showError(node: HTMLElement, text: string): void {
    node.textContent = text;
    node.hidden = false;
  }

  // Keys typed in the inbox belong to it, whatever listens further up.
  root.addEventListener("keydown", (event) => event.stopPropagation());

  // -- traits ------------------------------------------------------------------------------

  function updateBanner(): void {
    const value: InboxBanner | null = model.get("banner") ?? null;
    banner.hidden = !value;
    banner.dataset.level = value?.level ?? "";
    bannerTitle.textContent = value?.title ?? "";
    bannerMessage.textContent = value?.message ?? "";
  }

  function updateFollowing(): void {
    header.setFollowing({
      following: model.get("following") ?? 0,
      follow_cap: model.get("follow_cap") ?? 0,
      poll_seconds: model.get("poll_seconds") ?? 0,
      listed: model.get("listed") ?? 0,
    });
  }

  function updateLoading(): void {
    const loading = model.get("loading") === true;
    header.setLoading(loading);
    root.setAttribute("aria-busy", String(loading));
    updateMore();
  }

  function updateMore(): void {
    more.hidden = model.get("has_more") !== true;
    const busy = loadingMore || model.get("loading") === true;
    more.disabled = busy;
    more.textContent = loadingMore ? "Loading…" : "Load more";
    more.setAttribute("aria-busy", String(loadingMore));
  }

  // -- rows --------------------------------------------------------------------------------

  function showRows(): void {
    const bySection = store.bySection();
    list.show(bySection);
    header.setCounts({
      needs_you: bySection.needs_you.length,
      working: bySection.working.length,
      recent: bySection.recent.length,
    });
  }

  function onMessage(message: unknown): void {
    if (!message || typeof message !== "object") return;
    const typed = message as InboxKernelMessage;
    if (typed.type === "rows") {
      store.apply(Array.isArray(typed.rows) ? typed.rows : [], typed.reset === true);
      showRows();
    } else if (typed.type === "remove") {
      if (store.remove(Array.isArray(typed.ids) ? typed.ids : []).length) showRows();
    } else if (typed.type === "card") {
      list.setCard(typed.id, typed.card ?? null);
    } else if (typed.type === "ack") {
      requests.resolve(typed as InboxAck);
    }
  }

  // -- wiring ------------------------------------------------------------------------------

  on("msg:custom", onMessage);
  on("change:banner", updateBanner);
  on("change:filters", () => filters.setFilters(model.get("filters")));
  on("change:sources", () => filters.setSources(model.get("sources")));
  on("change:following", updateFollowing);
  on("change:follow_cap", updateFollowing);
  on("change:poll_seconds", updateFollowing);
  on("change:listed", updateFollowing);
  on("change:has_more", updateMore);
  on("change:loading", updateLoading);
  on("change:opened", () => list.setOpened(model.get("opened") ?? null));
  on("comm:close", () => {
    requests.failAll(GONE_TEXT);
    filters.setDisabled(true);
    more.disabled = true;
  });

  const ticker = setInterval(() => list.tick(), TICK_MS);

  updateBanner();
  filters.setSources(model.get("sources"));
  filters.setFilters(model.get("filters"));
  updateFollowing();
  updateLoading();
  list.setOpened(model.get("opened") ?? null);
  showRows();
  requests.post({ type: "sync" });

  return () => {
    clearInterval(ticker);
    filters.dispose();
    for (const [name, callback] of listeners) {
      model.off(name, callback as (...args: unknown[]) => void);
    }
    requests.clear();
    root.remove();
  };
}
