/**
 * Tools Neo runs on this machine: the card that asks the person before a call the workspace
 * does not allow, and what a run's row shows while and after it runs.
 *
 * The card says exactly what will happen before anything runs (a command as code with its
 * directory and timeout; a file change as the diff computed without touching the file, or
 * "new file, N lines"; a preview or update's stack, folder and the names of its environment
 * variables), with Allow, Allow `<kind>` for this task, and Reject with an optional reason.
 * One decision per call: a click locks the card until the kernel acks, and the decision the
 * runner kept (`local_decisions`) replaces the buttons in every view.
 *
 * Everything the agent or the disk wrote goes in as text.
 */

import { fileDiff } from "./diff";
import { button, formatDuration, h, localTime, reasonInput } from "./dom";
import type { AckMessage, LiveRun, LocalAsk, LocalDecision, ToolRun } from "./model";

export interface LocalActions {
  allow(callId: string, grant: boolean): Promise<AckMessage>;
  reject(callId: string, reason: string): Promise<AckMessage>;
}

const KIND_WORDS: Record<string, string> = {
  read: "read files",
  write: "change files",
  shell: "run a command",
  preview: "run a Pulumi preview",
  up: "run a Pulumi update",
};

export class LocalAskCard {
  readonly el: HTMLElement;
  readonly callId: string;
  private decision: LocalDecision | null = null;
  private inFlight = false;
  private disabled = false;
  private readonly actions: HTMLElement;
  private readonly allowButton: HTMLButtonElement;
  private readonly grantButton: HTMLButtonElement | null = null;
  private readonly rejectButton: HTMLButtonElement;
  private readonly reason: HTMLInputElement;
  private readonly label: HTMLElement;
  private readonly error: HTMLElement;

  constructor(
    ask: LocalAsk,
    private readonly handlers: LocalActions,
  ) {
    this.callId = ask.call_id;
    this.el = h("div", "neo-approval neo-local-ask");
    this.el.dataset.testid = "neo-local-ask";
    this.el.dataset.callId = ask.call_id;
    if (ask.kind) this.el.dataset.kind = ask.kind;
    this.el.setAttribute("role", "group");
    const what = (ask.kind && KIND_WORDS[ask.kind]) || "run a tool";
    const title = `Neo wants to ${what} on your machine`;
    this.el.setAttribute("aria-label", title);
    this.el.title = localTime(ask.asked_at);
    const head = h("div", "neo-approval-head");
    head.append(h("span", "neo-approval-title", title), h("code", "neo-tool-name", ask.name));
    this.el.append(head, detailsSection(ask));
    if (ask.reason) this.el.append(h("div", "neo-muted neo-local-reason", ask.reason));

    this.actions = h("div", "neo-approval-actions");
    this.allowButton = button("neo-button neo-button-primary", "Allow", "neo-local-allow");
    this.allowButton.addEventListener("click", () => this.answer(true, false));
    this.actions.append(this.allowButton);
    if (ask.kind) {
      this.grantButton = button("neo-button", "", "neo-local-allow-kind");
      this.grantButton.append("Allow ", h("code", "", ask.kind), " for this task");
      this.grantButton.title = `Run every ${ask.kind} call of this task without asking`;
      this.grantButton.addEventListener("click", () => this.answer(true, true));
      this.actions.append(this.grantButton);
    }
    this.reason = reasonInput(
      "neo-local-reason",
      "Why not? Neo reads this (optional)",
      "Why not (optional, sent to Neo)",
      () => this.answer(false, false),
    );
    this.rejectButton = button("neo-button", "Reject", "neo-local-reject");
    this.rejectButton.addEventListener("click", () => this.answer(false, false));
    this.actions.append(this.reason, this.rejectButton);
    this.label = h("div", "neo-approval-label");
    this.label.dataset.testid = "neo-local-decision";
    this.label.setAttribute("role", "status");
    this.label.tabIndex = -1;
    this.error = h("div", "neo-inline-error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.el.append(this.actions, this.label, this.error);
    this.update();
  }

  /** The control a keyboard user should land on when the card arrives. */
  get focusTarget(): HTMLButtonElement | null {
    return this.decision ? null : this.allowButton;
  }

  setDecision(decision: LocalDecision | undefined): void {
    if (!decision || this.decision) return;
    this.decision = decision;
    this.update();
  }

  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    this.update();
  }

  private answer(allow: boolean, grant: boolean): void {
    if (this.decision || this.inFlight || this.disabled) return;
    this.inFlight = true;
    this.error.hidden = true;
    this.update();
    const reply = allow
      ? this.handlers.allow(this.callId, grant)
      : this.handlers.reject(this.callId, this.reason.value.trim());
    void reply.then((ack) => {
      this.inFlight = false;
      if (!ack.ok) {
        this.error.textContent = ack.error || "The kernel could not send this answer.";
        this.error.hidden = false;
      }
      this.update();
    });
  }

  private update(): void {
    const decision = this.decision;
    if (decision) {
      this.el.dataset.state = decision.cancelled
        ? "cancelled"
        : decision.allow
          ? "allowed"
          : "rejected";
      if (this.actions.parentNode) {
        const hadFocus = this.actions.contains(document.activeElement);
        this.actions.remove();
        if (hadFocus) this.label.focus({ preventScroll: true });
      }
      this.error.hidden = true;
      this.label.textContent = decisionText(decision, this.el.dataset.kind ?? null);
      this.label.hidden = false;
      return;
    }
    this.el.dataset.state = "pending";
    const locked = this.inFlight || this.disabled;
    for (const control of [this.allowButton, this.grantButton, this.rejectButton, this.reason]) {
      if (control) control.disabled = locked;
    }
    this.label.textContent = this.inFlight ? "Sending your answer…" : "";
    this.label.hidden = !this.inFlight;
  }
}

function decisionText(decision: LocalDecision, kind: string | null): string {
  if (decision.cancelled) return "Stopped before it ran";
  if (decision.allow) return decision.grant && kind ? `Allowed (${kind} for this task)` : "Allowed";
  return decision.reason ? `Rejected: ${decision.reason}` : "Rejected";
}

/** What the call would do, from `ask.details`. */
function detailsSection(ask: LocalAsk): HTMLElement {
  const d = ask.details ?? {};
  const section = h("section", "neo-local-details");
  section.dataset.testid = "neo-local-details";
  if (typeof d.command === "string") {
    const pre = h("pre", "neo-pre neo-local-command");
    pre.dataset.testid = "neo-local-command";
    pre.append(h("code", "", d.command));
    section.append(pre, fact("in", d.cwd ?? ""), fact("timeout", `${d.timeout ?? 120} s`));
    return section;
  }
  if (d.diff || d.new_file || d.note) {
    if (d.file) section.append(fact("file", d.file));
    if (d.diff) {
      const lines = d.diff.split("\n");
      const added = lines.filter((l) => l.startsWith("+") && !l.startsWith("+++")).length;
      const removed = lines.filter((l) => l.startsWith("-") && !l.startsWith("---")).length;
      const file = fileDiff({ file: d.file ?? "", patch: d.diff, added, removed });
      file.dataset.testid = "neo-local-diff";
      section.append(file);
    } else {
      section.append(h("div", "neo-muted", d.new_file ?? d.note ?? ""));
    }
    return section;
  }
  if (d.stack !== undefined || d.program !== undefined) {
    section.append(fact("stack", d.stack ?? ""), fact("program", d.program ?? ""));
    const names = d.env_names ?? [];
    section.append(
      fact("environment", names.length ? names.join(", ") : "none", "values not shown"),
    );
    return section;
  }
  for (const key of ["file_path", "path", "pattern"] as const) {
    const value = d[key];
    if (typeof value === "string") section.append(fact(key.replace("_", " "), value));
  }
  return section;
}

function fact(label: string, value: string, hint?: string): HTMLElement {
  const line = h("div", "neo-local-fact");
  line.append(h("span", "neo-tool-label", label), h("code", "", value));
  if (hint) line.append(h("span", "neo-muted", ` (${hint})`));
  return line;
}

const STATE_WORDS: Record<string, string> = {
  running: "running",
  done: "done",
  failed: "failed",
  "timed out": "timed out",
  stopped: "stopped",
  declined: "rejected",
  refused: "not allowed",
  interrupted: "interrupted",
  "not run": "not run",
};

/**
 * Add what only this machine knows to a run's row: a running timer and the live tail while
 * it runs, then the exit code, "timed out" or "stopped". Called after each refill.
 */
export function decorateRow(row: HTMLDetailsElement, run: LiveRun, now: number): void {
  row.dataset.local = run.state;
  const summary = row.querySelector("summary");
  const body = row.querySelector(".neo-tool-body");
  row.querySelector(".neo-live-state")?.remove();
  row.querySelector(".neo-live")?.remove();
  const state = h("span", "neo-live-state");
  state.dataset.testid = "neo-live-state";
  state.textContent = liveState(run, now);
  summary?.append(state);
  if (!run.tail.length && run.state !== "running") return;
  const live = h("div", "neo-live");
  const tail = h("pre", "neo-pre neo-live-tail");
  tail.dataset.testid = "neo-live-tail";
  tail.setAttribute("aria-label", "Output");
  for (const [stream, text] of run.tail) {
    tail.append(h("span", stream === "stderr" ? "neo-live-stderr" : "neo-live-stdout", text));
  }
  if (!run.tail.length) tail.append(h("span", "neo-muted", "No output yet."));
  live.append(h("div", "neo-tool-label", "Output"), tail);
  if (body) body.prepend(live);
  else row.append(live);
  if (run.state === "running") tail.scrollTop = tail.scrollHeight;
}

/** "running 12 s", "exit 0", "exit 2", "timed out", "stopped", ... */
export function liveState(run: LiveRun, now: number): string {
  if (run.state === "running") {
    const started = Date.parse(run.started_at);
    const ms = Number.isNaN(started) ? 0 : Math.max(0, now - started);
    return `running ${formatDuration(Math.floor(ms / 1000) * 1000)}`;
  }
  if ((run.state === "done" || run.state === "failed") && run.exit_code !== null) {
    return `exit ${run.exit_code}`;
  }
  return STATE_WORDS[run.state] ?? run.state;
}

/**
 * A run on this machine's result as a person reads it: an edit's diff, a read's text folded,
 * a grep's file:line matches, a preview's summary; null when the generic row does.
 */
export function localResult(tool: ToolRun): HTMLElement | null {
  if (tool.runner !== "client" || tool.result === null || tool.is_error) return null;
  const name = tool.name ?? "";
  const text = tool.result;
  if (name === "filesystem__edit") {
    const fenced = /```(?:diff)?\n([\s\S]*?)```/.exec(text);
    if (!fenced) return null;
    const patch = fenced[1];
    const file = /^--- (.*?)(?: \(original\))?$/m.exec(patch)?.[1] ?? "";
    const lines = patch.split("\n");
    const added = lines.filter((l) => l.startsWith("+") && !l.startsWith("+++")).length;
    const removed = lines.filter((l) => l.startsWith("-") && !l.startsWith("---")).length;
    return fileDiff({ file, patch, added, removed });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const body = value && typeof value === "object" ? (value as Record<string, unknown>) : null;
  if (!body) return null;
  if (name === "filesystem__read" && typeof body.content === "string") {
    const fold = h("details", "neo-local-read");
    const lines = body.content.split("\n").length;
    fold.append(
      h("summary", "neo-muted", `${lines} line${lines === 1 ? "" : "s"}`),
      h("pre", "neo-pre", body.content),
    );
    return fold;
  }
  if (name === "filesystem__grep" && typeof body.content === "string") {
    return h("pre", "neo-pre neo-local-grep", body.content);
  }
  if (name.startsWith("pulumi__") && typeof body.logs === "string") {
    const summary = h("div", "neo-local-preview");
    summary.append(
      h("div", "neo-tool-label", `${String(body.status ?? "")}`),
      h("pre", "neo-pre", body.logs),
    );
    return summary;
  }
  return null;
}

/** One ask card per call, placed after the run's row. */
export function placeAfter(anchor: Element | null, node: HTMLElement, fallback: ParentNode): void {
  if (anchor?.parentNode) anchor.after(node);
  else fallback.append(node);
}
