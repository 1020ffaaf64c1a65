/**
 * The contract with the Python side (neo_notebook/_widget.py and neo_notebook/_records.py):
 * the synced traits, the items that arrive in `events` messages, and the messages both ways.
 *
 * Python reads every event once and sends what it means: an item is one event, already
 * turned into the parts a person sees. The front-end renders parts; it never re-derives
 * what an event means (a tool run's state, an approval's type, an entity change's wording).
 */

export type Status =
  "new" | "running" | "idle" | "awaiting_approval" | "awaiting_tools" | "cancelled" | "error";
export type ApprovalState = "pending" | "approved" | "declined" | "superseded";

export interface EntityChip {
  type: string;
  label: string;
  /** An http(s) link, or null. */
  url: string | null;
}

/** One file of a git diff: its unified diff text and how many lines it adds and removes. */
export interface FileDiff {
  file: string;
  patch: string;
  added: number;
  removed: number;
}

export interface ApprovalInfo {
  /** The request id; null when the request is malformed (it can never be approved). */
  id: string | null;
  malformed: boolean;
  /** What Neo asks, as Markdown (untrusted). */
  message: string;
  /** `general`, `tool_permission`, `plan_exit`, another kind the API adds, or null. */
  approval_type: string | null;
  /** The card's title in words: "Approve this plan", "Allow `tool`", "Neo asks for approval". */
  title: string;
  sensitive: boolean;
  /** `agent`, `system`, `hybrid`, or null. */
  source: string | null;
  /** Button labels Neo suggests (approve first, then decline); empty for the defaults. */
  buttons: string[];
  /** For `tool_permission`: the tool and its arguments as pretty JSON text. */
  tool_name: string | null;
  tool_arguments: string | null;
  /** The plan, as Markdown (untrusted). */
  plan: string | null;
  diff: FileDiff[];
  /** What changed since the last approval ("changed since your last approval"). */
  last_approval_diff: FileDiff[];
}

export type ToolState = "requested" | "running" | "done" | "error";

/** One tool run: the agent's call, its progress, the client's run and the result, folded. */
export interface ToolRun {
  /** Stable key of the row: the call id, or one made from the event for calls without one. */
  key: string;
  call_id: string | null;
  name: string | null;
  /** Pretty JSON text of the arguments (or the text as it came, when not JSON). */
  arguments: string | null;
  /** `cloud`, `cli`, `worker`, or null when not said. */
  execution_mode: string | null;
  /** Who ran it: Neo's cloud, or the client (CLI or worker) that reported the result. */
  runner: "neo" | "client";
  state: ToolState;
  /** The latest progress status, while it runs (e.g. "running preview", "3/12 resources"). */
  progress: string | null;
  result: string | null;
  is_error: boolean;
  requested_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface TriggerDetail {
  label: string;
  value: string;
  kind: string | null;
}

/** What started a task turn that no person typed (a failed deployment, a schedule, ...). */
export interface TriggerInfo {
  provider: string | null;
  title: string | null;
  event_type: string | null;
  reference: string | null;
  /** An http(s) link to the source, or null. */
  url: string | null;
  badge_label: string | null;
  badge_tone: string | null;
  details: TriggerDetail[];
  omitted: number;
  received_at: string | null;
}

/** A notebook value attached to a message: what it is, and the text Neo received. */
export interface AttachedData {
  name: string;
  /** "DataFrame 1,204×40", "dict, 12 keys", "file infra/main.ts, 3.2 KB". */
  description: string;
  /** Shape, what was cut, how many values that looked like secrets were redacted. */
  note: string | null;
  content: string;
}

/** The parts an event shows as, in order. A tool part replaces the row with the same key. */
export type Part =
  | {
      view: "message";
      role: "user" | "assistant";
      /** Markdown for Neo (rendered sanitized); plain text for the user. */
      text: string;
      /** Who wrote it, when the API says (a user's name or login). */
      author: string | null;
      /** Sent by the service on someone's behalf (e.g. an automatic approval). */
      synthetic: boolean;
      /** Notebook data sent with a user's message (`%%neo --with`), shown as folded chips. */
      attachments: AttachedData[];
    }
  | { view: "tool"; tool: ToolRun }
  | { view: "approval"; approval: ApprovalInfo }
  | {
      view: "answer";
      approval_request_id: string | null;
      ok: boolean;
      instructions: string | null;
      synthetic: boolean;
    }
  /** A one-line note: a rename, a stop request, a warning, an error. */
  | { view: "note"; tone: "info" | "warning" | "error"; text: string }
  /** A quiet divider (cancelled, context compressed) with an optional folded detail. */
  | { view: "divider"; text: string; detail: string | null }
  /** The task's entities changed: a quiet line ("Neo opened pull request #240"). */
  | { view: "entities"; text: string; added: EntityChip[]; removed: EntityChip[] }
  | {
      view: "trigger";
      triggers: TriggerInfo[];
      /** What the automation asked Neo to do, as Markdown (untrusted). */
      instructions: string | null;
      /** The user event's own text, when there is one. */
      text: string | null;
    }
  /** An event this version does not know: its JSON (with secrets removed), folded quietly. */
  | { view: "unknown"; json: string };

/** One API event, read by Python (`neo_notebook/_records.py`). */
export interface Item {
  seq: number;
  id: string;
  /** The event body's type (`assistant_message`, ...), for data attributes and tests. */
  type: string;
  timestamp: string | null;
  /** What to show; empty for events that only change state (`awaiting_approvals`). */
  parts: Part[];
}

export interface Banner {
  level: "error" | "warning" | "info";
  title: string;
  message: string;
}

/** An answer this process sent: the card shows it at once, before Neo records it. */
export interface SentAnswer {
  ok: boolean;
  at: string;
}

export interface ContextMeter {
  used: number;
  window: number;
  /** Percent of the window at which Neo compacts its context; null when not said. */
  threshold_percent: number | null;
}

/** Where Neo's tools run on this machine, and which kinds run without asking. */
export interface WorkspaceInfo {
  path: string;
  /** Kinds the workspace allows (fixed for this panel). */
  allow: string[];
  /** Kinds the person allowed for this task since (switchable in the header). */
  granted: string[];
  /** Every kind, in order. */
  kinds: string[];
}

/** What a call waiting for the person would do (`ask_details` in _local_tools/_asks.py). */
export interface AskDetails {
  command?: string;
  cwd?: string;
  timeout?: number;
  file?: string;
  /** A unified diff computed without touching the file. */
  diff?: string;
  /** "new file, N lines". */
  new_file?: string;
  note?: string;
  stack?: string;
  program?: string;
  /** Names only: values are never sent. */
  env_names?: string[];
  path?: string;
  file_path?: string;
  pattern?: string;
}

/** A call Neo wants to run on this machine that the workspace does not allow. */
export interface LocalAsk {
  call_id: string;
  name: string;
  /** `read`, `write`, `shell`, `preview`, `up`, or null for an unknown tool. */
  kind: string | null;
  reason: string;
  details: AskDetails;
  asked_at: string;
}

/** The person's decision on an asked call (the first one counts). */
export interface LocalDecision {
  allow: boolean;
  grant: boolean;
  reason: string;
  /** Nobody decided: the task was stopped. */
  cancelled: boolean;
}

/** A run on this machine as it happens: its live tail (already redacted and plain). */
export interface LiveRun {
  call_id: string;
  name: string;
  started_at: string;
  /** `running`, `done`, `failed`, `timed out`, `stopped`, `declined`, `refused`, `interrupted`, `not run`. */
  state: string;
  exit_code: number | null;
  tail: Array<[string, string]>;
}

/** The traits of `NeoChat`, by their Python names. */
export interface Model {
  task_id: string | null;
  task_name: string;
  status: Status;
  entities: EntityChip[];
  approvals: Record<string, ApprovalState>;
  answers: Record<string, SentAnswer>;
  /** Answers the kernel keeps until the service takes them (a 409 while Neo's turn ends), by
   * request id: why the card still waits. */
  kept: Record<string, string>;
  banner: Banner | null;
  busy_reason: string;
  event_count: number;
  /** `manual` (shown as Review), `balanced`, `auto`, or null when unknown. */
  approval_mode: string | null;
  plan_mode: boolean | null;
  /** `default` or `read-only`, or null when unknown. */
  permission_mode: string | null;
  context: ContextMeter | null;
  tokens_used: number | null;
  /** The task in the Pulumi console (http(s)), or null (the emulator has none). */
  console_url: string | null;
  workspace: WorkspaceInfo | null;
  local_asks: Record<string, LocalAsk>;
  local_decisions: Record<string, LocalDecision>;
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

/** Runs on this machine that changed (a few times a second at most), or all of them. */
export interface LiveMessage {
  type: "live";
  runs: LiveRun[];
}

export type KernelMessage = EventsMessage | AckMessage | LiveMessage;

/** What a click asks the kernel to do; `request_id` is added when it is sent. */
export type Action =
  | { type: "send"; content: string }
  | { type: "approve"; approval_request_id: string }
  | { type: "decline"; approval_request_id: string; message: string }
  | { type: "cancel" }
  | { type: "allow"; call_id: string; grant: boolean }
  | { type: "reject"; call_id: string; reason: string }
  | { type: "grant"; kind: string; allowed: boolean }
  | {
      type: "settings";
      approval_mode?: string;
      plan_mode?: boolean;
      permission_mode?: string;
    };

export type ViewMessage = { type: "sync"; after: number } | (Action & { request_id: string });
