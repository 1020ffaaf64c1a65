"""Typed views of what the Neo API returns: tasks, events, tool calls, approval requests.

The API is a preview, so reading is forgiving: every model keeps the JSON it came from in
``raw``, unknown fields and event types pass through untouched, and no field the API might
drop or reshape later raises. Both wire shapes are read: the seed's OpenAI-style tool calls
(``function.arguments`` as a JSON string) and the current spec's ``{id, name, args}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal

from ._entities import Entity, entity_from_json

__all__ = ["ApprovalRequest", "ApprovalState", "Event", "Task", "ToolCall", "parse_timestamp"]

ApprovalState = Literal["pending", "approved", "declined", "superseded"]

_FRACTION = re.compile(r"(\.\d{6})\d+")
#: Go's zero time, which the API sends for "never" (e.g. ``sharedAt`` of a task never shared).
_ZERO_TIME_YEAR = 1


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 string as an aware UTC datetime; None for missing, unreadable or zero time.

    Go sends nanoseconds and ``Z``; Python 3.10's ``fromisoformat`` takes neither, so both are
    normalised first.

    >>> parse_timestamp("2025-01-15T10:32:00.123456789Z")
    datetime.datetime(2025, 1, 15, 10, 32, 0, 123456, tzinfo=datetime.timezone.utc)
    """
    if not isinstance(value, str) or not value:
        return None
    text = _FRACTION.sub(r"\1", value.strip())
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    if parsed.year <= _ZERO_TIME_YEAR:
        return None
    return parsed.astimezone(timezone.utc)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Task:
    """A Neo task (a conversation). ``status`` is ``running`` or ``idle``.

    Completion and pending approvals are not in ``status``: read them from the events
    (:meth:`NeoClient.pending_approval`).
    """

    id: str
    name: str = ""
    status: str = ""
    created_at: datetime | None = None
    entities: tuple[Entity, ...] = ()
    is_shared: bool = False
    shared_at: datetime | None = None
    created_by: Mapping[str, Any] = field(default_factory=dict)
    approval_mode: str | None = None
    plan_mode: bool | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Task:
        entities = data.get("entities")
        created_by = data.get("createdBy")
        plan_mode = data.get("planMode")
        return cls(
            id=str(data.get("id") or data.get("taskId") or ""),
            name=str(data.get("name") or ""),
            status=str(data.get("status") or ""),
            created_at=parse_timestamp(data.get("createdAt")),
            entities=tuple(entity_from_json(e) for e in entities or () if isinstance(e, Mapping))
            if isinstance(entities, list)
            else (),
            is_shared=bool(data.get("isShared", False)),
            shared_at=parse_timestamp(data.get("sharedAt")),
            created_by=dict(created_by) if isinstance(created_by, Mapping) else {},
            approval_mode=_str_or_none(data.get("approvalMode")),
            plan_mode=plan_mode if isinstance(plan_mode, bool) else None,
            raw=data,
        )


@dataclass(frozen=True)
class ToolCall:
    """One tool call Neo made, in either wire shape.

    ``arguments`` is the parsed object, or None when the arguments are not a JSON object
    (``malformed``); ``raw_arguments`` keeps the text as it came.
    """

    id: str
    name: str
    arguments: Mapping[str, Any] | None
    raw_arguments: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def malformed(self) -> bool:
        return self.arguments is None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToolCall:
        function = data.get("function")
        if isinstance(function, Mapping):  # seed shape: OpenAI-style
            name, args = function.get("name"), function.get("arguments")
        else:  # current spec: {id, name, args}
            name, args = data.get("name"), data.get("args", data.get("arguments"))
        arguments: Mapping[str, Any] | None = None
        raw_arguments: str | None
        if isinstance(args, str):
            raw_arguments = args
            try:
                decoded = json.loads(args) if args.strip() else {}
            except ValueError:
                decoded = None
            arguments = decoded if isinstance(decoded, dict) else None
        elif isinstance(args, Mapping):
            arguments = args
            raw_arguments = json.dumps(args, default=str)
        elif args is None:
            arguments, raw_arguments = {}, None
        else:
            raw_arguments = json.dumps(args, default=str)
        return cls(
            id=str(data.get("id") or ""),
            name=str(name or ""),
            arguments=arguments,
            raw_arguments=raw_arguments,
            raw=data,
        )


APPROVAL_TOOL = "approval_request"


@dataclass(frozen=True)
class ApprovalRequest:
    """Neo asking for permission before it acts.

    It arrives either as a tool call named ``approval_request`` (the seed's shape) or as a
    ``user_approval_request`` event (the current spec). ``state`` is derived from the events
    that follow it: ``pending`` until a ``user_confirmation`` names it (``approved`` or
    ``declined``), or a later user message or cancel supersedes it (``superseded``).

    A request whose arguments cannot be read is kept with ``malformed=True`` and ``id=None``:
    it is shown, but can never be approved by accident.
    """

    id: str | None
    description: str
    event_id: str
    timestamp: datetime | None = None
    malformed: bool = False
    state: ApprovalState = "pending"
    answered_at: datetime | None = None
    approval_type: str | None = None
    tool_call_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def pending(self) -> bool:
        return self.state == "pending"


@dataclass(frozen=True)
class Event:
    """One entry of a task's event log.

    ``kind`` is the outer type (``userInput`` or ``agentResponse``), ``type`` the body's
    (``user_message``, ``assistant_message``, ``exec_tool_call``, ...). Types this version does
    not know keep their whole body in ``body``.
    """

    id: str
    kind: str
    type: str
    content: str | None = None
    timestamp: datetime | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    body: Mapping[str, Any] = field(default_factory=dict, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Event:
        body = data.get("eventBody")
        if not isinstance(body, Mapping):
            body = {}
        calls = body.get("tool_calls")
        content = body.get("content")
        if content is None and body.get("type") in ("error", "warning", "user_approval_request"):
            content = body.get("message")
        return cls(
            id=str(data.get("id") or ""),
            kind=str(data.get("type") or ""),
            type=str(body.get("type") or ""),
            content=content if isinstance(content, str) else None,
            timestamp=parse_timestamp(body.get("timestamp") or data.get("timestamp")),
            tool_calls=tuple(ToolCall.from_json(c) for c in calls if isinstance(c, Mapping))
            if isinstance(calls, list)
            else (),
            body=body,
            raw=data,
        )

    @property
    def tool_call_id(self) -> str | None:
        """For ``exec_tool_call`` and ``tool_response``: the call they belong to."""
        return _str_or_none(self.body.get("tool_call_id"))

    @property
    def name(self) -> str | None:
        """The tool name of ``exec_tool_call``/``tool_response``, or the new task name."""
        return _str_or_none(self.body.get("name"))

    @property
    def result(self) -> str | None:
        """For ``tool_response``: the tool's output as text (JSON when it is not text)."""
        if self.type != "tool_response":
            return None
        content = self.body.get("content")
        return content if isinstance(content, str) else json.dumps(content, indent=2, default=str)

    @property
    def is_final(self) -> bool:
        """True on the assistant message that ends Neo's turn (current spec only)."""
        return self.body.get("is_final") is True

    @property
    def approval_requests(self) -> tuple[ApprovalRequest, ...]:
        """The approval requests this event makes, in either wire shape (usually zero or one)."""
        if self.kind != "agentResponse":
            return ()
        if self.type == "user_approval_request":
            approval_id = _str_or_none(self.body.get("id")) or None
            return (
                ApprovalRequest(
                    id=approval_id,
                    description=str(self.body.get("message") or ""),
                    event_id=self.id,
                    timestamp=self.timestamp,
                    malformed=not approval_id,
                    approval_type=_str_or_none(self.body.get("approval_type")),
                    raw=self.body,
                ),
            )
        requests: list[ApprovalRequest] = []
        for call in self.tool_calls:
            if call.name != APPROVAL_TOOL:
                continue
            args = call.arguments or {}
            approval_id = _str_or_none(args.get("approval_request_id")) or None
            requests.append(
                ApprovalRequest(
                    id=approval_id,
                    description=str(args.get("description") or call.raw_arguments or ""),
                    event_id=self.id,
                    timestamp=self.timestamp,
                    malformed=approval_id is None,
                    tool_call_id=call.id or None,
                    raw=call.raw,
                )
            )
        return tuple(requests)


def approval_requests(events: Sequence[Event]) -> list[ApprovalRequest]:
    """Every approval request in the events, oldest first, each with its derived state.

    A request is ``pending`` until a later ``user_confirmation`` names it (``ok`` false makes it
    ``declined``; the seed's confirmation has no ``ok`` and means yes), or a later user message,
    user cancel or agent ``cancelled`` event supersedes it. Unlike the seed's reference, an
    answered request is never reported as pending, and malformed arguments never raise.
    """
    found: list[ApprovalRequest] = []
    by_id: dict[str, int] = {}
    for event in events:
        if event.kind == "agentResponse":
            if event.type == "cancelled":
                _supersede(found)
            for request in event.approval_requests:
                if request.id is not None:
                    by_id[request.id] = len(found)
                found.append(request)
        elif event.kind == "userInput":
            if event.type == "user_confirmation":
                approval_id = event.body.get("approval_request_id")
                index = by_id.get(approval_id) if isinstance(approval_id, str) else None
                if index is not None and found[index].state == "pending":
                    state: ApprovalState = (
                        "declined" if event.body.get("ok") is False else "approved"
                    )
                    found[index] = replace(found[index], state=state, answered_at=event.timestamp)
            elif event.type in ("user_message", "user_cancel"):
                _supersede(found, at=event.timestamp)
    return found


def _supersede(found: list[ApprovalRequest], at: datetime | None = None) -> None:
    for i, request in enumerate(found):
        if request.state == "pending":
            found[i] = replace(request, state="superseded", answered_at=at)
