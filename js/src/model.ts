/**
 * The contract with the Python side (neo_notebook/_widget.py): the synced traits, the items
 * that arrive in `events` messages, and the messages both ways.
 */

export type Status = "new" | "running" | "idle" | "awaiting_approval" | "cancelled" | "error";
export type ApprovalState = "pending" | "approved" | "declined" | "superseded";

export interface EntityChip {
  type: string;
  label: string;
  url: string | null;
}

export interface ApprovalInfo {
  id: string | null;
  description: string;
  malformed: boolean;
}

export interface Banner {
  level: "error" | "warning" | "info";
  title: string;
  message: string;
}

/** The traits of `NeoChat`, by their Python names. */
export interface Model {
  task_id: string | null;
  task_name: string;
  status: Status;
  entities: EntityChip[];
  approvals: Record<string, ApprovalState>;
  pending_approval: ApprovalInfo | null;
  banner: Banner | null;
  busy_reason: string;
  event_count: number;
}

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text as Neo sent it; may be malformed. */
  arguments: string;
}

/** One API event, normalized by Python (`event_item`). */
export interface Item {
  seq: number;
  id: string;
  kind: string;
  type: string;
  timestamp: string | null;
  content: string | null;
  tool_calls: ToolCall[];
  tool_call_id: string | null;
  name: string | null;
  result: string | null;
  is_error: boolean;
  approval: ApprovalInfo | null;
  approval_request_id: string | null;
  ok: boolean | null;
  body: Record<string, unknown>;
}

export interface EventsMessage {
  type: "events";
  events: Item[];
  reset: boolean;
}

export interface AckMessage {
  type: "ack";
  request_id: string;
  ok: boolean;
  error: string | null;
}

export type KernelMessage = EventsMessage | AckMessage;

/** What a click asks the kernel to do; `request_id` is added when it is sent. */
export type Action =
  | { type: "send"; content: string }
  | { type: "approve"; approval_request_id: string }
  | { type: "decline"; approval_request_id: string; message: string }
  | { type: "cancel" };

export type ViewMessage = { type: "sync"; after: number } | (Action & { request_id: string });
