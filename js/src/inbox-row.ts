/**
 * One task in the inbox: its name, what started it, how long it has waited or when it was
 * last active, and, when it waits for a person, the request in short with Approve, Reject,
 * a toggle for the full card and Open.
 *
 * One decision per request. A click locks the buttons until the kernel acks; an ok ack, or
 * a row whose `answer` says this process answered, shows the answer and the buttons are gone
 * for that request. A row with an `error` (or that cannot be answered here) shows no buttons.
 * Everything from the row goes in as text.
 */

import { ApprovalCard, type ApprovalActions } from "./approval";
import { button, formatTokens, h, linkOrText, localTime } from "./dom";
import type { InboxAck, InboxRow } from "./inbox-model";
import { activityText, waitingText } from "./inbox-time";
import type { AckMessage, ApprovalInfo } from "./model";

export interface RowActions {
  approve(taskId: string, requestId: string): Promise<InboxAck>;
  reject(taskId: string, requestId: string, instructions: string): Promise<InboxAck>;
  /** Open this task's chat below the list, or close it (`taskId` null). */
  open(taskId: string | null): Promise<InboxAck>;
  /** Ask for the card; it arrives through `setCard`. */
  expand(taskId: string): Promise<InboxAck>;
  /** This row's request was just answered (an ok ack): the view moves focus on. */
  answered(row: RowView): void;
}

type Answer = "approve" | "reject";

/** At most this many files are listed in a row; the card lists them all. */
const FILES_SHOWN = 5;

const STATUS_LABELS: Record<string, string> = {
  running: "Working",
  idle: "Idle",
  awaiting_approval: "Waiting for approval",
  new: "New",
  cancelled: "Cancelled",
  error: "Error",
  failed: "Failed",
};

/** The card opens read-only: a request is answered with the row's buttons, in one place. */
const READ_ONLY: ApprovalActions = {
  approve: () => Promise.resolve(NOT_HERE),
  decline: () => Promise.resolve(NOT_HERE),
};
const NOT_HERE: AckMessage = {
  type: "ack",
  request_id: "",
  ok: false,
  error: "Answer with the row's buttons.",
};

export class RowView {
  readonly el: HTMLLIElement;
  private row: InboxRow;
  private readonly summary: HTMLElement;
  private readonly when: HTMLElement;
  private readonly note: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly approveButton: HTMLButtonElement;
  private readonly rejectButton: HTMLButtonElement;
  private readonly expandButton: HTMLButtonElement;
  private readonly openButton: HTMLButtonElement;
  private readonly rejectForm: HTMLElement;
  private readonly instructions: HTMLInputElement;
  private readonly confirmButton: HTMLButtonElement;
  private readonly cancelButton: HTMLButtonElement;
  private readonly cardSlot: HTMLElement;

  private inFlight: Answer | null = null;
  /** An answer acked here, for the request it answered (the `answer` field may lag). */
  private sent: { requestId: string; ok: boolean } | null = null;
  private actionError: string | null = null;
  private rejecting = false;
  private opening = false;
  private opened = false;
  private expanded = false;
  /** The card for `cardFor` (a request id): undefined until it arrives. */
  private card: ApprovalInfo | null | undefined = undefined;
  private cardFor: string | null = null;
  private cardAsked = false;
  private cardError: string | null = null;
  private cardDrawn = false;
  private now: number;

  constructor(
    row: InboxRow,
    now: number,
    private readonly handlers: RowActions,
  ) {
    this.row = row;
    this.now = now;
    this.el = h("li", "neo-inbox-row");
    this.el.dataset.testid = "inbox-row";

    this.summary = h("div", "neo-inbox-summary");
    this.when = h("span", "neo-inbox-when");
    this.when.dataset.testid = "inbox-when";
    this.note = h("div", "neo-inbox-note");
    this.note.dataset.testid = "inbox-note";
    this.note.tabIndex = -1; // focus lands here when the buttons a keyboard user was on go
    this.note.setAttribute("role", "status");

    this.approveButton = button("neo-button neo-button-primary", "Approve", "inbox-approve");
    this.rejectButton = button("neo-button", "Reject", "inbox-reject");
    this.expandButton = button("neo-button neo-inbox-expand", "Details", "inbox-expand");
    this.openButton = button("neo-button neo-inbox-open", "Open", "inbox-open");
    this.actions = h("div", "neo-inbox-actions");
    this.actions.append(this.approveButton, this.rejectButton, this.expandButton, this.openButton);

    this.rejectForm = h("div", "neo-inbox-reject-form");
    this.instructions = h("input", "neo-decline-reason");
    this.instructions.type = "text";
    this.instructions.dataset.testid = "inbox-reject-instructions";
    this.instructions.placeholder = "Instead, Neo should… (optional)";
    this.instructions.setAttribute("aria-label", "What Neo should do instead (optional)");
    this.confirmButton = button("neo-button neo-button-stop", "Reject", "inbox-reject-confirm");
    this.cancelButton = button("neo-button", "Cancel", "inbox-reject-cancel");
    this.rejectForm.append(this.instructions, this.confirmButton, this.cancelButton);

    this.cardSlot = h("div", "neo-inbox-card");
    this.cardSlot.dataset.testid = "inbox-card";
    this.cardSlot.id = `neo-inbox-card-${uniqueSuffix()}`;
    this.expandButton.setAttribute("aria-controls", this.cardSlot.id);

    this.el.append(this.summary, this.note, this.actions, this.rejectForm, this.cardSlot);

    this.approveButton.addEventListener("click", () => this.answer("approve"));
    this.rejectButton.addEventListener("click", () => this.openRejectForm());
    this.confirmButton.addEventListener("click", () => this.answer("reject"));
    this.cancelButton.addEventListener("click", () => this.closeRejectForm(true));
    this.instructions.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        this.answer("reject");
      } else if (event.key === "Escape") {
        event.preventDefault();
        this.closeRejectForm(true);
      }
    });
    this.expandButton.addEventListener("click", () => this.toggleExpanded());
    this.openButton.addEventListener("click", () => this.toggleOpen());

    this.update(row);
  }

  get id(): string {
    return this.row.id;
  }

  /** Whether a person can answer this row here now. */
  get answerable(): boolean {
    const { request, can_answer, error } = this.row;
    return !!request && can_answer && !error && this.answered === null;
  }

  /** The Approve button, when a keyboard user can land on it. */
  get focusTarget(): HTMLButtonElement | null {
    return this.answerable && !this.inFlight ? this.approveButton : null;
  }

  update(row: InboxRow): void {
    const requestId = row.request?.id ?? null;
    if (requestId !== (this.row.request?.id ?? null)) {
      // A new request: what was answered or read about the last one is no longer shown.
      this.sent = null;
      this.actionError = null;
      if (this.cardFor !== requestId) this.dropCard();
    }
    this.row = row;
    this.el.dataset.taskId = row.id;
    this.el.dataset.section = row.section;
    this.el.dataset.status = row.status;
    this.el.dataset.request = String(row.request !== null);
    this.drawSummary();
    this.drawState();
    if (this.expanded && !this.cardAsked && row.request) this.askCard();
  }

  setOpened(opened: boolean): void {
    this.opened = opened;
    this.drawState();
  }

  /** A `card` message for this task. */
  setCard(card: ApprovalInfo | null): void {
    this.card = card;
    this.cardFor = this.row.request?.id ?? null;
    this.cardAsked = true;
    this.cardError = null;
    this.cardDrawn = false;
    this.drawCard();
  }

  tick(now: number): void {
    this.now = now;
    this.drawWhen();
  }

  // -- drawing ---------------------------------------------------------------------------------

  private drawSummary(): void {
    const row = this.row;
    const head = h("div", "neo-inbox-head");
    if (row.section === "working") {
      const spinner = h("span", "neo-spinner");
      spinner.setAttribute("aria-hidden", "true");
      head.append(spinner);
    }
    head.append(h("span", "neo-inbox-name", row.name || "Untitled task"));
    if (row.trigger?.label) {
      const badge = h("span", "neo-badge neo-inbox-trigger", row.trigger.label);
      badge.dataset.tone = row.trigger.tone ?? "";
      badge.title = "What started this task";
      head.append(badge);
    }
    if (row.section === "recent" && row.status) {
      const status = h("span", "neo-inbox-status", STATUS_LABELS[row.status] ?? row.status);
      status.dataset.status = row.status;
      head.append(status);
    }
    if (row.source) {
      const source = h("span", "neo-inbox-source", row.source);
      source.title = "Source";
      head.append(source);
    }
    head.append(this.when);
    this.drawWhen();

    const parts: HTMLElement[] = [head];
    if (row.request) parts.push(requestSummary(row.request));
    const meta = h("div", "neo-inbox-meta");
    if (row.tokens_used !== null && row.tokens_used !== undefined) {
      const tokens = h("span", "neo-inbox-tokens", `${formatTokens(row.tokens_used)} tokens`);
      tokens.title = `${row.tokens_used.toLocaleString()} tokens used`;
      meta.append(tokens);
    }
    for (const entity of row.entities ?? []) {
      const chip = linkOrText("neo-entity", entity.label, entity.url);
      chip.title = entity.type;
      meta.append(chip);
    }
    if (meta.childNodes.length) parts.push(meta);
    this.summary.replaceChildren(...parts);
  }

  private drawWhen(): void {
    const row = this.row;
    const waiting = row.section === "needs_you" && row.waiting_since;
    const iso = waiting ? row.waiting_since : row.last_activity;
    this.when.textContent = waiting
      ? waitingText(iso, this.now)
      : activityText(row.last_activity, this.now);
    this.when.title = localTime(iso);
    this.when.hidden = !this.when.textContent;
  }

  /** The answered state of the current request: acked here or told by the row. */
  private get answered(): boolean | null {
    const request = this.row.request;
    if (!request) return null;
    if (this.row.answer) return this.row.answer.ok;
    return this.sent?.requestId === request.id ? this.sent.ok : null;
  }

  private drawState(): void {
    const row = this.row;
    const answered = this.answered;
    const answerable = this.answerable;
    if (!answerable && this.rejecting) this.closeRejectForm(false);

    let note = "";
    let tone = "";
    if (answered !== null) {
      note = answered ? "Approved, waiting for Neo" : "Rejected";
      tone = answered ? "approved" : "rejected";
    } else if (row.error || this.actionError) {
      note = (row.error || this.actionError) ?? "";
      tone = "error";
    } else if (this.inFlight) {
      note = this.inFlight === "approve" ? "Approving…" : "Rejecting…";
    }
    this.note.textContent = note;
    this.note.dataset.tone = tone;
    this.note.hidden = !note;
    this.el.dataset.answer = answered === null ? "" : answered ? "approve" : "reject";

    const hadFocus = this.actions.contains(document.activeElement);
    const locked = this.inFlight !== null;
    this.approveButton.hidden = !answerable;
    this.rejectButton.hidden = !answerable;
    this.approveButton.disabled = locked;
    this.rejectButton.disabled = locked || this.rejecting;
    this.approveButton.setAttribute("aria-busy", String(this.inFlight === "approve"));
    this.instructions.disabled = locked;
    this.confirmButton.disabled = locked;
    this.cancelButton.disabled = locked;
    this.confirmButton.setAttribute("aria-busy", String(this.inFlight === "reject"));
    this.rejectForm.hidden = !this.rejecting;

    this.expandButton.hidden = !row.request;
    this.expandButton.setAttribute("aria-expanded", String(this.expanded));
    this.expandButton.textContent = this.expanded ? "Hide details" : "Details";

    this.openButton.textContent = this.opened ? "Close" : "Open";
    this.openButton.setAttribute("aria-pressed", String(this.opened));
    this.openButton.title = this.opened
      ? "Close this task's chat below"
      : "Show this task's chat below the list";
    this.openButton.disabled = this.opening;
    this.el.dataset.opened = String(this.opened);

    // Buttons that go away take a keyboard user's place with them: keep it on the row.
    if (hadFocus && !this.actions.contains(visibleFocus())) this.note.focus();
    this.drawCard();
  }

  private drawCard(): void {
    this.cardSlot.hidden = !this.expanded || !this.row.request;
    if (this.cardSlot.hidden || this.cardDrawn) return;
    if (this.cardError) {
      this.cardSlot.replaceChildren(h("div", "neo-inline-error", this.cardError));
    } else if (this.card === undefined) {
      this.cardSlot.replaceChildren(h("div", "neo-muted", "Loading the request…"));
    } else if (this.card === null) {
      this.cardSlot.replaceChildren(h("div", "neo-muted", "This request is no longer pending."));
    } else {
      // Built once per card: a redraw of the row keeps the reader's open files and scroll.
      const card = new ApprovalCard({ ...this.card, id: null, malformed: false }, null, READ_ONLY);
      this.cardSlot.replaceChildren(card.el);
      this.cardDrawn = true;
    }
  }

  // -- actions ---------------------------------------------------------------------------------

  private answer(kind: Answer): void {
    const request = this.row.request;
    if (!request || !this.answerable || this.inFlight) return;
    const instructions = this.instructions.value.trim();
    this.inFlight = kind;
    this.actionError = null;
    this.drawState();
    const reply =
      kind === "approve"
        ? this.handlers.approve(this.row.id, request.id)
        : this.handlers.reject(this.row.id, request.id, instructions);
    void reply.then((ack) => {
      this.inFlight = null;
      if (ack.ok === true) {
        this.sent = { requestId: request.id, ok: kind === "approve" };
        if (kind === "reject") this.instructions.value = "";
      } else if (ack.ok === false || ack.error) {
        this.actionError = ack.error || "The kernel could not send this answer.";
      }
      const focusWasHere = this.el.contains(document.activeElement) || isNowhere();
      this.drawState();
      if (ack.ok === true && focusWasHere) this.handlers.answered(this);
    });
  }

  private openRejectForm(): void {
    if (!this.answerable || this.inFlight) return;
    this.rejecting = true;
    this.drawState();
    this.instructions.focus();
  }

  private closeRejectForm(refocus: boolean): void {
    this.rejecting = false;
    this.rejectForm.hidden = true;
    this.rejectButton.disabled = this.inFlight !== null;
    if (refocus && !this.rejectButton.hidden) this.rejectButton.focus();
  }

  private toggleExpanded(): void {
    this.expanded = !this.expanded;
    if (this.expanded && !this.cardAsked) this.askCard();
    this.drawState();
  }

  private askCard(): void {
    this.cardAsked = true;
    this.cardError = null;
    void this.handlers.expand(this.row.id).then((ack) => {
      if (ack.ok !== false) return;
      // Nothing arrived: let a later toggle ask again.
      if (this.card === undefined) this.cardAsked = false;
      this.cardError = ack.error || "The request's details could not be read.";
      this.cardDrawn = false;
      this.drawCard();
    });
  }

  private dropCard(): void {
    this.card = undefined;
    this.cardFor = null;
    this.cardAsked = false;
    this.cardError = null;
    this.cardDrawn = false;
  }

  private toggleOpen(): void {
    if (this.opening) return;
    this.opening = true;
    this.actionError = null;
    this.drawState();
    void this.handlers.open(this.opened ? null : this.row.id).then((ack) => {
      this.opening = false;
      if (ack.ok === false) this.actionError = ack.error || "The chat could not be opened.";
      this.drawState();
    });
  }
}

/** The request in short: its kind, a sensitive mark, the tool, the text and the files. */
function requestSummary(request: NonNullable<InboxRow["request"]>): HTMLElement {
  const box = h("div", "neo-inbox-request");
  box.dataset.testid = "inbox-request";
  const head = h("div", "neo-inbox-request-head");
  head.append(h("span", "neo-inbox-kind", request.kind || "Neo asks for approval"));
  if (request.sensitive) {
    const mark = h("span", "neo-sensitive", "Sensitive");
    mark.dataset.testid = "inbox-sensitive";
    mark.title = "Neo marks this request as sensitive: review it closely.";
    head.append(mark);
  }
  if (request.tool) head.append(h("code", "neo-tool-name", request.tool));
  box.append(head);
  if (request.description) {
    const text = h("p", "neo-inbox-description", request.description);
    text.title = request.description;
    box.append(text);
  }
  const files = request.files ?? [];
  if (files.length) {
    const list = h("ul", "neo-inbox-files");
    list.setAttribute("aria-label", "Files changed");
    for (const file of files.slice(0, FILES_SHOWN)) {
      const item = h("li", "neo-inbox-file");
      const added = h("span", "neo-diff-added", `+${file.added}`);
      added.title = `${file.added} added`;
      const removed = h("span", "neo-diff-removed", `−${file.removed}`);
      removed.title = `${file.removed} removed`;
      item.append(h("span", "neo-diff-name", file.file || "(unnamed file)"), added, removed);
      list.append(item);
    }
    if (files.length > FILES_SHOWN) {
      const more = files.length - FILES_SHOWN;
      list.append(h("li", "neo-inbox-file neo-muted", `and ${more} more (see Details)`));
    }
    box.append(list);
  }
  return box;
}

function isNowhere(): boolean {
  const active = document.activeElement;
  return !active || active === document.body;
}

/** The focused element, or null when a hidden control holds it in name only. */
function visibleFocus(): Element | null {
  const active = document.activeElement;
  return active instanceof HTMLElement && !active.closest("[hidden]") ? active : null;
}

let counter = 0;
function uniqueSuffix(): string {
  counter += 1;
  return String(counter);
}
