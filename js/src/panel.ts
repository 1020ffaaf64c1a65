/**
 * The chat panel's view: renders one Neo task (the Python side is NeoChat) into `el`.
 *
 * Small state arrives as traits (see `Model`); events arrive once each, numbered, in `events`
 * messages (see store.ts), and runs on this machine in `live` messages. Clicks go to the
 * kernel as requests answered by an `ack` (connection.ts); `render` only wires the parts:
 * the header, the conversation, the composer, and the line to the kernel.
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import { Composer } from "./composer";
import { Liveness, Requests, Timers } from "./connection";
import { button, h } from "./dom";
import { Header } from "./header";
import { Conversation } from "./items";
import type { Banner, KernelMessage, Model, ViewMessage } from "./model";
import { ItemStore } from "./store";

export { QUEUED_TEXT } from "./composer";
export { CATCH_UP_AFTER_MS, QUEUED_AFTER_MS, SILENT_AFTER_MS } from "./connection";

/** How many of the latest events a view renders at first, and how many more per click. */
export const WINDOW = 200;
export const EARLIER_PAGE = 500;

export const DISCONNECTED_TEXT =
  "This panel is disconnected from its kernel. Re-run the cell to reconnect.";

type Props = Pick<RenderProps<Model>, "model" | "el">;

export function render({ model, el }: Props): () => void {
  const timers = new Timers();
  const listeners: Array<[string, (...args: never[]) => void]> = [];
  const on = (name: string, callback: (...args: never[]) => void): void => {
    model.on(name, callback as (...args: unknown[]) => void);
    listeners.push([name, callback]);
  };
  const post = (message: ViewMessage): void => model.send(message);

  // -- the parts -----------------------------------------------------------------------------

  const root = h("div", "neo-chat");
  // Lumino (JupyterLab, Notebook 7) skips its shortcuts for keys typed in here: Shift+Enter
  // must insert a newline, not run the cell.
  root.setAttribute("data-lm-suppress-shortcuts", "true");

  const banner = h("div", "neo-banner");
  banner.dataset.testid = "neo-banner";
  banner.setAttribute("role", "alert");
  const bannerTitle = h("strong", "neo-banner-title");
  const bannerMessage = h("span", "neo-banner-message");
  banner.append(bannerTitle, bannerMessage);

  const disconnected = h("div", "neo-disconnected", DISCONNECTED_TEXT);
  disconnected.dataset.testid = "neo-disconnected";
  disconnected.setAttribute("role", "alert");
  disconnected.hidden = true;

  const composer = new Composer({
    send: (content) => requests.act({ type: "send", content }),
    stop: () => requests.act({ type: "cancel" }),
  });
  const requests = new Requests(post, timers, (queued) => composer.setQueued(queued));
  const store = new ItemStore();
  const liveness = new Liveness(
    {
      post,
      lastSeq: () => store.lastSeq,
      eventCount: () => model.get("event_count") ?? 0,
      changed: updateConnection,
      lost: () => requests.failAll("The kernel is gone."),
    },
    timers,
  );

  const header = new Header({
    settings: (change) => requests.act({ type: "settings", ...change }),
    grant: (kind, allowed) => requests.act({ type: "grant", kind, allowed }),
    showError: (message) => composer.showError(message),
  });

  const body = h("div", "neo-body");
  const log = h("div", "neo-log");
  log.tabIndex = 0;
  log.setAttribute("aria-label", "Conversation");
  const empty = h("div", "neo-empty", "Loading the conversation…");
  const conversation = new Conversation({
    approve: (id) => requests.act({ type: "approve", approval_request_id: id }),
    decline: (id, instructions) =>
      requests.act({ type: "decline", approval_request_id: id, message: instructions }),
    allow: (callId, grant) => requests.act({ type: "allow", call_id: callId, grant }),
    reject: (callId, reason) => requests.act({ type: "reject", call_id: callId, reason }),
  });
  log.append(empty, conversation.el);
  const jump = button("neo-jump", "Jump to latest ↓", "neo-jump");
  jump.hidden = true;
  // A long conversation opens on its latest events; earlier ones come in pages on request.
  const earlier = button("neo-earlier", "", "neo-earlier");
  earlier.hidden = true;
  body.append(earlier, log, jump);

  root.append(banner, disconnected, header.el, body, composer.el);
  el.replaceChildren(root);
  // Keys typed in the panel belong to the panel, whatever listens further up.
  root.addEventListener("keydown", (event) => event.stopPropagation());

  // -- traits --------------------------------------------------------------------------------

  function waitingForYou(): boolean {
    const decisions = model.get("local_decisions") ?? {};
    return Object.keys(model.get("local_asks") ?? {}).some((id) => !decisions[id]);
  }

  function updateControls(): void {
    const status = model.get("status");
    const off = liveness.disconnected;
    composer.update({
      busyReason: model.get("busy_reason") || "",
      stoppable: status === "running" || status === "awaiting_tools",
      disconnected: off,
    });
    conversation.setDisabled(off);
    header.setDisabled(off);
  }

  function updateConnection(): void {
    disconnected.hidden = !liveness.disconnected;
    root.classList.toggle("neo-is-disconnected", liveness.disconnected);
    updateControls();
  }

  function updateHeader(): void {
    header.setTask(model.get("task_name") ?? "", model.get("status"), waitingForYou());
  }

  function updateModes(): void {
    header.setModes({
      approval_mode: model.get("approval_mode") ?? null,
      plan_mode: model.get("plan_mode") ?? null,
      permission_mode: model.get("permission_mode") ?? null,
    });
  }

  function updateUsage(): void {
    header.setUsage(model.get("context") ?? null, model.get("tokens_used") ?? null);
  }

  function updateBanner(): void {
    const value: Banner | null = model.get("banner");
    banner.hidden = !value;
    banner.dataset.level = value?.level ?? "";
    bannerTitle.textContent = value?.title ?? "";
    bannerMessage.textContent = value?.message ?? "";
  }

  function updateLocalAsks(): void {
    const cards = conversation.setLocalAsks(
      model.get("local_asks") ?? {},
      model.get("local_decisions") ?? {},
    );
    focusArrived(cards);
    updateHeader();
  }

  // -- events --------------------------------------------------------------------------------

  let shownFrom = 0; // index in store.items of the first item rendered

  function onEvents(events: KernelMessage & { type: "events" }): void {
    liveness.gotEvents();
    const stick = isAtBottom();
    const applied = store.apply(events.events ?? [], events.reset === true);
    let shown = applied.items;
    if (applied.mode === "replace") {
      conversation.clear();
      shownFrom = Math.max(0, shown.length - WINDOW);
      shown = shown.slice(shownFrom);
      updateEarlier();
    }
    const cards = conversation.add(shown);
    if (applied.mode === "replace") updateLocalAsks();
    if (applied.mode === "append") focusArrived(cards);
    empty.textContent = "No messages yet. Ask Neo about your infrastructure.";
    empty.hidden = store.size > 0;
    if (applied.syncAfter !== null) liveness.sync();
    if (applied.items.length || applied.mode === "replace") {
      if (stick) scrollToBottom();
      else jump.hidden = false;
    }
  }

  /**
   * Move focus to the first button of the newest card that just arrived, so a keyboard or
   * screen reader user can answer at once; but only when focus is nowhere in particular (the
   * page, or this panel's log): never away from someone typing or working elsewhere.
   */
  function focusArrived(cards: ReadonlyArray<{ focusTarget: HTMLButtonElement | null }>): void {
    const target = [...cards].reverse().find((card) => card.focusTarget)?.focusTarget;
    if (!target || target.disabled) return;
    const active = document.activeElement;
    if (active && active !== document.body && active !== log && active !== conversation.el) {
      return;
    }
    target.focus({ preventScroll: true });
  }

  function updateEarlier(): void {
    earlier.hidden = shownFrom === 0;
    earlier.textContent = `Show earlier events (${shownFrom.toLocaleString()} hidden)`;
  }

  function showEarlier(): void {
    const from = Math.max(0, shownFrom - EARLIER_PAGE);
    const fromBottom = log.scrollHeight - log.scrollTop; // keep the reader's place
    conversation.addEarlier(store.items.slice(from, shownFrom));
    shownFrom = from;
    updateEarlier();
    log.scrollTop = log.scrollHeight - fromBottom;
  }

  function onMessage(message: unknown): void {
    liveness.heard();
    if (!message || typeof message !== "object") return;
    const typed = message as KernelMessage;
    if (typed.type === "events") onEvents(typed);
    else if (typed.type === "ack") requests.onAck(typed);
    else if (typed.type === "live") {
      const stick = isAtBottom();
      conversation.setLive(typed.runs ?? []);
      if (stick) scrollToBottom();
    }
  }

  // -- scrolling -----------------------------------------------------------------------------

  function isAtBottom(): boolean {
    return log.scrollHeight - log.scrollTop - log.clientHeight <= 32;
  }

  function scrollToBottom(): void {
    log.scrollTop = log.scrollHeight;
    jump.hidden = true;
  }

  log.addEventListener("scroll", () => {
    if (isAtBottom()) jump.hidden = true;
  });
  earlier.addEventListener("click", showEarlier);
  jump.addEventListener("click", () => {
    scrollToBottom();
    log.focus();
  });

  // -- wiring --------------------------------------------------------------------------------

  const heard = (update: () => void) => () => (liveness.heard(), update());
  on("msg:custom", onMessage);
  on("change:task_name", heard(updateHeader));
  on(
    "change:status",
    heard(() => (updateHeader(), updateControls())),
  );
  on(
    "change:entities",
    heard(() => header.setEntities(model.get("entities") ?? [])),
  );
  on("change:banner", heard(updateBanner));
  on(
    "change:approvals",
    heard(() => conversation.setApprovals(model.get("approvals") ?? {})),
  );
  on(
    "change:answers",
    heard(() => conversation.setAnswers(model.get("answers") ?? {})),
  );
  on(
    "change:kept",
    heard(() => conversation.setKept(model.get("kept") ?? {})),
  );
  on("change:approval_mode", heard(updateModes));
  on("change:plan_mode", heard(updateModes));
  on("change:permission_mode", heard(updateModes));
  on("change:context", heard(updateUsage));
  on("change:tokens_used", heard(updateUsage));
  on(
    "change:console_url",
    heard(() => header.setConsoleUrl(model.get("console_url") ?? null)),
  );
  on("change:busy_reason", heard(updateControls));
  on(
    "change:event_count",
    heard(() => liveness.checkCaughtUp()),
  );
  on(
    "change:workspace",
    heard(() => header.setWorkspace(model.get("workspace") ?? null)),
  );
  on("change:local_asks", heard(updateLocalAsks));
  on("change:local_decisions", heard(updateLocalAsks));
  // ipywidgets: the comm closed (the widget was closed, or the kernel restarted) ...
  on("comm:close", () => liveness.markLost("closed"));
  // ... or the manager marked it dead (kernel restart). anywidget's model proxy does not
  // expose `comm_live`, so an update is taken as death unless a real model says otherwise.
  on("comm_live_update", () => {
    const live = (model as AnyModel<Model> & { comm_live?: unknown }).comm_live;
    if (live !== true) liveness.markLost("dead");
  });

  updateHeader();
  header.setEntities(model.get("entities") ?? []);
  updateBanner();
  updateModes();
  updateUsage();
  header.setConsoleUrl(model.get("console_url") ?? null);
  header.setWorkspace(model.get("workspace") ?? null);
  conversation.setApprovals(model.get("approvals") ?? {});
  conversation.setAnswers(model.get("answers") ?? {});
  conversation.setKept(model.get("kept") ?? {});
  updateLocalAsks();
  updateConnection();
  liveness.start();

  return () => {
    for (const [name, callback] of listeners)
      model.off(name, callback as (...args: unknown[]) => void);
    timers.clear();
    requests.clear();
    conversation.dispose();
    root.remove();
  };
}
