/**
 * Pairing tool calls with their start and result. Pure: no DOM.
 *
 * Neo announces a call in an assistant message (`tool_calls[].id`), starts it
 * (`exec_tool_call.tool_call_id`) and answers it (`tool_response.tool_call_id`); the three
 * share one id and become one row. A start or a result whose call was never announced still
 * gets a row of its own.
 */

import type { Item } from "./model";

/** Tool calls that are not shown as tool rows (the approval card shows them). */
export const HIDDEN_TOOLS = new Set(["approval_request"]);

export type ToolState = "requested" | "running" | "done" | "error";

export interface ToolRecord {
  /** Stable key of the row: the call id, or one made from the item for calls without one. */
  key: string;
  id: string | null;
  /** The tool's name; null until an event names it. */
  name: string | null;
  arguments: string | null;
  result: string | null;
  isError: boolean;
  requestedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  state: ToolState;
}

export class ToolLedger {
  private records = new Map<string, ToolRecord>();
  private hidden = new Set<string>();
  private generations = new Map<string, number>();

  get(key: string): ToolRecord | undefined {
    return this.records.get(key);
  }

  clear(): void {
    this.records.clear();
    this.hidden.clear();
    this.generations.clear();
  }

  /** Take one item into account; returns the records it created or changed. */
  observe(item: Item): ToolRecord[] {
    switch (item.type) {
      case "assistant_message":
        for (const call of item.tool_calls) {
          if (HIDDEN_TOOLS.has(call.name) && call.id) this.hidden.add(call.id);
        }
        return item.tool_calls
          .filter((call) => !HIDDEN_TOOLS.has(call.name))
          .map((call, index) => {
            const record = call.id ? this.fresh(call.id) : this.record(`${item.id}#${index}`, null);
            record.name = call.name || record.name;
            record.arguments = call.arguments;
            record.requestedAt = item.timestamp;
            return record;
          });
      case "exec_tool_call": {
        if (this.isHidden(item)) return [];
        const id = item.tool_call_id;
        const record = id
          ? this.latestOr(id, (r) => r.startedAt !== null || r.endedAt !== null)
          : this.record(`${item.id}#exec`, null);
        record.name ??= item.name || null;
        record.startedAt = item.timestamp;
        if (record.state === "requested") record.state = "running";
        return [record];
      }
      case "tool_response": {
        if (this.isHidden(item)) return [];
        const id = item.tool_call_id;
        const record = id
          ? this.latestOr(id, (r) => r.endedAt !== null || r.result !== null)
          : this.record(`${item.id}#result`, null);
        record.name ??= item.name || null;
        record.result = item.result ?? item.content;
        record.isError = item.is_error;
        record.endedAt = item.timestamp;
        record.state = item.is_error ? "error" : "done";
        return [record];
      }
      default:
        return [];
    }
  }

  /** A new record for a call id; an id Neo reuses gets a row per call. */
  private fresh(id: string): ToolRecord {
    const count = this.generations.get(id) ?? 0;
    this.generations.set(id, count + 1);
    return this.record(count ? `${id}~${count}` : id, id);
  }

  /** The latest record for a call id, or a fresh one if it has already got what comes. */
  private latestOr(id: string, done: (record: ToolRecord) => boolean): ToolRecord {
    const count = this.generations.get(id) ?? 0;
    const latest = count ? this.records.get(count > 1 ? `${id}~${count - 1}` : id) : undefined;
    return latest && !done(latest) ? latest : this.fresh(id);
  }

  private isHidden(item: Item): boolean {
    return (
      (item.name !== null && HIDDEN_TOOLS.has(item.name)) ||
      (item.tool_call_id !== null && this.hidden.has(item.tool_call_id))
    );
  }

  private record(key: string, id: string | null): ToolRecord {
    let record = this.records.get(key);
    if (!record) {
      record = {
        key,
        id,
        name: null,
        arguments: null,
        result: null,
        isError: false,
        requestedAt: null,
        startedAt: null,
        endedAt: null,
        state: "requested",
      };
      this.records.set(key, record);
    }
    return record;
  }
}

/** Milliseconds from the start (or, without one, the request) to the result; null if unknown. */
export function durationMs(record: ToolRecord): number | null {
  const start = parseTime(record.startedAt ?? record.requestedAt);
  const end = parseTime(record.endedAt);
  if (start === null || end === null || end < start) return null;
  return end - start;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

export function parseTime(value: string | null): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Pretty JSON when `text` parses, else the text as it came. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
