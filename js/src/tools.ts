/**
 * A tool run's row: one `<details>` per run key, filled from the `ToolRun` Python folded
 * (call, progress, client run, result). A later part for the same key refills the same row,
 * so a reader who opened it keeps it open while the run goes on.
 */

import { formatDuration, h, localTime } from "./dom";
import { localResult } from "./local";
import type { ToolRun, ToolState } from "./model";

const STATE_LABELS: Record<ToolState, string> = {
  requested: "requested",
  running: "running",
  done: "done",
  error: "failed",
};

/** A new, empty row; `fillToolRow` gives it its content. */
export function toolRow(): HTMLDetailsElement {
  const row = h("details", "neo-tool");
  row.dataset.testid = "neo-tool";
  return row;
}

/** Show `tool` in `row`, replacing what it showed; its open/closed state is kept. */
export function fillToolRow(row: HTMLDetailsElement, tool: ToolRun): void {
  const failed = tool.state === "error" || tool.is_error;
  row.dataset.state = failed ? "error" : tool.state;
  row.dataset.key = tool.key;
  if (tool.call_id) row.dataset.toolCallId = tool.call_id;
  else delete row.dataset.toolCallId;
  row.title = localTime(tool.started_at ?? tool.requested_at ?? tool.finished_at);

  const summary = h("summary", "neo-tool-summary");
  const icon = h("span", `neo-tool-icon${tool.state === "running" ? " neo-spinner" : ""}`);
  icon.setAttribute("aria-hidden", "true");
  summary.append(icon, h("span", "neo-tool-name", tool.name || "tool"));
  const place = placeLabel(tool);
  if (place) summary.append(h("span", "neo-tool-place", place));
  if (tool.state === "running" && tool.progress) {
    summary.append(h("span", "neo-tool-progress", tool.progress));
  }
  if (tool.duration_ms !== null && tool.duration_ms >= 0) {
    summary.append(h("span", "neo-tool-duration", formatDuration(tool.duration_ms)));
  }
  const state = failed ? "error" : tool.state;
  summary.append(h("span", `neo-tool-state neo-tool-state-${state}`, STATE_LABELS[state]));

  const body = h("div", "neo-tool-body");
  if (tool.arguments) {
    body.append(
      h("div", "neo-tool-label", "Arguments"),
      h("pre", "neo-pre neo-tool-args", tool.arguments),
    );
  }
  const readable = localResult(tool);
  if (readable) {
    body.append(h("div", "neo-tool-label", "Result"), readable);
  } else if (tool.result !== null) {
    body.append(
      h("div", "neo-tool-label", failed ? "Error" : "Result"),
      h("pre", `neo-pre neo-tool-result${failed ? " neo-tool-result-error" : ""}`, tool.result),
    );
  }
  if (!tool.arguments && tool.result === null)
    body.append(h("div", "neo-muted", "No details yet."));
  row.replaceChildren(summary, body);
}

/**
 * Where the run happens, when not in Neo's cloud: a reviewer should know that a command ran
 * on their own machine (the CLI or a worker reported it) rather than in Pulumi Cloud.
 */
export function placeLabel(tool: ToolRun): string | null {
  if (tool.runner === "client") {
    if (tool.state === "done" || tool.state === "error") return "ran on your machine";
    return tool.state === "running" ? "running on your machine" : "to run on your machine";
  }
  if (tool.execution_mode && tool.execution_mode !== "cloud") return `via ${tool.execution_mode}`;
  return null;
}
