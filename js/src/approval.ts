/**
 * The approval card: what Neo asks to do, laid out for a reviewer to judge (the request in
 * words, a sensitive mark, the tool and its arguments, the plan, the diff file by file), with
 * Approve and Decline.
 *
 * One answer per request. A click locks both buttons until the kernel acks; an ok ack (or
 * the `answers` trait, when this process answered from another view or from Python) turns
 * the card into "Approved, waiting for Neo" at once and its buttons are gone for good. The
 * final word comes from the `approvals` trait (approved, declined, superseded), because a
 * request is answered, or overtaken, after its event.
 */

import { diffSection } from "./diff";
import { button, h, localTime, reasonInput } from "./dom";
import { renderMarkdown } from "./markdown";
import type { AckMessage, ApprovalInfo, ApprovalState, SentAnswer } from "./model";

export interface ApprovalActions {
  approve(approvalRequestId: string): Promise<AckMessage>;
  decline(approvalRequestId: string, instructions: string): Promise<AckMessage>;
}

type Answer = "approve" | "decline";

const FINAL_LABELS: Record<Exclude<ApprovalState, "pending">, string> = {
  approved: "Approved",
  declined: "Declined",
  superseded: "Superseded",
};

const SENT_LABELS: Record<Answer, string> = {
  approve: "Approved, waiting for Neo",
  decline: "Declined, waiting for Neo",
};

const IN_FLIGHT_LABELS: Record<Answer, string> = {
  approve: "Approving…",
  decline: "Declining…",
};

export class ApprovalCard {
  readonly el: HTMLElement;
  readonly id: string | null;
  private readonly malformed: boolean;
  private state: ApprovalState = "pending";
  private inFlight: Answer | null = null;
  /** The answer this process sent (acked here, or told by the `answers` trait). */
  private sent: Answer | null = null;
  private disabled = false;
  /** Why an answer in flight is kept waiting (the service refused it for now), or null. */
  private kept: string | null = null;
  private readonly actions: HTMLElement;
  private readonly approveButton: HTMLButtonElement | null = null;
  private readonly declineButton: HTMLButtonElement | null = null;
  private readonly instructions: HTMLInputElement | null = null;
  private readonly label: HTMLElement;
  private readonly error: HTMLElement;

  constructor(
    approval: ApprovalInfo,
    timestamp: string | null,
    private readonly handlers: ApprovalActions,
  ) {
    this.id = approval.id;
    this.malformed = approval.malformed;
    this.el = h("div", "neo-approval");
    this.el.dataset.testid = "neo-approval";
    this.el.setAttribute("role", "group");
    const title = approval.title || "Neo asks for approval";
    this.el.setAttribute("aria-label", approval.sensitive ? `${title} (sensitive)` : title);
    if (this.id) this.el.dataset.approvalId = this.id;
    if (approval.approval_type) this.el.dataset.approvalType = approval.approval_type;
    if (this.malformed) this.el.dataset.malformed = "true";
    if (approval.sensitive) this.el.dataset.sensitive = "true";
    this.el.title = localTime(timestamp);

    const head = h("div", "neo-approval-head");
    head.append(h("span", "neo-approval-title", title));
    if (approval.sensitive) {
      const mark = h("span", "neo-sensitive", "Sensitive");
      mark.dataset.testid = "neo-sensitive";
      mark.title = "Neo marks this request as sensitive: review it closely.";
      head.append(mark);
    }
    this.el.append(head);
    if (approval.message) {
      const message = renderMarkdown(approval.message);
      message.classList.add("neo-approval-message");
      this.el.append(message);
    }
    if (this.malformed) {
      this.el.append(
        h(
          "div",
          "neo-approval-warning",
          "This approval request could not be read, so it cannot be approved here. " +
            "Decline it or reply with a message.",
        ),
      );
    }
    const tool = toolSection(approval);
    if (tool) this.el.append(tool);
    if (approval.plan) {
      const plan = h("section", "neo-approval-plan");
      plan.dataset.testid = "neo-plan";
      plan.setAttribute("aria-label", "Plan");
      plan.append(h("div", "neo-section-title", "Plan"), renderMarkdown(approval.plan));
      this.el.append(plan);
    }
    const changes = diffSection("Changes", approval.diff ?? [], "neo-diff");
    if (changes) this.el.append(changes);
    const since = diffSection(
      "Changed since your last approval",
      approval.last_approval_diff ?? [],
      "neo-diff-since",
    );
    if (since) this.el.append(since);

    this.actions = h("div", "neo-approval-actions");
    if (this.id) {
      const [approveLabel, declineLabel] = approval.buttons ?? [];
      if (!this.malformed) {
        this.approveButton = button(
          "neo-button neo-button-primary",
          approveLabel || "Approve",
          "neo-approve",
        );
        this.approveButton.addEventListener("click", () => this.answer("approve"));
        this.actions.append(this.approveButton);
      }
      this.instructions = reasonInput(
        "neo-decline-instructions",
        "Instead, Neo should… (optional)",
        "What Neo should do instead (optional)",
        () => this.answer("decline"),
      );
      this.declineButton = button("neo-button", declineLabel || "Decline", "neo-decline");
      this.declineButton.addEventListener("click", () => this.answer("decline"));
      this.actions.append(this.instructions, this.declineButton);
    }
    this.label = h("div", "neo-approval-label");
    this.label.dataset.testid = "neo-approval-label";
    this.label.setAttribute("role", "status");
    // Focus lands here when the buttons a keyboard user was on go away.
    this.label.tabIndex = -1;
    this.error = h("div", "neo-inline-error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.el.append(this.actions, this.label, this.error);
    this.update();
  }

  /** Whether a reader can still answer here. */
  get answerable(): boolean {
    return this.state === "pending" && this.sent === null;
  }

  /** The control a keyboard user should land on when the card arrives. */
  get focusTarget(): HTMLButtonElement | null {
    return this.answerable ? this.approveButton : null;
  }

  setState(state: ApprovalState | undefined): void {
    // An answered request stays answered, whatever arrives later.
    if (this.state !== "pending" || state === undefined || state === "pending") return;
    this.state = state;
    this.update();
  }

  setAnswer(answer: SentAnswer | undefined): void {
    if (!answer || this.sent) return;
    this.sent = answer.ok ? "approve" : "decline";
    this.update();
  }

  /** The kernel keeps this card's answer until the service takes it (the `kept` trait). */
  setKept(note: string | undefined): void {
    const kept = note ?? null;
    if (this.kept === kept) return;
    this.kept = kept;
    this.update();
  }

  setDisabled(disabled: boolean): void {
    if (this.disabled === disabled) return;
    this.disabled = disabled;
    this.update();
  }

  private answer(kind: Answer): void {
    if (!this.id || !this.answerable || this.inFlight || this.disabled) return;
    if (kind === "approve" && this.malformed) return;
    this.inFlight = kind;
    this.error.hidden = true;
    this.update();
    const reply =
      kind === "approve"
        ? this.handlers.approve(this.id)
        : this.handlers.decline(this.id, this.instructions?.value.trim() ?? "");
    void reply.then((ack) => {
      this.inFlight = null;
      if (ack.ok) {
        this.sent ??= kind;
      } else {
        this.error.textContent = ack.error || "The kernel could not send this answer.";
        this.error.hidden = false;
      }
      this.update();
    });
  }

  private update(): void {
    this.el.dataset.state = this.state;
    if (this.sent) this.el.dataset.answer = this.sent;
    if (this.state !== "pending" || this.sent) {
      this.closeActions();
      this.error.hidden = true;
      this.label.textContent =
        this.state !== "pending" ? FINAL_LABELS[this.state] : SENT_LABELS[this.sent!];
      this.label.hidden = false;
      return;
    }
    const locked = this.inFlight !== null || this.disabled;
    for (const control of [this.approveButton, this.declineButton, this.instructions]) {
      if (control) control.disabled = locked;
    }
    this.approveButton?.setAttribute("aria-busy", String(this.inFlight === "approve"));
    this.declineButton?.setAttribute("aria-busy", String(this.inFlight === "decline"));
    this.label.textContent = this.inFlight ? (this.kept ?? IN_FLIGHT_LABELS[this.inFlight]) : "";
    this.label.hidden = !this.label.textContent;
  }

  /** Remove the buttons for good, keeping a keyboard user's place on the card. */
  private closeActions(): void {
    if (!this.actions.parentNode) return;
    const hadFocus = this.actions.contains(document.activeElement);
    this.actions.remove();
    if (hadFocus) this.label.focus({ preventScroll: true });
  }
}

/** For a `tool_permission` request: the tool Neo wants to run, and with what. */
function toolSection(approval: ApprovalInfo): HTMLElement | null {
  if (!approval.tool_name && !approval.tool_arguments) return null;
  const section = h("section", "neo-approval-tool");
  section.dataset.testid = "neo-approval-tool";
  section.setAttribute("aria-label", "Tool");
  const line = h("div", "neo-section-title", "Tool ");
  line.append(h("code", "neo-tool-name", approval.tool_name || "unnamed tool"));
  section.append(line);
  if (approval.tool_arguments) {
    section.append(h("pre", "neo-pre neo-tool-args", approval.tool_arguments));
  }
  return section;
}
