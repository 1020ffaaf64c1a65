/**
 * Items to DOM: bubbles, tool rows, approval cards, notes, and a plain row for any event type
 * this version does not know (never dropped).
 *
 * Everything from the API goes in as text except Neo's Markdown, which goes through
 * markdown.ts (sanitized).
 */

import { ApprovalCard, type ApprovalActions } from "./approval";
import { h, localTime } from "./dom";
import { renderMarkdown } from "./markdown";
import type { ApprovalState, Item } from "./model";
import { ToolLedger, durationMs, formatDuration, prettyJson, type ToolRecord } from "./tools";

/** Event types rendered by their own code; the rest are shown as unknown. */
const KNOWN = new Set([
  "user_message",
  "assistant_message",
  "set_task_name",
  "exec_tool_call",
  "tool_response",
  "user_confirmation",
  "user_cancel",
  "cancelled",
  "error",
  "warning",
  "user_approval_request",
]);

const TOOL_STATE_LABELS: Record<ToolRecord["state"], string> = {
  requested: "requested",
  running: "running",
  done: "done",
  error: "failed",
};

export class Conversation {
  readonly el: HTMLElement;
  private readonly tools = new ToolLedger();
  private readonly toolRows = new Map<string, HTMLDetailsElement>();
  private cards: ApprovalCard[] = [];
  private approvals: Record<string, ApprovalState> = {};
  private disabled = false;
  /** Where new nodes go: the log, or a fragment while earlier items are rendered. */
  private target: HTMLElement | DocumentFragment;

  constructor(private readonly handlers: ApprovalActions) {
    this.el = h("div", "neo-items");
    this.target = this.el;
    this.el.setAttribute("role", "log");
    this.el.setAttribute("aria-live", "polite");
  }

  clear(): void {
    this.el.replaceChildren();
    this.tools.clear();
    this.toolRows.clear();
    this.cards = [];
  }

  add(items: readonly Item[]): void {
    for (const item of items) this.addItem(item);
  }

  /** Render items that come before everything shown, at the top. */
  addEarlier(items: readonly Item[]): void {
    const fragment = document.createDocumentFragment();
    this.target = fragment;
    try {
      this.add(items);
    } finally {
      this.target = this.el;
    }
    this.el.prepend(fragment);
  }

  setApprovals(approvals: Record<string, ApprovalState>): void {
    this.approvals = approvals;
    for (const card of this.cards) if (card.id) card.setState(approvals[card.id]);
  }

  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    for (const card of this.cards) card.setDisabled(disabled);
  }

  private addItem(item: Item): void {
    if (!KNOWN.has(item.type)) {
      this.target.append(unknownRow(item));
      if (item.approval) this.addCard(item);
      return;
    }
    switch (item.type) {
      case "user_message":
        this.target.append(bubble("user", item, textBody(item.content ?? "")));
        break;
      case "assistant_message":
        if (item.content)
          this.target.append(bubble("assistant", item, renderMarkdown(item.content)));
        break;
      case "set_task_name":
        this.target.append(
          note(item, "neo-note", item.name ? `Task named “${item.name}”` : "Task renamed"),
        );
        break;
      case "user_confirmation":
        this.target.append(note(item, "neo-note", item.ok === false ? "Declined" : "Approved"));
        break;
      case "user_cancel":
        this.target.append(note(item, "neo-note", "Stop requested"));
        break;
      case "cancelled":
        this.target.append(note(item, "neo-note", item.content || "Cancelled"));
        break;
      case "error":
        this.target.append(
          note(item, "neo-note neo-note-error", item.content || "Neo reported an error."),
        );
        break;
      case "warning":
        this.target.append(note(item, "neo-note neo-note-warning", item.content || "Warning"));
        break;
    }
    for (const record of this.tools.observe(item)) this.renderTool(record);
    if (item.approval) this.addCard(item);
  }

  private addCard(item: Item): void {
    if (!item.approval) return;
    const card = new ApprovalCard(item.approval, item.timestamp, this.handlers);
    if (card.id) card.setState(this.approvals[card.id]);
    card.setDisabled(this.disabled);
    this.cards.push(card);
    this.target.append(card.el);
  }

  private renderTool(record: ToolRecord): void {
    let row = this.toolRows.get(record.key);
    if (!row) {
      row = h("details", "neo-tool");
      row.dataset.testid = "neo-tool";
      this.toolRows.set(record.key, row);
      this.target.append(row);
    }
    fillToolRow(row, record);
  }
}

function bubble(role: "user" | "assistant", item: Item, body: HTMLElement): HTMLElement {
  const node = h("div", `neo-message neo-message-${role}`);
  node.dataset.testid = "neo-message";
  node.dataset.role = role;
  const title = localTime(item.timestamp);
  if (title) node.title = title;
  node.append(h("div", "neo-message-author", role === "user" ? "You" : "Neo"), body);
  return node;
}

function textBody(text: string): HTMLElement {
  return h("div", "neo-message-text", text);
}

function note(item: Item, className: string, text: string): HTMLElement {
  const node = h("div", className, text);
  node.dataset.type = item.type;
  const title = localTime(item.timestamp);
  if (title) node.title = title;
  return node;
}

function unknownRow(item: Item): HTMLElement {
  const row = h("details", "neo-unknown");
  row.dataset.testid = "neo-unknown";
  row.dataset.type = item.type;
  const title = localTime(item.timestamp);
  if (title) row.title = title;
  const summary = h("summary", "neo-unknown-summary");
  summary.append(
    h("span", "neo-unknown-type", item.type || "event"),
    h("span", "neo-muted", " (not shown by this version)"),
  );
  row.append(summary, h("pre", "neo-pre", JSON.stringify(unknownBody(item), null, 2) ?? ""));
  return row;
}

/** The event body as it came: Python sends `content` and `tool_calls` once, beside it. */
function unknownBody(item: Item): Record<string, unknown> {
  const body: Record<string, unknown> = { ...item.body };
  if (item.content !== null && !("content" in body)) body.content = item.content;
  if (item.tool_calls.length && !("tool_calls" in body)) body.tool_calls = item.tool_calls;
  return body;
}

function fillToolRow(row: HTMLDetailsElement, record: ToolRecord): void {
  row.dataset.state = record.state;
  if (record.id) row.dataset.toolCallId = record.id;
  const when = localTime(record.startedAt ?? record.requestedAt ?? record.endedAt);
  if (when) row.title = when;

  const summary = h("summary", "neo-tool-summary");
  const icon = h("span", `neo-tool-icon${record.state === "running" ? " neo-spinner" : ""}`);
  icon.setAttribute("aria-hidden", "true");
  summary.append(icon, h("span", "neo-tool-name", record.name ?? "tool"));
  const ms = durationMs(record);
  if (ms !== null) summary.append(h("span", "neo-tool-duration", formatDuration(ms)));
  summary.append(
    h("span", `neo-tool-state neo-tool-state-${record.state}`, TOOL_STATE_LABELS[record.state]),
  );

  const body = h("div", "neo-tool-body");
  if (record.arguments) {
    body.append(
      h("div", "neo-tool-label", "Arguments"),
      h("pre", "neo-pre neo-tool-args", prettyJson(record.arguments)),
    );
  }
  if (record.result !== null) {
    body.append(
      h("div", "neo-tool-label", record.isError ? "Error" : "Result"),
      h(
        "pre",
        `neo-pre neo-tool-result${record.isError ? " neo-tool-result-error" : ""}`,
        record.result,
      ),
    );
  }
  if (!record.arguments && record.result === null)
    body.append(h("div", "neo-muted", "No details yet."));
  row.replaceChildren(summary, body);
}
