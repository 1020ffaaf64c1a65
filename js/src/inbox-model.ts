/**
 * The contract of the Neo inbox with the Python side (neo_notebook/_inbox.py, `NeoInbox`):
 * the synced traits, the rows and cards that arrive in messages, and the messages both ways.
 *
 * Python lists the tasks, follows the ones that matter and sends rows already sorted into
 * sections, with the request of each task that waits for a person already in words. The
 * front-end draws rows; it never re-derives what a task's status or request means. Within a
 * section it orders rows as `Inbox.rows` does (see inbox-store.ts), since upserts move them.
 *
 * Every string in a row (names, descriptions, labels, file names) is untrusted: it comes
 * from the agent or from whoever started the task, and goes into the page as text only.
 */

import type { ApprovalInfo } from "./model";

/** "" everywhere means "not set": the server's default. */
export interface InboxFilters {
  /** Free text matched against task names. */
  query: string;
  status: "" | "running" | "idle";
  sort_by: "" | "lastEvent" | "created" | "status" | "name" | "tokensUsed";
  sort_direction: "" | "asc" | "desc";
  task_type: "" | "sync" | "async";
  /** Sources whose tasks are not listed (a subset of the `sources` trait). */
  exclude_sources: string[];
}

export interface InboxBanner {
  level: "error" | "warning";
  title: string;
  message: string;
}

/** The traits of `NeoInbox`, by their Python names. */
export interface InboxModel {
  filters: InboxFilters;
  /** The source choices for the exclusion control (api, console, cli, slack, ...). */
  sources: string[];
  /** How many tasks are followed now, at most `follow_cap`. */
  following: number;
  follow_cap: number;
  /** How often the followed tasks are re-read. */
  poll_seconds: number;
  /** How many rows are listed. */
  listed: number;
  /** The server has more pages: offer "Load more". */
  has_more: boolean;
  banner: InboxBanner | null;
  /** The task whose chat Python shows below the list, or null. */
  opened: string | null;
  /** A list or a page is being read. */
  loading: boolean;
}

export type InboxSection = "needs_you" | "working" | "recent";

/** The sections, in the order shown. */
export const SECTIONS: readonly InboxSection[] = ["needs_you", "working", "recent"];

export interface InboxEntity {
  type: string;
  label: string;
  /** An http(s) link, or null; any other scheme is shown as text. */
  url: string | null;
}

/** What the task waits for, in short (the full card comes on `expand`). */
export interface InboxRequest {
  /** The approval request's id: what `approve` and `reject` answer. */
  id: string;
  /** The request's type in words: "Approve this plan", "Allow a tool", ... */
  kind: string;
  /** What Neo asks, as plain text (untrusted; never parsed as HTML or Markdown). */
  description: string;
  sensitive: boolean;
  /** For a tool permission: the tool Neo wants to run. */
  tool: string | null;
  /** The files the request changes, with their line counts. */
  files: { file: string; added: number; removed: number }[];
}

export interface InboxRow {
  /** The task id; rows are upserted by it. */
  id: string;
  name: string;
  section: InboxSection;
  status: string;
  /** Where the task came from (api, console, cli, slack, ...), or null. */
  source: string | null;
  /** What started it, as a badge ("Schedule", "Failed deployment", "Slack", a person). */
  trigger: { label: string; tone: string } | null;
  /** ISO time since the task has waited for a person (Needs you), or null. */
  waiting_since: string | null;
  /** ISO time of the task's last event, or null. */
  last_activity: string | null;
  tokens_used: number | null;
  entities: InboxEntity[];
  /** The request waiting for a person; null outside Needs you. */
  request: InboxRequest | null;
  /** This process already answered `request`: shown instead of the buttons. */
  answer: { ok: boolean; at: string } | null;
  /** Why this task cannot be answered here (e.g. "No permission ... (403)"): shown instead of the buttons. */
  error: string | null;
  can_answer: boolean;
}

export interface RowsMessage {
  type: "rows";
  rows: InboxRow[];
  /** true: these rows replace all; false: upsert by id (only the rows that changed). */
  reset: boolean;
}

export interface RemoveMessage {
  type: "remove";
  ids: string[];
}

/** The answer to an `expand`: the task's pending request in full, or null when it has none. */
export interface CardMessage {
  type: "card";
  /** The task id. */
  id: string;
  card: ApprovalInfo | null;
}

export interface InboxAck {
  type: "ack";
  request_id: string;
  /** true: done. false: failed (see `error`). null: nothing was done (e.g. no longer needed). */
  ok: boolean | null;
  error?: string | null;
}

export type InboxKernelMessage = RowsMessage | RemoveMessage | CardMessage | InboxAck;

/** What a control asks the kernel to do; `request_id` is added when it is sent. */
export type InboxAction =
  | { type: "approve"; task_id: string; approval_request_id: string }
  | { type: "reject"; task_id: string; approval_request_id: string; instructions: string }
  /** Show this task's chat below the list; null closes the one shown. */
  | { type: "open"; task_id: string | null }
  /** Ask for the task's card (answered by a `card` message, then the ack). */
  | { type: "expand"; task_id: string }
  /** The whole filters object, every time. */
  | { type: "filter"; filters: InboxFilters }
  | { type: "more" }
  /** Sent once per view on render: the kernel answers with a `rows` reset, and no ack. */
  | { type: "sync" };

export type InboxViewMessage = InboxAction & { request_id: string };

export const EMPTY_FILTERS: InboxFilters = {
  query: "",
  status: "",
  sort_by: "",
  sort_direction: "",
  task_type: "",
  exclude_sources: [],
};
