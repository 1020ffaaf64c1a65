/**
 * The composer at the panel's foot: the message box, Send and Stop, what Neo is busy with,
 * the "queued behind a busy kernel" note and the last action's error.
 *
 * Enter sends (Shift+Enter is a newline, Enter ending an IME composition is not a send);
 * one send and one stop at a time, each locked until the kernel acks. What the controls
 * allow is set from outside (`update`) from the traits; the composer keeps only what is in
 * flight.
 */

import { button, h } from "./dom";
import type { AckMessage } from "./model";

export const QUEUED_TEXT = "Queued: the kernel is busy; this will be sent once when it is free.";
const INPUT_PLACEHOLDER = "Message Neo (Enter to send, Shift+Enter for a new line)";

export interface ComposerActions {
  send(text: string): Promise<AckMessage>;
  stop(): Promise<AckMessage>;
}

export interface ComposerState {
  /** Why Neo cannot take a message now ("" when it can). */
  busyReason: string;
  /** Stop is offered (Neo works, or runs tools on this machine). */
  stoppable: boolean;
  disconnected: boolean;
}

export class Composer {
  readonly el: HTMLElement;
  private readonly queued: HTMLElement;
  private readonly error: HTMLElement;
  private readonly busyNote: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private sending = false;
  private stopping = false;
  private state: ComposerState = { busyReason: "", stoppable: false, disconnected: false };

  constructor(private readonly actions: ComposerActions) {
    this.el = h("div", "neo-footer");
    this.queued = h("div", "neo-queued", QUEUED_TEXT);
    this.queued.dataset.testid = "neo-queued";
    this.queued.setAttribute("role", "status");
    this.queued.hidden = true;
    this.error = h("div", "neo-inline-error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.busyNote = h("div", "neo-busy");
    const form = h("div", "neo-compose");
    this.input = h("textarea", "neo-input");
    this.input.dataset.testid = "neo-input";
    this.input.rows = 2;
    this.input.setAttribute("aria-label", "Message to Neo");
    this.sendButton = button("neo-button neo-button-primary", "Send", "neo-send");
    this.stopButton = button("neo-button neo-button-stop", "Stop", "neo-stop");
    form.append(this.input, this.sendButton, this.stopButton);
    this.el.append(this.queued, this.error, this.busyNote, form);

    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.sendButton.addEventListener("click", () => this.submit());
    this.stopButton.addEventListener("click", () => this.requestStop());
  }

  /** Show (or clear, with null) why an action failed. */
  showError(message: string | null): void {
    this.error.textContent = message ?? "";
    this.error.hidden = !message;
  }

  /** Whether some action waits behind a busy kernel. */
  setQueued(queued: boolean): void {
    this.queued.hidden = !queued;
  }

  update(state: ComposerState): void {
    this.state = state;
    const { busyReason, stoppable, disconnected } = state;
    this.input.disabled = disconnected || this.sending || busyReason !== "";
    this.input.placeholder = busyReason || INPUT_PLACEHOLDER;
    this.sendButton.disabled = this.input.disabled;
    this.sendButton.setAttribute("aria-busy", String(this.sending));
    this.sendButton.textContent = this.sending ? "Sending…" : "Send";
    this.busyNote.textContent = busyReason;
    this.busyNote.hidden = busyReason === "";
    this.stopButton.hidden = !stoppable;
    this.stopButton.disabled = disconnected || this.stopping;
    this.stopButton.textContent = this.stopping ? "Stopping…" : "Stop";
  }

  private refresh(): void {
    this.update(this.state);
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text || this.input.disabled || this.sending) return;
    this.sending = true;
    this.showError(null);
    this.refresh();
    void this.actions.send(text).then((ack) => {
      this.sending = false;
      if (ack.ok) {
        if (this.input.value.trim() === text) this.input.value = "";
      } else {
        this.showError(ack.error || "The message could not be sent.");
      }
      this.refresh();
    });
  }

  private requestStop(): void {
    if (this.stopping || this.stopButton.disabled) return;
    this.stopping = true;
    this.showError(null);
    this.refresh();
    void this.actions.stop().then((ack) => {
      this.stopping = false;
      if (!ack.ok) this.showError(ack.error || "Neo could not be stopped.");
      this.refresh();
    });
  }
}
