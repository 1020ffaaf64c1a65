import { afterEach, beforeEach, vi } from "vitest";
import { render } from "../src/panel";
import { FakeAnyModel } from "./fake-model";
import type {
  ApprovalInfo,
  AttachedData,
  FileDiff,
  Item,
  Model,
  Part,
  ToolRun,
} from "../src/model";

/** An anywidget model without a kernel: records what the view sends, lets tests push. */
export class FakeModel extends FakeAnyModel<Model> {
  constructor(state: Partial<Model> = {}) {
    super({
      task_id: null,
      task_name: "",
      status: "new",
      entities: [],
      approvals: {},
      answers: {},
      kept: {},
      banner: null,
      busy_reason: "",
      event_count: 0,
      approval_mode: null,
      plan_mode: null,
      permission_mode: null,
      context: null,
      tokens_used: null,
      console_url: null,
      workspace: null,
      local_asks: {},
      local_decisions: {},
      ...state,
    });
  }
}

let nextSeq = 0;

/** An item as Python sends it: one event, already turned into parts. */
export function item(fields: Partial<Item> & { type: string }): Item {
  const seq = fields.seq ?? nextSeq++;
  return {
    seq,
    id: `event_${seq}`,
    timestamp: "2025-01-15T10:30:00Z",
    parts: [],
    ...fields,
  };
}

/** An item of `type` holding `parts`. */
export function parts(type: string, ...list: Part[]): Item {
  return item({ type, parts: list });
}

export function userText(
  text: string,
  author: string | null = null,
  attachments: AttachedData[] = [],
): Item {
  return parts("user_message", {
    view: "message",
    role: "user",
    text,
    author,
    synthetic: false,
    attachments,
  });
}

export function neoText(text: string): Item {
  return parts("assistant_message", {
    view: "message",
    role: "assistant",
    text,
    author: null,
    synthetic: false,
    attachments: [],
  });
}

export function toolRun(fields: Partial<ToolRun> & { key: string }): ToolRun {
  return {
    call_id: fields.key,
    name: "pulumi_preview",
    arguments: null,
    execution_mode: null,
    runner: "neo",
    state: "requested",
    progress: null,
    result: null,
    is_error: false,
    requested_at: null,
    started_at: null,
    finished_at: null,
    duration_ms: null,
    ...fields,
  };
}

export function toolItem(
  fields: Partial<ToolRun> & { key: string },
  type = "exec_tool_call",
): Item {
  return parts(type, { view: "tool", tool: toolRun(fields) });
}

export function approvalInfo(fields: Partial<ApprovalInfo> = {}): ApprovalInfo {
  return {
    id: "req_1",
    malformed: false,
    message: "Create **PR** for the fix",
    approval_type: "general",
    title: "Neo asks for approval",
    sensitive: false,
    source: "agent",
    buttons: [],
    tool_name: null,
    tool_arguments: null,
    plan: null,
    diff: [],
    last_approval_diff: [],
    ...fields,
  };
}

export function approvalItem(fields: Partial<ApprovalInfo> = {}): Item {
  return parts("user_approval_request", { view: "approval", approval: approvalInfo(fields) });
}

/** A file diff of `lines` changed lines (alternately added and removed), after a hunk header. */
export function fileDiff(file: string, lines: number, extra = ""): FileDiff {
  const body = Array.from({ length: lines }, (_, i) =>
    i % 2 ? `-old line ${i}` : `+new line ${i}`,
  );
  const patch = [
    `diff --git a/${file} b/${file}`,
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -1,${Math.floor(lines / 2)} +1,${Math.ceil(lines / 2)} @@`,
    ...body,
    ...(extra ? [extra] : []),
  ].join("\n");
  return { file, patch, added: Math.ceil(lines / 2), removed: Math.floor(lines / 2) };
}

/** Items numbered from `start`, in order. */
export function numbered(start: number, ...items: Item[]): Item[] {
  return items.map((it, i) => ({ ...it, seq: start + i, id: `event_${start + i}` }));
}

export function events(
  items: Item[],
  reset = false,
): { type: "events"; events: Item[]; reset: boolean } {
  return { type: "events", events: items, reset };
}

export function q<T extends Element = HTMLElement>(root: ParentNode, testId: string): T {
  const found = root.querySelector<T>(`[data-testid="${testId}"]`);
  if (!found) throw new Error(`no [data-testid=${testId}]`);
  return found;
}

export function qa<T extends Element = HTMLElement>(root: ParentNode, testId: string): T[] {
  return Array.from(root.querySelectorAll<T>(`[data-testid="${testId}"]`));
}

export function visible(element: HTMLElement): boolean {
  for (let node: HTMLElement | null = element; node; node = node.parentElement) {
    if (node.hidden) return false;
  }
  return element.isConnected;
}

/** A panel mounted in the document per test, and removed (with its timers) after it. */
export function panelFixture(): {
  readonly el: HTMLElement;
  mount(state?: Partial<Model>): FakeModel;
} {
  let host: HTMLElement | null = null;
  let cleanups: Array<() => void> = [];
  beforeEach(() => {
    host = document.createElement("div");
    document.body.append(host);
  });
  afterEach(() => {
    for (const cleanup of cleanups) cleanup();
    cleanups = [];
    host?.remove();
    vi.useRealTimers();
  });
  const el = (): HTMLElement => {
    if (!host) throw new Error("no panel outside a test");
    return host;
  };
  return {
    get el(): HTMLElement {
      return el();
    },
    mount(state: Partial<Model> = {}): FakeModel {
      const model = new FakeModel(state);
      cleanups.push(render({ model, el: el() }));
      return model;
    },
  };
}

export function key(target: HTMLElement, init: KeyboardEventInit): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(event);
  return event;
}

/** The kernel's answer to an action the view sent. */
export function ack(
  model: FakeModel,
  message: Record<string, unknown>,
  ok = true,
  error: string | null = null,
): void {
  model.receive({ type: "ack", request_id: message.request_id, ok, error });
}

export const flush = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));
