import { afterEach, beforeEach, vi } from "vitest";
import { EMPTY_FILTERS, type InboxModel, type InboxRow } from "../src/inbox-model";
import { render } from "../src/inbox-panel";
import { FakeAnyModel } from "./fake-model";

/** An inbox model without a kernel: records what the view sends, lets tests push. */
export class FakeInboxModel extends FakeAnyModel<InboxModel> {
  constructor(state: Partial<InboxModel> = {}) {
    super({
      filters: { ...EMPTY_FILTERS },
      sources: ["api", "console", "cli", "slack", "schedule", "github", "code-review"],
      following: 0,
      follow_cap: 20,
      poll_seconds: 10,
      listed: 0,
      has_more: false,
      banner: null,
      opened: null,
      loading: false,
      ...state,
    });
  }

  /** Answer a message this view sent. */
  ack(message: Record<string, any>, ok: boolean | null = true, error: string | null = null): void {
    this.receive({ type: "ack", request_id: message.request_id, ok, error });
  }

  rows(rows: InboxRow[], reset = false): void {
    this.receive({ type: "rows", rows, reset });
  }
}

export const NOW = Date.parse("2025-01-15T10:30:00Z");

export function ago(minutes: number): string {
  return new Date(NOW - minutes * 60_000).toISOString();
}

/** A row waiting for a person, with a request. */
export function needsYou(id: string, fields: Partial<InboxRow> = {}): InboxRow {
  return {
    id,
    name: `Task ${id}`,
    section: "needs_you",
    status: "awaiting_approval",
    source: "slack",
    trigger: { label: "Slack", tone: "info" },
    waiting_since: ago(12),
    last_activity: ago(12),
    tokens_used: 1500,
    entities: [],
    request: {
      id: `req_${id}`,
      kind: "Approve this plan",
      description: "Resize the bucket",
      sensitive: false,
      tool: null,
      files: [],
    },
    answer: null,
    error: null,
    can_answer: true,
    ...fields,
  };
}

export function working(id: string, fields: Partial<InboxRow> = {}): InboxRow {
  return needsYou(id, {
    section: "working",
    status: "running",
    request: null,
    waiting_since: null,
    last_activity: ago(2),
    can_answer: false,
    ...fields,
  });
}

export function recent(id: string, fields: Partial<InboxRow> = {}): InboxRow {
  return working(id, { section: "recent", status: "idle", last_activity: ago(90), ...fields });
}

export { q, qa, visible } from "./helpers";

/** The row of `taskId`. */
export function row(root: ParentNode, taskId: string): HTMLElement {
  const found = root.querySelector<HTMLElement>(
    `[data-testid="inbox-row"][data-task-id="${taskId}"]`,
  );
  if (!found) throw new Error(`no row ${taskId}`);
  return found;
}

/** An inbox mounted in the document per test, and cleaned up (with its timers) after it. */
export function inboxFixture(): {
  readonly el: HTMLElement;
  mount(state?: Partial<InboxModel>): FakeInboxModel;
  cleanup(): void;
} {
  let host: HTMLElement | null = null;
  let cleanups: Array<() => void> = [];
  const cleanup = (): void => {
    for (const fn of cleanups) fn();
    cleanups = [];
  };
  beforeEach(() => {
    host = document.createElement("div");
    document.body.append(host);
  });
  afterEach(() => {
    cleanup();
    host?.remove();
    vi.useRealTimers();
  });
  return {
    get el(): HTMLElement {
      if (!host) throw new Error("no inbox outside a test");
      return host;
    },
    mount(state: Partial<InboxModel> = {}): FakeInboxModel {
      const model = new FakeInboxModel(state);
      cleanups.push(render({ model, el: host! }));
      return model;
    },
    cleanup,
  };
}

export const flush = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));
