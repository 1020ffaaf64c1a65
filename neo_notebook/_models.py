"""Typed views of what the Neo API returns besides events: tasks, tool calls, timestamps.

The API is a preview, so reading is forgiving: every model keeps the JSON it came from in
``raw``, unknown fields pass through untouched, and no field the API might drop or reshape
later raises. Both wire shapes are read: the seed's OpenAI-style tool calls
(``function.arguments`` as a JSON string) and today's ``{id, name, args}``. Events are read
in ``_events``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ._entities import Entity, entity_from_json

__all__ = ["Task", "ToolCall", "parse_timestamp", "utc_now"]

_FRACTION = re.compile(r"(\.\d{6})\d+")
#: Go's zero time, which the API sends for "never" (e.g. ``sharedAt`` of a task never shared).
_ZERO_TIME_YEAR = 1

#: Arguments given as an object are kept as JSON text too; one encoder serves every call
#: (``json.dumps`` with ``default`` builds a new one each time).
_ARGUMENTS_JSON = json.JSONEncoder(default=str)


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


def utc_now() -> str:
    """The current time as RFC 3339 UTC with microseconds (the API's timestamp format)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    return None


def _bool_or_none(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


@dataclass(frozen=True)
class Task:
    """A Neo task (a conversation). ``status`` is ``running`` or ``idle``.

    Completion and pending approvals are not in ``status``: read them from the events
    (:meth:`NeoClient.pending_approval`). Every field the API may leave out is None when it
    does (booleans and counts included: None is "not said", not False or 0).

    Attributes beyond the obvious:
        approval_mode: ``manual`` (the console's "Review"), ``balanced`` or ``auto``.
        permission_mode: ``default`` or ``read-only``.
        runtime_phase: ``booting``, ``ready`` or ``running``.
        task_type: ``sync`` (a person is talking) or ``async`` (started by an automation).
        trigger_type: for async tasks, ``scheduled`` or ``external_signal``.
        source: where it was started: ``api``, ``console``, ``cli``, ``slack``, ``schedule``,
            ``github``, ``code-review``.
        tool_execution_mode: where Neo's tools run: ``cloud``, or ``cli``/``worker`` (the
            client runs them and reports results).
        pending_inputs: user inputs queued while Neo works.
        agent_definition_id: the custom agent running the task (preview).
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
    permission_mode: str | None = None
    role: str | None = None
    role_name: str | None = None
    runtime_phase: str | None = None
    last_heartbeat: datetime | None = None
    tokens_used: int | None = None
    context_used_tokens: int | None = None
    context_window_tokens: int | None = None
    context_compaction_threshold_percent: int | None = None
    task_type: str | None = None
    trigger_type: str | None = None
    source: str | None = None
    source_automation_id: str | None = None
    tool_execution_mode: str | None = None
    pending_inputs: int | None = None
    agent_definition_id: str | None = None
    vcs_provider: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Task:
        entities = data.get("entities")
        created_by = data.get("createdBy")
        return cls(
            id=str(data.get("id") or data.get("taskId") or ""),
            name=str(data.get("name") or ""),
            status=str(data.get("status") or ""),
            created_at=parse_timestamp(data.get("createdAt")),
            entities=tuple(entity_from_json(e) for e in entities or () if isinstance(e, Mapping))
            if isinstance(entities, list)
            else (),
            is_shared=data.get("isShared") is True,
            shared_at=parse_timestamp(data.get("sharedAt")),
            created_by=dict(created_by) if isinstance(created_by, Mapping) else {},
            approval_mode=_str_or_none(data.get("approvalMode")),
            plan_mode=_bool_or_none(data.get("planMode")),
            permission_mode=_str_or_none(data.get("permissionMode")),
            role=_str_or_none(data.get("role")),
            role_name=_str_or_none(data.get("roleName")),
            runtime_phase=_str_or_none(data.get("runtimePhase")),
            last_heartbeat=parse_timestamp(data.get("lastHeartbeat")),
            tokens_used=_int_or_none(data.get("tokensUsed")),
            context_used_tokens=_int_or_none(data.get("contextUsedTokens")),
            context_window_tokens=_int_or_none(data.get("contextWindowTokens")),
            context_compaction_threshold_percent=_int_or_none(
                data.get("contextCompactionThresholdPercent")
            ),
            task_type=_str_or_none(data.get("taskType")),
            trigger_type=_str_or_none(data.get("asyncTriggerType")),
            source=_str_or_none(data.get("source")),
            source_automation_id=_str_or_none(data.get("sourceAutomationID")),
            tool_execution_mode=_str_or_none(data.get("toolExecutionMode")),
            pending_inputs=_int_or_none(data.get("pendingInputCount")),
            agent_definition_id=_str_or_none(data.get("agentDefinitionId")),
            vcs_provider=_str_or_none(data.get("vcsProvider")),
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
        # A JSON object is a dict: checked first, as the ABC's check is several times
        # slower, and this runs for every tool call of a long history.
        if function is not None and (type(function) is dict or isinstance(function, Mapping)):
            name, args = function.get("name"), function.get("arguments")  # the seed's shape
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
        elif type(args) is dict or isinstance(args, Mapping):
            arguments = args
            raw_arguments = _ARGUMENTS_JSON.encode(args)
        elif args is None:
            arguments, raw_arguments = {}, None
        else:
            raw_arguments = _ARGUMENTS_JSON.encode(args)
        return cls(
            id=str(data.get("id") or ""),
            name=str(name or ""),
            arguments=arguments,
            raw_arguments=raw_arguments,
            raw=data,
        )
