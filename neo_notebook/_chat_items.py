"""What the chat panel is sent: each event as the parts a person sees.

The front-end (``js/src/model.ts``, ``Item`` and ``Part``) renders what it is sent and
never works out what an event means: that is read here, from :class:`Event` records and the
:class:`EventLog` they fold into. A tool run is sent whole each time one of its events
arrives, and the view replaces its row; an event that only changes state
(``awaiting_approvals``) or carries a secret (``provide_pulumi_access_token``) has no parts.

Everything here is data for ``textContent`` or for the sanitizing Markdown renderer; links are
kept only when they are http(s).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ._attachments import split_attachments
from ._entities import Entity, PolicyIssue, PullRequest, Repository, Stack
from ._eventlog import EventLog, ToolRun
from ._events import ApprovalRequest, Event, FileDiff, TriggerEvent

__all__ = ["approval_info", "entity_chip", "event_item", "tool_info"]

#: The longest tool result sent to the panel; the rest is in the frames and the transcript.
RESULT_LIMIT = 20_000
_APPROVAL_TITLES = {"plan_exit": "Approve this plan", "general": "Neo asks for approval"}
_COMPRESSION_TEXT = {
    "compressing": "Compressing the conversation's context…",
    "compressed": "Context compressed",
    "failed": "Context compression failed",
    "skipped": "Context compression skipped",
}


def _link(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("https://", "http://")) else None


def entity_chip(entity: Entity) -> dict[str, Any]:
    """What the panel shows for an entity: a label and, where there is one, a link."""
    url: str | None = None
    if isinstance(entity, (PullRequest, Repository)):
        url = entity.url
    if isinstance(entity, PullRequest):
        label = f"PR #{entity.number}" + (
            f" {entity.repository.org}/{entity.repository.name}" if entity.repository else ""
        )
    elif isinstance(entity, (Stack, Repository)):
        label = str(entity)
    else:
        label = str(getattr(entity, "id", "") or entity)
    return {"type": entity.type, "label": label, "url": _link(url)}


def _describe(entity: Entity) -> str:
    if isinstance(entity, PullRequest):
        return f"pull request #{entity.number}"
    if isinstance(entity, Stack):
        return f"stack {entity}"
    if isinstance(entity, Repository):
        return f"repository {entity.org}/{entity.name}"
    if isinstance(entity, PolicyIssue):
        return f"policy issue {entity.id}"
    return entity.type or "an entity"


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


def _diffs(diffs: Sequence[FileDiff]) -> list[dict[str, Any]]:
    return [
        {"file": d.file, "patch": d.patch, "added": d.added, "removed": d.removed} for d in diffs
    ]


def approval_info(request: ApprovalRequest, log: EventLog) -> dict[str, Any]:
    """An approval request as the card shows it (``ApprovalInfo`` in model.ts); ``log``
    gives the tool run it asks about."""
    # The request names the call it gates; the call's own arguments are what it would do.
    tool_name, tool_arguments = request.tool_name, None
    run = log.tool_run(request.tool_call_id)
    if run is not None and not run.is_approval:  # the seed's request is a call of its own
        tool_name = tool_name or run.name
        tool_arguments = run.arguments
    if request.approval_type == "tool_permission":
        title = f"Allow {tool_name}" if tool_name else "Allow a tool"
    else:
        title = _APPROVAL_TITLES.get(request.approval_type or "general", "Neo asks for approval")
    return {
        "id": request.id,
        "malformed": request.malformed,
        "message": request.description,
        "approval_type": request.approval_type,
        "title": title,
        "sensitive": request.sensitive,
        "source": request.source,
        "buttons": list(request.buttons),
        "tool_name": tool_name,
        "tool_arguments": _pretty(tool_arguments) if tool_arguments is not None else None,
        "plan": request.plan,
        "diff": _diffs(request.diff),
        "last_approval_diff": _diffs(request.last_approval_diff),
    }


def tool_info(run: ToolRun) -> dict[str, Any]:
    """A tool run as its row shows it (``ToolRun`` in model.ts)."""
    if run.arguments is not None:
        arguments: str | None = _pretty(run.arguments) if run.arguments else None
    else:
        arguments = run.raw_arguments
    result = run.result
    if result is not None and len(result) > RESULT_LIMIT:
        cut = len(result) - RESULT_LIMIT
        result = result[:RESULT_LIMIT] + f"\n… ({cut:,} more characters in client.events_frame)"
    duration = run.duration
    return {
        "key": run.key,
        "call_id": run.call_id,
        "name": run.name,
        "arguments": arguments,
        "execution_mode": run.execution_mode,
        "runner": run.runner,
        "state": run.state,
        "progress": run.progress,
        "result": result,
        "is_error": bool(run.is_error),
        "requested_at": run.requested_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": None if duration is None else round(duration.total_seconds() * 1000),
    }


def _trigger(trigger: TriggerEvent) -> dict[str, Any]:
    return {
        "provider": trigger.provider,
        "title": trigger.title,
        "event_type": trigger.event_type,
        "reference": trigger.reference,
        "url": _link(trigger.source_url),
        "badge_label": trigger.badge_label,
        "badge_tone": trigger.badge_tone,
        "details": [{"label": d.label, "value": d.value, "kind": d.kind} for d in trigger.details],
        "omitted": trigger.omitted,
        "received_at": trigger.received_at.isoformat() if trigger.received_at else None,
    }


def _note(tone: str, text: str) -> dict[str, Any]:
    return {"view": "note", "tone": tone, "text": text}


def _parts(event: Event, runs: Sequence[ToolRun], log: EventLog) -> list[dict[str, Any]]:
    kind = event.type
    parts: list[dict[str, Any]] = []
    if event.kind == "triggerUserInput":
        parts.append(
            {
                "view": "trigger",
                "triggers": [_trigger(t) for t in event.triggers],
                "instructions": event.trigger_instructions,
                "text": event.content or None,
            }
        )
    elif kind == "user_message":
        question, attached = split_attachments(event.content or "")
        parts.append(
            {
                "view": "message",
                "role": "user",
                "text": question,
                "author": event.actor,
                "synthetic": event.synthetic,
                "attachments": [
                    {
                        "name": a.name,
                        "description": a.description,
                        "note": a.note,
                        "content": a.content,
                    }
                    for a in attached
                ],
            }
        )
    elif kind == "assistant_message":
        if event.content:
            parts.append(
                {
                    "view": "message",
                    "role": "assistant",
                    "text": event.content,
                    "author": None,
                    "synthetic": False,
                    "attachments": [],
                }
            )
    elif kind == "user_confirmation":
        confirmation = event.confirmation
        if confirmation is not None:
            parts.append(
                {
                    "view": "answer",
                    "approval_request_id": confirmation.approval_request_id,
                    "ok": confirmation.ok,
                    "instructions": confirmation.instructions,
                    "synthetic": event.synthetic,
                }
            )
    elif kind == "user_cancel":
        parts.append(_note("info", "Stop requested"))
    elif kind == "cancelled":
        was_running = event.body.get("operation_was_running") is True
        parts.append(
            {
                "view": "divider",
                "text": "Cancelled while Neo was working" if was_running else "Cancelled",
                "detail": None,
            }
        )
    elif kind in ("error", "warning"):
        default = "Neo reported an error." if kind == "error" else "Warning"
        parts.append(_note(kind, event.content or default))
    elif kind == "set_task_name":
        parts.append(_note("info", f"Task named “{event.name}”" if event.name else "Task renamed"))
    elif kind == "change_entities":
        added, removed = event.entity_changes
        words = [
            f"opened {_describe(e)}" if isinstance(e, PullRequest) else f"added {_describe(e)}"
            for e in added
        ]
        words += [f"removed {_describe(e)}" for e in removed]
        parts.append(
            {
                "view": "entities",
                "text": ("Neo " + ", ".join(words)) if words else "The task's entities changed",
                "added": [entity_chip(e) for e in added],
                "removed": [entity_chip(e) for e in removed],
            }
        )
    elif kind == "context_compression_event":
        status, summary = event.compression or ("compressing", None)
        parts.append(
            {
                "view": "divider",
                "text": _COMPRESSION_TEXT.get(status, f"Context: {status}"),
                "detail": summary,
            }
        )
    elif kind in _SILENT or kind in _TOOL_KINDS:
        pass
    else:
        parts.append({"view": "unknown", "json": _pretty(dict(event.body) or dict(event.raw))})
    parts += [{"view": "tool", "tool": tool_info(run)} for run in runs if not run.is_approval]
    parts += [
        {"view": "approval", "approval": approval_info(request, log)}
        for request in event.approval_requests
    ]
    return parts


#: Kinds that change state but show nothing of their own.
_SILENT = frozenset({"awaiting_approvals", "provide_pulumi_access_token", "user_approval_request"})
#: Kinds shown only through the tool runs they change.
_TOOL_KINDS = frozenset(
    {"exec_tool_call", "exec_tool_call_progress", "tool_response", "tool_result"}
)


def event_item(seq: int, event: Event, runs: Sequence[ToolRun], log: EventLog) -> dict[str, Any]:
    """One event as the panel renders it (``Item`` in model.ts); ``runs`` are the tool runs
    the event created or changed, as :meth:`EventLog.add` returned them."""
    return {
        "seq": seq,
        "id": event.id,
        "type": event.type or event.kind,
        "timestamp": event.timestamp_text,
        "parts": _parts(event, runs, log),
    }
