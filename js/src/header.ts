/**
 * The panel's header: the task's name and status, its modes (each switchable here), how
 * full Neo's context is, the task's entities and a link to it in the Pulumi console.
 *
 * The modes show the traits as they are; a click sends a `settings` action with the one
 * field it changes and locks the controls until the kernel acks, so two clicks never race.
 * The new value shows when the trait changes, never before: what is shown is what is set.
 * A mode whose trait is null (unknown, e.g. before a task exists) is not offered.
 */

import { button, formatTokens, h, safeUrl } from "./dom";
import type { AckMessage, Action, ContextMeter, EntityChip, Status, WorkspaceInfo } from "./model";
import { entityChip } from "./parts";

export type SettingsChange = Omit<Extract<Action, { type: "settings" }>, "type">;

export interface HeaderActions {
  settings(change: SettingsChange): Promise<AckMessage>;
  /** Allow (or stop allowing) a kind of local tool for this task. */
  grant(kind: string, allowed: boolean): Promise<AckMessage>;
  /** Show why an action failed (null clears it), where the panel shows such errors. */
  showError(message: string | null): void;
}

export interface Modes {
  approval_mode: string | null;
  plan_mode: boolean | null;
  permission_mode: string | null;
}

const STATUS_LABELS: Record<Status, string> = {
  new: "New",
  running: "Working",
  idle: "Idle",
  awaiting_approval: "Waiting for approval",
  awaiting_tools: "Running on your machine",
  cancelled: "Cancelled",
  error: "Error",
};

/** The approval modes, in the order offered, with what people call them. */
export const APPROVAL_MODES: ReadonlyArray<readonly [string, string, string]> = [
  ["manual", "Review", "Neo asks before every change"],
  ["balanced", "Balanced", "Neo asks before changes that matter"],
  ["auto", "Auto", "Neo goes ahead without asking"],
];

export class Header {
  readonly el: HTMLElement;
  private readonly taskName: HTMLElement;
  private readonly status: HTMLElement;
  private readonly statusIcon: HTMLElement;
  private readonly statusLabel: HTMLElement;
  private readonly consoleLink: HTMLAnchorElement;
  private readonly settings: HTMLElement;
  private readonly approvalGroup: HTMLElement;
  private readonly approvalButtons = new Map<string, HTMLButtonElement>();
  private readonly readOnly: HTMLButtonElement;
  private readonly planMode: HTMLButtonElement;
  private readonly saving: HTMLElement;
  private readonly usage: HTMLElement;
  private readonly meter: HTMLElement;
  private readonly meterFill: HTMLElement;
  private readonly meterThreshold: HTMLElement;
  private readonly meterText: HTMLElement;
  private readonly tokens: HTMLElement;
  private readonly entities: HTMLElement;
  private readonly workspace: HTMLElement;
  private workspaceInfo: WorkspaceInfo | null = null;
  private modes: Modes = { approval_mode: null, plan_mode: null, permission_mode: null };
  private inFlight: HTMLButtonElement | null = null;
  private disabled = false;

  constructor(private readonly actions: HeaderActions) {
    this.el = h("div", "neo-header");

    const titleRow = h("div", "neo-title-row");
    this.taskName = h("div", "neo-task-name");
    this.taskName.dataset.testid = "neo-task-name";
    this.consoleLink = h("a", "neo-console-link", "Open in Pulumi Cloud ↗");
    this.consoleLink.dataset.testid = "neo-console-link";
    this.consoleLink.target = "_blank";
    this.consoleLink.rel = "noopener noreferrer";
    this.consoleLink.hidden = true;
    this.status = h("div", "neo-status");
    this.status.dataset.testid = "neo-status";
    this.status.setAttribute("role", "status");
    this.statusIcon = h("span", "neo-status-icon");
    this.statusIcon.setAttribute("aria-hidden", "true");
    this.statusLabel = h("span", "neo-status-label");
    this.status.append(this.statusIcon, this.statusLabel);
    titleRow.append(this.taskName, this.consoleLink, this.status);

    this.settings = h("div", "neo-settings");
    this.settings.setAttribute("role", "group");
    this.settings.setAttribute("aria-label", "Task settings");
    this.approvalGroup = h("div", "neo-segmented");
    this.approvalGroup.setAttribute("role", "group");
    this.approvalGroup.setAttribute("aria-label", "Approval mode");
    this.approvalGroup.append(h("span", "neo-setting-label", "Approvals"));
    for (const [value, label, hint] of APPROVAL_MODES) {
      const choice = button("neo-segment", label, `neo-approval-mode-${value}`);
      choice.title = hint;
      choice.addEventListener("click", () => {
        if (this.modes.approval_mode !== value) this.change(choice, { approval_mode: value });
      });
      this.approvalButtons.set(value, choice);
      this.approvalGroup.append(choice);
    }
    this.readOnly = button("neo-toggle", "Read-only", "neo-read-only");
    this.readOnly.title = "Neo may look but not change anything";
    this.readOnly.addEventListener("click", () =>
      this.change(this.readOnly, {
        permission_mode: this.modes.permission_mode === "read-only" ? "default" : "read-only",
      }),
    );
    this.planMode = button("neo-toggle", "Plan mode", "neo-plan-mode");
    this.planMode.title = "Neo plans first and asks you to approve the plan";
    this.planMode.addEventListener("click", () =>
      this.change(this.planMode, { plan_mode: !this.modes.plan_mode }),
    );
    this.saving = h("span", "neo-muted neo-saving", "Saving…");
    this.saving.setAttribute("role", "status");
    this.saving.hidden = true;
    this.settings.append(this.approvalGroup, this.readOnly, this.planMode, this.saving);

    this.usage = h("div", "neo-usage");
    this.meter = h("div", "neo-meter");
    this.meter.dataset.testid = "neo-context-meter";
    this.meter.setAttribute("role", "meter");
    this.meter.setAttribute("aria-label", "Context used");
    this.meter.setAttribute("aria-valuemin", "0");
    this.meterFill = h("div", "neo-meter-fill");
    this.meterThreshold = h("div", "neo-meter-threshold");
    this.meter.append(this.meterFill, this.meterThreshold);
    this.meterText = h("span", "neo-meter-text");
    this.meterText.dataset.testid = "neo-context-text";
    this.tokens = h("span", "neo-tokens");
    this.tokens.dataset.testid = "neo-tokens";
    this.usage.append(this.meter, this.meterText, this.tokens);

    this.entities = h("div", "neo-entities");
    this.workspace = h("div", "neo-workspace");
    this.workspace.dataset.testid = "neo-workspace";
    this.workspace.setAttribute("role", "group");
    this.workspace.setAttribute("aria-label", "Workspace on this machine");
    this.workspace.hidden = true;
    this.settings.append(this.workspace);
    this.el.append(titleRow, this.settings, this.usage, this.entities);
  }

  /** `waitingForYou`: a call on this machine waits for the person's answer. */
  setTask(name: string, status: Status, waitingForYou = false): void {
    this.taskName.textContent = name || "New conversation";
    this.status.dataset.status = waitingForYou ? "awaiting_you" : status;
    this.statusLabel.textContent = waitingForYou
      ? "Neo is waiting for you"
      : (STATUS_LABELS[status] ?? String(status));
    this.statusIcon.className = `neo-status-icon${status === "running" ? " neo-spinner" : ""}`;
  }

  setConsoleUrl(url: string | null): void {
    const href = safeUrl(url);
    this.consoleLink.hidden = href === null;
    if (href) this.consoleLink.href = href;
    else this.consoleLink.removeAttribute("href");
  }

  setEntities(entities: readonly EntityChip[]): void {
    this.entities.replaceChildren(...entities.map((entity) => entityChip(entity)));
    this.entities.hidden = entities.length === 0;
  }

  /** Where Neo's tools run here: the path, and each kind (allowed, granted, or neither). */
  setWorkspace(info: WorkspaceInfo | null): void {
    // traitlets sends an unset Dict trait as {}: no workspace.
    this.workspaceInfo = info && info.path && Array.isArray(info.kinds) ? info : null;
    this.updateSettings();
  }

  private drawWorkspace(locked: boolean): void {
    const info = this.workspaceInfo;
    this.workspace.hidden = info === null;
    if (!info) return;
    const path = h("code", "neo-workspace-path", info.path);
    path.title = `Neo's tools run on this machine, in ${info.path}`;
    const kinds = h("span", "neo-segmented");
    kinds.setAttribute("aria-label", "What runs without asking");
    for (const kind of info.kinds) {
      const fixed = info.allow.includes(kind);
      const on = fixed || info.granted.includes(kind);
      const toggle = button("neo-toggle", kind, `neo-workspace-kind-${kind}`);
      toggle.setAttribute("aria-pressed", String(on));
      toggle.disabled = locked || fixed;
      toggle.title = fixed
        ? `The workspace allows ${kind}`
        : on
          ? `${kind} runs without asking for this task: click to ask again`
          : `Neo asks before each ${kind} call: click to allow it for this task`;
      toggle.addEventListener("click", () => this.grant(toggle, kind, !on));
      kinds.append(toggle);
    }
    // Redrawn on each change: a keyboard user stays on the toggle they were on.
    const focused = this.workspace.contains(document.activeElement)
      ? (document.activeElement as HTMLElement).dataset.testid
      : undefined;
    this.workspace.replaceChildren(h("span", "neo-setting-label", "Local"), path, kinds);
    if (focused) this.workspace.querySelector<HTMLElement>(`[data-testid="${focused}"]`)?.focus();
  }

  private grant(control: HTMLButtonElement, kind: string, allowed: boolean): void {
    if (this.inFlight || this.disabled) return;
    this.inFlight = control;
    this.actions.showError(null);
    this.updateSettings();
    void this.actions.grant(kind, allowed).then((ack) => {
      this.inFlight = null;
      if (!ack.ok) this.actions.showError(ack.error || "The workspace could not be changed.");
      this.updateSettings();
    });
  }

  setModes(modes: Modes): void {
    this.modes = modes;
    this.updateSettings();
  }

  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    this.updateSettings();
  }

  setUsage(context: ContextMeter | null, tokensUsed: number | null): void {
    const window = context && context.window > 0 ? context.window : 0;
    this.meter.hidden = !context || window === 0;
    this.meterText.hidden = this.meter.hidden;
    if (context && window) {
      const used = Math.max(0, context.used);
      const text = `${formatTokens(used)} of ${formatTokens(window)} tokens`;
      this.meterText.textContent = text;
      this.meter.setAttribute("aria-valuemax", String(window));
      this.meter.setAttribute("aria-valuenow", String(Math.min(used, window)));
      this.meter.setAttribute("aria-valuetext", text);
      this.meterFill.style.width = `${percent(used, window)}%`;
      const threshold = context.threshold_percent;
      this.meterThreshold.hidden = threshold === null || !(threshold > 0 && threshold < 100);
      if (threshold !== null) this.meterThreshold.style.left = `${threshold}%`;
      this.meter.title =
        `Neo's context: ${text}` + (threshold !== null ? `; Neo compacts it at ${threshold}%` : "");
      this.meter.dataset.near = String(
        threshold !== null && percent(used, window) >= threshold * 0.9,
      );
    }
    this.tokens.hidden = tokensUsed === null;
    if (tokensUsed !== null) {
      this.tokens.textContent = `${formatTokens(tokensUsed)} tokens used`;
      this.tokens.title = `${tokensUsed.toLocaleString()} tokens used by this task`;
    }
    this.usage.hidden = this.meter.hidden && this.tokens.hidden;
  }

  private change(control: HTMLButtonElement, change: SettingsChange): void {
    if (this.inFlight || this.disabled) return;
    this.inFlight = control;
    this.actions.showError(null);
    this.updateSettings();
    void this.actions.settings(change).then((ack) => {
      this.inFlight = null;
      if (!ack.ok) this.actions.showError(ack.error || "The setting could not be changed.");
      this.updateSettings();
    });
  }

  private updateSettings(): void {
    const { approval_mode, plan_mode, permission_mode } = this.modes;
    const locked = this.disabled || this.inFlight !== null;
    this.approvalGroup.hidden = approval_mode === null;
    for (const [value, choice] of this.approvalButtons) {
      choice.setAttribute("aria-pressed", String(approval_mode === value));
      choice.disabled = locked;
    }
    this.readOnly.hidden = permission_mode === null;
    this.readOnly.setAttribute("aria-pressed", String(permission_mode === "read-only"));
    this.planMode.hidden = plan_mode === null;
    this.planMode.setAttribute("aria-pressed", String(plan_mode === true));
    for (const control of [this.readOnly, this.planMode]) control.disabled = locked;
    for (const control of [...this.approvalButtons.values(), this.readOnly, this.planMode]) {
      control.setAttribute("aria-busy", String(control === this.inFlight));
    }
    this.saving.hidden = this.inFlight === null;
    this.drawWorkspace(locked);
    this.settings.hidden =
      approval_mode === null &&
      plan_mode === null &&
      permission_mode === null &&
      this.workspaceInfo === null;
  }
}

function percent(used: number, window: number): number {
  return Math.min(100, Math.round((used / window) * 1000) / 10);
}
