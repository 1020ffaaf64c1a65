/**
 * The chat panel's view: renders one Neo task (the Python side is NeoChat) into `el`.
 *
 * Small state arrives as traits (see `Model`); events arrive once each, numbered, in `events`
 * messages (see store.ts). Clicks go to the kernel as messages with a fresh `request_id` and
 * are answered by an `ack`; until then the control shows it is working, and after
 * QUEUED_AFTER_MS the panel says the kernel is busy and the click is queued.
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import type { ApprovalCard } from "./approval";
import { button, h, newRequestId } from "./dom";
import { Header } from "./header";
import { Conversation } from "./items";
import type { AckMessage, Action, Banner, KernelMessage, Model, ViewMessage } from "./model";
import { ItemStore } from "./store";

/** An action unanswered this long is shown as queued behind a busy kernel. */
export const QUEUED_AFTER_MS = 1500;
/** A first sync unanswered this long means the kernel is gone (or far too busy). */
export const SILENT_AFTER_MS = 5000;
/** How long to wait for events the kernel says it holds before asking for them again. */
export const CATCH_UP_AFTER_MS = 2000;
/** How many of the latest events a view renders at first, and how many more per click. */
export const WINDOW = 200;
export const EARLIER_PAGE = 500;

export const QUEUED_TEXT = "Queued: the kernel is busy; this will be sent once when it is free.";
export const DISCONNECTED_TEXT =
  "This panel is disconnected from its kernel. Re-run the cell to reconnect.";
const INPUT_PLACEHOLDER = "Message Neo (Enter to send, Shift+Enter for a new line)";

interface PendingAction {
  resolve(ack: AckMessage): void;
  timer: ReturnType<typeof setTimeout>;
  queued: boolean;
}

type Props = Pick<RenderProps<Model>, "model" | "el">;

export function render({ model, el }: Props): () => void {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const listeners: Array<[string, (...args: never[]) => void]> = [];
  const on = (name: string, callback: (...args: never[]) => void): void => {
    model.on(name, callback as (...args: unknown[]) => void);
    listeners.push([name, callback]);
  };
  const later = (ms: number, fn: () => void): ReturnType<typeof setTimeout> => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
    return timer;
  };
  const cancel = (timer: ReturnType<typeof setTimeout> | null): void => {
    if (timer === null) return;
    clearTimeout(timer);
    timers.delete(timer);
  };

  // -- layout ------------------------------------------------------------------------------

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

  const header = new Header({
    settings: (change) => act({ type: "settings", ...change }),
    showError: (message) => showActionError(message),
  });

  const body = h("div", "neo-body");
  const log = h("div", "neo-log");
  log.tabIndex = 0;
  log.setAttribute("aria-label", "Conversation");
  const empty = h("div", "neo-empty", "Loading the conversation…");
  const conversation = new Conversation({
    approve: (id) => act({ type: "approve", approval_request_id: id }),
    decline: (id, instructions) =>
      act({ type: "decline", approval_request_id: id, message: instructions }),
  });
  log.append(empty, conversation.el);
  const jump = button("neo-jump", "Jump to latest ↓", "neo-jump");
  jump.hidden = true;
  // A long conversation opens on its latest events; earlier ones come in pages on request.
  const earlier = button("neo-earlier", "", "neo-earlier");
  earlier.hidden = true;
  body.append(earlier, log, jump);

  const footer = h("div", "neo-footer");
  const queued = h("div", "neo-queued", QUEUED_TEXT);
  queued.dataset.testid = "neo-queued";
  queued.setAttribute("role", "status");
  queued.hidden = true;
  const actionError = h("div", "neo-inline-error");
  actionError.setAttribute("role", "alert");
  actionError.hidden = true;
  const busyNote = h("div", "neo-busy");
  const form = h("div", "neo-compose");
  const input = h("textarea", "neo-input");
  input.dataset.testid = "neo-input";
  input.rows = 2;
  input.setAttribute("aria-label", "Message to Neo");
  const send = button("neo-button neo-button-primary", "Send", "neo-send");
  const stop = button("neo-button neo-button-stop", "Stop", "neo-stop");
  form.append(input, send, stop);
  footer.append(queued, actionError, busyNote, form);

  root.append(banner, disconnected, header.el, body, footer);
  el.replaceChildren(root);

  // -- actions -----------------------------------------------------------------------------

  const pending = new Map<string, PendingAction>();

  function post(message: ViewMessage): void {
    model.send(message);
  }

  function act(action: Action): Promise<AckMessage> {
    const requestId = newRequestId();
    return new Promise((resolve) => {
      const entry: PendingAction = {
        resolve,
        queued: false,
        timer: later(QUEUED_AFTER_MS, () => {
          entry.queued = true;
          updateQueued();
        }),
      };
      pending.set(requestId, entry);
      post({ ...action, request_id: requestId });
    });
  }

  function onAck(ack: AckMessage): void {
    const entry = pending.get(ack.request_id);
    // Another view of this chat sent it: the kernel answers every view.
    if (!entry) return;
    pending.delete(ack.request_id);
    cancel(entry.timer);
    updateQueued();
    entry.resolve({ ...ack, ok: ack.ok === true });
  }

  function updateQueued(): void {
    queued.hidden = ![...pending.values()].some((entry) => entry.queued);
  }

  function showActionError(message: string | null): void {
    actionError.textContent = message ?? "";
    actionError.hidden = !message;
  }

  // -- the composer --------------------------------------------------------------------------

  let sending = false;
  let stopping = false;

  function submit(): void {
    const text = input.value.trim();
    if (!text || input.disabled || sending) return;
    sending = true;
    showActionError(null);
    updateControls();
    void act({ type: "send", content: text }).then((ack) => {
      sending = false;
      if (ack.ok) {
        if (input.value.trim() === text) input.value = "";
      } else {
        showActionError(ack.error || "The message could not be sent.");
      }
      updateControls();
    });
  }

  function requestStop(): void {
    if (stopping || stop.disabled) return;
    stopping = true;
    showActionError(null);
    updateControls();
    void act({ type: "cancel" }).then((ack) => {
      stopping = false;
      if (!ack.ok) showActionError(ack.error || "Neo could not be stopped.");
      updateControls();
    });
  }

  input.addEventListener("keydown", (event) => {
    // isComposing: Enter that ends an IME composition (Japanese, Chinese, ...) is not a send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  send.addEventListener("click", submit);
  stop.addEventListener("click", requestStop);
  // Keys typed in the panel belong to the panel, whatever listens further up.
  root.addEventListener("keydown", (event) => event.stopPropagation());

  function updateControls(): void {
    const busyReason = model.get("busy_reason") || "";
    const running = model.get("status") === "running";
    input.disabled = isDisconnected() || sending || busyReason !== "";
    input.placeholder = busyReason || INPUT_PLACEHOLDER;
    send.disabled = input.disabled;
    send.setAttribute("aria-busy", String(sending));
    send.textContent = sending ? "Sending…" : "Send";
    busyNote.textContent = busyReason;
    busyNote.hidden = busyReason === "";
    stop.hidden = !running;
    stop.disabled = isDisconnected() || stopping;
    stop.textContent = stopping ? "Stopping…" : "Stop";
    conversation.setDisabled(isDisconnected());
    header.setDisabled(isDisconnected());
  }

  // -- traits --------------------------------------------------------------------------------

  function updateHeader(): void {
    header.setTask(model.get("task_name") ?? "", model.get("status"));
  }

  function updateEntities(): void {
    header.setEntities(model.get("entities") ?? []);
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

  function updateConsoleUrl(): void {
    header.setConsoleUrl(model.get("console_url") ?? null);
  }

  function updateBanner(): void {
    const value: Banner | null = model.get("banner");
    banner.hidden = !value;
    banner.dataset.level = value?.level ?? "";
    bannerTitle.textContent = value?.title ?? "";
    bannerMessage.textContent = value?.message ?? "";
  }

  function updateApprovals(): void {
    conversation.setApprovals(model.get("approvals") ?? {});
  }

  function updateAnswers(): void {
    conversation.setAnswers(model.get("answers") ?? {});
  }

  // -- events, sync and liveness -------------------------------------------------------------

  const store = new ItemStore();
  let shownFrom = 0; // index in store.items of the first item rendered
  let answered = false;
  // Why the panel is cut off, if it is: "closed" (the comm closed: final), "dead" (the
  // manager marked the comm dead: a kernel restart, or a dropped websocket that may come back)
  // or "silent" (the first sync went unanswered). Any word from the kernel ends the last two.
  let lost: "closed" | "dead" | "silent" | null = null;
  let silentTimer: ReturnType<typeof setTimeout> | null = null;
  let catchUpTimer: ReturnType<typeof setTimeout> | null = null;
  let lastSync: { after: number; at: number } | null = null;

  function isDisconnected(): boolean {
    return lost !== null;
  }

  function sync(): void {
    const after = store.lastSeq;
    const now = Date.now();
    // One request per position: a burst of messages past one gap asks once.
    if (lastSync && lastSync.after === after && now - lastSync.at < SILENT_AFTER_MS) return;
    lastSync = { after, at: now };
    post({ type: "sync", after });
  }

  function heard(): void {
    if (lost === null || lost === "closed") return;
    const was = lost;
    lost = null;
    updateConnection();
    // Back from a dropped connection: ask for whatever was sent meanwhile.
    if (was === "dead") sync();
  }

  function updateConnection(): void {
    disconnected.hidden = !isDisconnected();
    root.classList.toggle("neo-is-disconnected", isDisconnected());
    updateControls();
  }

  function markLost(reason: "closed" | "dead"): void {
    if (lost === "closed") return;
    lost = reason;
    for (const requestId of [...pending.keys()]) {
      onAck({ type: "ack", request_id: requestId, ok: false, error: "The kernel is gone." });
    }
    updateConnection();
  }

  function onEvents(events: KernelMessage & { type: "events" }): void {
    answered = true;
    cancel(silentTimer);
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
    if (applied.mode === "append") focusArrived(cards);
    empty.textContent = "No messages yet. Ask Neo about your infrastructure.";
    empty.hidden = store.size > 0;
    if (applied.syncAfter !== null) sync();
    if (applied.items.length || applied.mode === "replace") {
      if (stick) scrollToBottom();
      else jump.hidden = false;
    }
  }

  /**
   * Move focus to the Approve button of the newest card that just arrived, so a keyboard or
   * screen reader user can answer at once; but only when focus is nowhere in particular (the
   * page, or this panel's log): never away from someone typing or working elsewhere.
   */
  function focusArrived(cards: readonly ApprovalCard[]): void {
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
    heard();
    if (!message || typeof message !== "object") return;
    const typed = message as KernelMessage;
    if (typed.type === "events") onEvents(typed);
    else if (typed.type === "ack") onAck(typed);
  }

  function checkCaughtUp(): void {
    cancel(catchUpTimer);
    catchUpTimer = later(CATCH_UP_AFTER_MS, () => {
      catchUpTimer = null;
      if (answered && store.lastSeq < (model.get("event_count") ?? 0) - 1) sync();
    });
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

  on("msg:custom", onMessage);
  on("change:task_name", () => (heard(), updateHeader()));
  on("change:status", () => (heard(), updateHeader(), updateControls()));
  on("change:entities", () => (heard(), updateEntities()));
  on("change:banner", () => (heard(), updateBanner()));
  on("change:approvals", () => (heard(), updateApprovals()));
  on("change:answers", () => (heard(), updateAnswers()));
  on("change:approval_mode", () => (heard(), updateModes()));
  on("change:plan_mode", () => (heard(), updateModes()));
  on("change:permission_mode", () => (heard(), updateModes()));
  on("change:context", () => (heard(), updateUsage()));
  on("change:tokens_used", () => (heard(), updateUsage()));
  on("change:console_url", () => (heard(), updateConsoleUrl()));
  on("change:busy_reason", () => (heard(), updateControls()));
  on("change:event_count", () => (heard(), checkCaughtUp()));
  // ipywidgets: the comm closed (the widget was closed, or the kernel restarted) ...
  on("comm:close", () => markLost("closed"));
  // ... or the manager marked it dead (kernel restart). anywidget's model proxy does not
  // expose `comm_live`, so an update is taken as death unless a real model says otherwise.
  on("comm_live_update", () => {
    const live = (model as AnyModel<Model> & { comm_live?: unknown }).comm_live;
    if (live !== true) markLost("dead");
  });

  updateHeader();
  updateEntities();
  updateBanner();
  updateModes();
  updateUsage();
  updateConsoleUrl();
  updateApprovals();
  updateAnswers();
  updateConnection();

  sync();
  silentTimer = later(SILENT_AFTER_MS, () => {
    silentTimer = null;
    if (!answered && lost === null) {
      lost = "silent";
      updateConnection();
    }
  });

  return () => {
    for (const [name, callback] of listeners)
      model.off(name, callback as (...args: unknown[]) => void);
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    pending.clear();
    root.remove();
  };
}
