import type { AnyModel } from "@anywidget/types";
import type { Item, Model } from "../src/model";

type Handler = (...args: any[]) => void;

/** An anywidget model without a kernel: records what the view sends, lets tests push. */
export class FakeModel implements AnyModel<Model> {
  state: Model;
  sent: Record<string, unknown>[] = [];
  private handlers = new Map<string, Handler[]>();
  widget_manager = {
    get_model: () => Promise.reject(new Error("no widget manager in tests")),
  };

  constructor(state: Partial<Model> = {}) {
    this.state = {
      task_id: null,
      task_name: "",
      status: "new",
      entities: [],
      approvals: {},
      pending_approval: null,
      banner: null,
      busy_reason: "",
      event_count: 0,
      ...state,
    };
  }

  get<K extends keyof Model>(key: K): Model[K] {
    return this.state[key];
  }

  set<K extends keyof Model>(key: K, value: Model[K]): void {
    this.state[key] = value;
    this.emit(`change:${key}`);
  }

  on(name: string, callback: Handler): void {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), callback]);
  }

  off(name?: string | null, callback?: Handler | null): void {
    for (const [event, list] of this.handlers) {
      if (name && event !== name) continue;
      this.handlers.set(
        event,
        list.filter((h) => callback && h !== callback),
      );
    }
  }

  save_changes(): void {}

  send(content: Record<string, unknown>): void {
    this.sent.push(content);
  }

  emit(name: string, ...args: unknown[]): void {
    for (const handler of this.handlers.get(name) ?? []) handler(...args);
  }

  /** A custom message from the kernel. */
  receive(message: unknown): void {
    this.emit("msg:custom", message, []);
  }

  listenerCount(): number {
    return [...this.handlers.values()].reduce((n, list) => n + list.length, 0);
  }

  sentOfType(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }
}

let nextSeq = 0;

export function item(fields: Partial<Item> & { type: string }): Item {
  const seq = fields.seq ?? nextSeq++;
  return {
    seq,
    id: `event_${seq}`,
    kind: fields.type === "user_message" ? "userInput" : "agentResponse",
    timestamp: "2025-01-15T10:30:00Z",
    content: null,
    tool_calls: [],
    tool_call_id: null,
    name: null,
    result: null,
    is_error: false,
    approval: null,
    approval_request_id: null,
    ok: null,
    body: { type: fields.type },
    ...fields,
  };
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
