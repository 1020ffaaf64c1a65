import type { AnyModel } from "@anywidget/types";

type Handler = (...args: any[]) => void;

/** An anywidget model without a kernel, for any widget's traits `M`: it records what the
 * view sends and lets a test push trait changes and kernel messages. */
export class FakeAnyModel<M extends object> implements AnyModel<M> {
  state: M;
  sent: Record<string, any>[] = [];
  private handlers = new Map<string, Handler[]>();
  widget_manager = {
    get_model: () => Promise.reject(new Error("no widget manager in tests")),
  };

  constructor(state: M) {
    this.state = state;
  }

  get<K extends keyof M>(key: K): M[K] {
    return this.state[key];
  }

  set<K extends keyof M>(key: K, value: M[K]): void {
    this.state[key] = value;
    this.emit(`change:${String(key)}`);
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

  sentOfType(type: string): Record<string, any>[] {
    return this.sent.filter((m) => m.type === type);
  }
}
