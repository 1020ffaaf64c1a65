/**
 * The approval card: what Neo asks to do, with Approve and Decline.
 *
 * Its state comes from the `approvals` trait, not from the event, because a request is
 * answered (or superseded) later. Once answered it shows a label and never fires again; a
 * click disables both buttons at once, so one click sends one message.
 */

import { button, h, localTime } from "./dom";
import { renderMarkdown } from "./markdown";
import type { AckMessage, ApprovalInfo, ApprovalState } from "./model";

export interface ApprovalActions {
  approve(approvalRequestId: string): Promise<AckMessage>;
  decline(approvalRequestId: string, message: string): Promise<AckMessage>;
}

const FINAL_LABELS: Record<Exclude<ApprovalState, "pending">, string> = {
  approved: "Approved",
  declined: "Declined",
  superseded: "Superseded",
};

export class ApprovalCard {
  readonly el: HTMLElement;
  readonly id: string | null;
  private readonly malformed: boolean;
  private state: ApprovalState = "pending";
  private inFlight: "approve" | "decline" | null = null;
  private answered: "approve" | "decline" | null = null;
  private disabled = false;
  private readonly actions: HTMLElement;
  private readonly approveButton: HTMLButtonElement | null;
  private readonly declineButton: HTMLButtonElement | null;
  private readonly reason: HTMLInputElement | null;
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
    this.el.setAttribute("aria-label", "Approval request");
    if (this.id) this.el.dataset.approvalId = this.id;
    if (this.malformed) this.el.dataset.malformed = "true";
    const title = localTime(timestamp);
    if (title) this.el.title = title;

    this.el.append(h("div", "neo-approval-title", "Neo asks for approval"));
    if (approval.description) {
      const description = renderMarkdown(approval.description);
      description.classList.add("neo-approval-description");
      this.el.append(description);
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

    this.actions = h("div", "neo-approval-actions");
    this.approveButton = null;
    this.declineButton = null;
    this.reason = null;
    if (this.id) {
      if (!this.malformed) {
        this.approveButton = button("neo-button neo-button-primary", "Approve", "neo-approve");
        this.approveButton.addEventListener("click", () => this.answer("approve"));
        this.actions.append(this.approveButton);
      }
      this.reason = h("input", "neo-decline-reason");
      this.reason.type = "text";
      this.reason.placeholder = "Reason (optional)";
      this.reason.setAttribute("aria-label", "Reason for declining (optional)");
      this.reason.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.isComposing) {
          event.preventDefault();
          this.answer("decline");
        }
      });
      this.declineButton = button("neo-button", "Decline", "neo-decline");
      this.declineButton.addEventListener("click", () => this.answer("decline"));
      this.actions.append(this.reason, this.declineButton);
    }
    this.label = h("div", "neo-approval-label");
    this.error = h("div", "neo-inline-error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.el.append(this.actions, this.label, this.error);
    this.update();
  }

  setState(state: ApprovalState | undefined): void {
    // An answered request stays answered, whatever arrives later.
    if (this.state !== "pending") return;
    this.state = state ?? "pending";
    this.update();
  }

  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    this.update();
  }

  private answer(kind: "approve" | "decline"): void {
    if (!this.id || this.state !== "pending" || this.inFlight || this.answered || this.disabled) {
      return;
    }
    if (kind === "approve" && this.malformed) return;
    this.inFlight = kind;
    this.error.hidden = true;
    this.update();
    const reply =
      kind === "approve"
        ? this.handlers.approve(this.id)
        : this.handlers.decline(this.id, this.reason?.value.trim() ?? "");
    void reply.then((ack) => {
      this.inFlight = null;
      if (ack.ok) {
        this.answered = kind;
      } else {
        this.error.textContent = ack.error || "The kernel could not send this answer.";
        this.error.hidden = false;
      }
      this.update();
    });
  }

  private update(): void {
    this.el.dataset.state = this.state;
    if (this.state !== "pending") {
      this.actions.remove();
      this.error.hidden = true;
      this.label.textContent = FINAL_LABELS[this.state];
      this.label.hidden = false;
      return;
    }
    const busy = this.inFlight ?? this.answered;
    const locked = busy !== null || this.disabled;
    for (const control of [this.approveButton, this.declineButton, this.reason]) {
      if (control) control.disabled = locked;
    }
    if (this.approveButton)
      this.approveButton.setAttribute("aria-busy", String(busy === "approve"));
    if (this.declineButton)
      this.declineButton.setAttribute("aria-busy", String(busy === "decline"));
    if (this.inFlight) {
      this.label.textContent = this.inFlight === "approve" ? "Approving…" : "Declining…";
    } else if (this.answered) {
      this.label.textContent = this.answered === "approve" ? "Approval sent" : "Decline sent";
    } else {
      this.label.textContent = "";
    }
    this.label.hidden = !this.label.textContent;
  }
}
