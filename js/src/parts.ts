/**
 * Parts to DOM: messages, answers, notes, dividers, entity changes, triggers and unknown
 * events. Tool rows (tools.ts) and approval cards (approval.ts) have their own modules
 * because they change after they are drawn; everything here is drawn once.
 *
 * Python has already said what each part means; this only lays it out. Everything from the
 * API goes in as text, except the fields the contract calls Markdown (Neo's messages,
 * trigger instructions), which go through markdown.ts, sanitized.
 */

import { h, linkOrText, localTime } from "./dom";
import { renderMarkdown } from "./markdown";
import type { AttachedData, EntityChip, Part, TriggerInfo } from "./model";

/** The parts drawn once: all but tool runs and approvals. */
export type StaticPart = Exclude<Part, { view: "tool" } | { view: "approval" }>;

/** `part` of an event of type `type` as DOM. */
export function renderPart(part: StaticPart, type: string): HTMLElement {
  switch (part.view) {
    case "message":
      return message(part);
    case "answer":
      return answer(part);
    case "note":
      return note(part.tone, part.text);
    case "divider":
      return divider(part.text, part.detail);
    case "entities":
      return entities(part);
    case "trigger":
      return trigger(part);
    case "unknown":
      return unknown(part.json, type);
  }
}

function message(part: Extract<Part, { view: "message" }>): HTMLElement {
  const node = h("div", `neo-message neo-message-${part.role}`);
  node.dataset.testid = "neo-message";
  node.dataset.role = part.role;
  const author = h(
    "div",
    "neo-message-author",
    part.role === "user" ? part.author || "You" : "Neo",
  );
  if (part.synthetic) {
    node.dataset.synthetic = "true";
    author.append(h("span", "neo-message-synthetic", " · sent automatically"));
  }
  const body =
    part.role === "assistant" ? renderMarkdown(part.text) : h("div", "neo-message-text", part.text);
  node.append(author, body);
  if (part.attachments?.length) node.append(attachments(part.attachments));
  return node;
}

/** Attached notebook data: one folded chip each (name and shape), the text Neo read inside. */
function attachments(attached: readonly AttachedData[]): HTMLElement {
  const list = h("div", "neo-attachments");
  for (const item of attached) {
    const chip = h("details", "neo-attachment");
    chip.dataset.testid = "neo-attachment";
    const summary = h("summary", "neo-attachment-summary");
    summary.append(
      h("span", "neo-muted", "Attached "),
      h("span", "neo-attachment-name", item.name),
      h("span", "neo-muted", ` ${item.description}`),
    );
    chip.append(summary);
    if (item.note) chip.append(h("div", "neo-attachment-note neo-muted", item.note));
    chip.append(h("pre", "neo-pre neo-attachment-content", item.content));
    list.append(chip);
  }
  return list;
}

function answer(part: Extract<Part, { view: "answer" }>): HTMLElement {
  let text = part.ok ? "Approved" : "Declined";
  if (part.synthetic) text += " automatically";
  if (!part.ok && part.instructions) text += `: ${part.instructions}`;
  const node = note("info", text);
  node.dataset.testid = "neo-answer";
  node.dataset.ok = String(part.ok);
  if (part.approval_request_id) node.dataset.approvalId = part.approval_request_id;
  return node;
}

function note(tone: "info" | "warning" | "error", text: string): HTMLElement {
  const node = h("div", tone === "info" ? "neo-note" : `neo-note neo-note-${tone}`, text);
  node.dataset.testid = "neo-note";
  node.dataset.tone = tone;
  return node;
}

function divider(text: string, detail: string | null): HTMLElement {
  const node = h("div", "neo-divider");
  node.dataset.testid = "neo-divider";
  node.setAttribute("role", "separator");
  node.setAttribute("aria-label", text);
  const line = h("div", "neo-divider-line");
  line.append(h("span", "neo-divider-text", text));
  node.append(line);
  if (detail) {
    const fold = h("details", "neo-divider-detail");
    fold.append(h("summary", "", "Details"), h("div", "neo-divider-detail-text", detail));
    node.append(fold);
  }
  return node;
}

function entities(part: Extract<Part, { view: "entities" }>): HTMLElement {
  const node = h("div", "neo-entity-change");
  node.dataset.testid = "neo-entity-change";
  node.append(h("span", "neo-entity-change-text", part.text));
  for (const chip of part.added) node.append(entityChip(chip, "added"));
  for (const chip of part.removed) node.append(entityChip(chip, "removed"));
  return node;
}

/** A task entity (stack, repository, pull request) as a chip; a link only when http(s). */
export function entityChip(entity: EntityChip, change?: "added" | "removed"): HTMLElement {
  const chip = linkOrText("neo-entity", entity.label, entity.url);
  chip.dataset.testid = "neo-entity";
  chip.dataset.type = entity.type;
  const kind = entity.type.replace(/_/g, " ");
  if (change) {
    chip.dataset.change = change;
    chip.title = `${kind} ${change}`;
    chip.prepend(h("span", "neo-entity-sign", change === "added" ? "+ " : "− "));
  } else {
    chip.title = kind;
  }
  return chip;
}

function trigger(part: Extract<Part, { view: "trigger" }>): HTMLElement {
  const node = h("div", "neo-trigger");
  node.dataset.testid = "neo-trigger";
  node.setAttribute("role", "group");
  node.setAttribute("aria-label", "What started this task");
  node.append(h("div", "neo-trigger-heading", "Started by"));
  for (const info of part.triggers) node.append(triggerSource(info));
  if (part.text) node.append(h("div", "neo-message-text", part.text));
  if (part.instructions) {
    const instructions = h("div", "neo-trigger-instructions");
    instructions.append(
      h("div", "neo-section-title", "Instructions"),
      renderMarkdown(part.instructions),
    );
    node.append(instructions);
  }
  return node;
}

function triggerSource(info: TriggerInfo): HTMLElement {
  const node = h("div", "neo-trigger-source");
  node.title = localTime(info.received_at);
  if (info.event_type) node.dataset.eventType = info.event_type;
  const head = h("div", "neo-trigger-head");
  if (info.provider) head.append(h("span", "neo-trigger-provider", info.provider));
  if (info.title) head.append(h("span", "neo-trigger-title", info.title));
  if (info.badge_label) {
    const badge = h("span", "neo-badge", info.badge_label);
    badge.dataset.tone = info.badge_tone ?? "neutral";
    head.append(badge);
  }
  node.append(head);
  if (info.reference || info.url) {
    const reference = linkOrText(
      "neo-trigger-reference",
      info.reference || info.url || "",
      info.url,
    );
    reference.dataset.testid = "neo-trigger-reference";
    node.append(reference);
  }
  if (info.details.length || info.omitted > 0) {
    const list = h("dl", "neo-trigger-details");
    for (const detail of info.details) {
      const term = h("dt", "", detail.label);
      const value = h("dd", "", detail.value);
      if (detail.kind) value.dataset.kind = detail.kind;
      list.append(term, value);
    }
    node.append(list);
    if (info.omitted > 0) node.append(h("div", "neo-muted", `+${info.omitted} more`));
  }
  return node;
}

/** An event this version does not know: one quiet row, its JSON folded under its type. */
function unknown(json: string, type: string): HTMLElement {
  const row = h("details", "neo-unknown");
  row.dataset.testid = "neo-unknown";
  row.append(h("summary", "neo-unknown-type", type || "event"), h("pre", "neo-pre", json));
  return row;
}
