"""Neo's events, read once: raw console events in, typed records out.

Every event the API returns, in the seed's shape and today's (``shared/neo-api-current.md``),
becomes an :class:`Event` in one place, :meth:`Event.from_json`. Everything else reads those
records and never the raw JSON: the frames, the transcript, the chat panel's items, approval
state and tool runs. So an event means the same thing everywhere, and a kind the API adds is
taught here once.

What the events say together (approval state, tool runs) is folded in ``_eventlog``.

Reading is forgiving: any field may be null or missing, and unknown kinds and fields are
kept (``body``, ``raw``). One thing is never kept: ``provide_pulumi_access_token`` carries an
encrypted credential, and its value is replaced in ``body`` and ``raw`` as the event is read,
so no frame, transcript, repr, log or view can show it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any, Literal, NamedTuple

from ._entities import Entity, entity_from_json
from ._models import ToolCall, parse_timestamp

__all__ = [
    "APPROVAL_TOOL",
    "Answer",
    "ApprovalRequest",
    "ApprovalState",
    "Confirmation",
    "Event",
    "FileDiff",
    "TokenUsage",
    "ToolResult",
    "TriggerDetail",
    "TriggerEvent",
]

ApprovalState = Literal["pending", "approved", "declined", "superseded"]

#: The seed's approval shape: a tool call of this name on an assistant message.
APPROVAL_TOOL = "approval_request"
#: What a secret's value reads as once redacted.
REDACTED = "[redacted]"
#: Event kinds whose fields hold a credential, and those fields.
_SECRET_FIELDS: Mapping[str, tuple[str, ...]] = {
    "provide_pulumi_access_token": ("encrypted_pulumi_access_token",),
}
#: Event kinds whose text is under ``message`` rather than ``content``.
_MESSAGE_KINDS = frozenset(
    {"error", "warning", "user_approval_request", "context_compression_event"}
)
_EMPTY: Mapping[str, Any] = {}
_INT64 = 2**63
#: Kinds that ask for or answer an approval without a tool call.
_APPROVAL_KINDS = frozenset({"user_approval_request", "user_confirmation"})


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> int:
    """A token count: a non-negative int, else 0 (null, junk and booleans count as nothing)."""
    if type(value) is int and 0 <= value < _INT64:  # JSON numbers are exactly int or float
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _INT64:
        return int(value)
    return 0


def as_text(content: Any) -> str | None:
    """A tool's output as text: text as it came, ``{"output": ...}`` unwrapped, other JSON
    as indented JSON text; None when there is none."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, Mapping) and isinstance(content.get("output"), str):
        return str(content["output"])
    return json.dumps(content, indent=2, default=str, ensure_ascii=False)


def reports_error(result: Mapping[str, Any]) -> bool:
    """Whether a tool's result (a ``tool_response``, or an item of a ``tool_result``) failed.

    ``is_error`` decides when it is given; without it, a non-zero ``exit_code`` or an
    ``error`` text in the content means failure.
    """
    flag = result.get("is_error")
    if isinstance(flag, bool):
        return flag
    content = result.get("content")
    if isinstance(content, Mapping):
        code = content.get("exit_code")
        if isinstance(code, int) and not isinstance(code, bool):
            return code != 0
        return isinstance(content.get("error"), str) and bool(content["error"])
    return False


class TokenUsage(NamedTuple):
    """Tokens one assistant message used, summed over the models that served it.

    (A named tuple rather than a frozen dataclass: today's API puts usage on every message
    of a long history, and a named tuple is several times cheaper to make.)
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    models: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Input and output tokens (cache reads and writes are part of the input)."""
        return self.input_tokens + self.output_tokens

    @classmethod
    def from_json(cls, value: Any) -> TokenUsage | None:
        """``{model: {input_tokens, ...}}`` summed; None when there is no usage map."""
        if not value or (type(value) is not dict and not isinstance(value, Mapping)):
            return None
        read = written = inputs = outputs = 0
        for usage in value.values():
            if type(usage) is dict or isinstance(usage, Mapping):
                inputs += _count(usage.get("input_tokens"))
                outputs += _count(usage.get("output_tokens"))
                written += _count(usage.get("cache_creation_input_tokens"))
                read += _count(usage.get("cache_read_input_tokens"))
        return cls(
            input_tokens=inputs,
            output_tokens=outputs,
            cache_creation_tokens=written,
            cache_read_tokens=read,
            models=tuple(map(str, value)),
        )


@dataclass(frozen=True)
class FileDiff:
    """One file of a git diff, with how many lines it adds and removes.

    The counts are made when first asked for: a history holds many approvals whose diffs
    run to hundreds of lines, and most are never shown.
    """

    file: str
    patch: str

    @cached_property
    def added(self) -> int:
        return _changed_lines(self.patch, "+")

    @cached_property
    def removed(self) -> int:
        return _changed_lines(self.patch, "-")

    @classmethod
    def all_from_json(cls, value: Any) -> tuple[FileDiff, ...]:
        """``{file: unified diff}`` as FileDiffs, in the order given."""
        if not isinstance(value, Mapping):
            return ()
        return tuple(
            cls(str(name), patch if isinstance(patch, str) else "") for name, patch in value.items()
        )


@dataclass(frozen=True)
class ApprovalRequest:
    """Neo asking for permission before it acts.

    It arrives either as a tool call named ``approval_request`` (the seed's shape) or as a
    ``user_approval_request`` event (today's). ``state`` is derived from the events that
    follow it: ``pending`` until a ``user_confirmation`` names it (``approved`` or
    ``declined``), or a later user message or cancel supersedes it (``superseded``).

    A request whose id or message cannot be read is kept with ``malformed=True`` and
    ``id=None``: it is shown, but can never be approved by accident.
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
    #: ``sensitive`` requests wait for a person even in balanced mode.
    sensitive: bool = False
    #: ``agent``, ``system`` or ``hybrid``.
    source: str | None = None
    #: Labels Neo suggests for the answers (approve first).
    buttons: tuple[str, ...] = ()
    tool_name: str | None = None
    plan: str | None = None
    diff: tuple[FileDiff, ...] = ()
    last_approval_diff: tuple[FileDiff, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def pending(self) -> bool:
        return self.state == "pending"


@dataclass(frozen=True)
class Answer:
    """An answer this process sent to an approval request, and when (before the server
    shows it: the live API records the confirmation a moment after it accepts it)."""

    approval_request_id: str
    ok: bool
    at: datetime


@dataclass(frozen=True)
class Confirmation:
    """A ``user_confirmation``: the answer to an approval request."""

    approval_request_id: str | None
    #: True approves; the seed's confirmation has no ``ok`` and means yes.
    ok: bool
    instructions: str | None


@dataclass(frozen=True)
class ToolResult:
    """One item of a client's ``tool_result``."""

    tool_call_id: str | None
    name: str | None
    content: str | None
    is_error: bool


@dataclass(frozen=True)
class TriggerDetail:
    label: str
    value: str
    kind: str | None = None


@dataclass(frozen=True)
class TriggerEvent:
    """What started a turn that no person typed: a failed deployment, a schedule, ..."""

    id: str | None
    provider: str | None
    title: str | None
    event_type: str | None
    reference: str | None
    source_url: str | None
    badge_label: str | None
    badge_tone: str | None
    details: tuple[TriggerDetail, ...]
    omitted: int
    received_at: datetime | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TriggerEvent:
        details = data.get("details")
        return cls(
            id=_str(data.get("id")),
            provider=_str(data.get("provider")),
            title=_str(data.get("title")),
            event_type=_str(data.get("eventType")),
            reference=_str(data.get("reference")),
            source_url=_str(data.get("sourceUrl")),
            badge_label=_str(data.get("badgeLabel")),
            badge_tone=_str(data.get("badgeTone")),
            details=tuple(
                TriggerDetail(
                    str(d.get("label") or ""), _detail_value(d.get("value")), _str(d.get("kind"))
                )
                for d in details
                if isinstance(d, Mapping)
            )
            if isinstance(details, list)
            else (),
            omitted=_count(data.get("omittedItemCount")),
            received_at=parse_timestamp(data.get("receivedAt")),
        )


def _changed_lines(patch: str, sign: str) -> int:
    """How many lines of a unified diff start with ``sign`` (``+`` or ``-``), not counting
    the ``+++``/``---`` file headers. Counted with ``str.count``: an approval's diff runs
    to hundreds of lines, and a long history holds many."""
    header = sign * 3
    starts = patch.startswith(sign) and not patch.startswith(header)
    return int(starts) + patch.count("\n" + sign) - patch.count("\n" + header)


def _detail_value(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, default=str)


@dataclass(slots=True, repr=False)
class Event:
    """One entry of a task's event log, read. Treat it as read-only.

    (Not a frozen dataclass only because a frozen one is three times slower to make, and a
    long history makes one per event.)

    ``kind`` is the outer type (``userInput``, ``agentResponse``, ``triggerUserInput``),
    ``type`` the body's (``user_message``, ``assistant_message``, ``exec_tool_call``, ...).
    ``content`` is the event's text: a message's ``content``, the ``message`` of an error,
    warning, approval request or context compression, or a tool's output as text.
    ``task_id`` is the task it belongs to, however it was read. Kinds this version does not
    know keep their whole body in ``body``; the fields below read the ones it does.

    The common fields come from the event's :class:`Reading` (:func:`read_event`), the one
    place they are read; the rest are read from ``body`` when asked for.
    """

    reading: Reading
    task_id: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], task_id: str | None = None) -> Event:
        """Read one console event; never raises on a field that is missing, null or odd."""
        return cls(read_event(data), task_id)

    def __repr__(self) -> str:
        return (
            f"Event(id={self.id!r}, kind={self.kind!r}, type={self.type!r}, "
            f"task_id={self.task_id!r})"
        )

    def with_task(self, task_id: str | None) -> Event:
        """This event, labelled with the task it belongs to."""
        return self if task_id == self.task_id else replace(self, task_id=task_id)

    # -- common fields: the reading's ------------------------------------------------------

    @property
    def id(self) -> str:
        return self.reading.id

    @property
    def kind(self) -> str:
        return self.reading.kind

    @property
    def type(self) -> str:
        return self.reading.type

    @property
    def content(self) -> str | None:
        return self.reading.content

    @property
    def timestamp_text(self) -> str | None:
        """When it happened, as the API wrote it (RFC 3339)."""
        return self.reading.timestamp_text

    @property
    def usage(self) -> TokenUsage | None:
        """The tokens an assistant message used (today's shape); None when not said."""
        return self.reading.usage

    @property
    def body(self) -> Mapping[str, Any]:
        """The event body as it came (secrets redacted)."""
        return self.reading.body

    @property
    def raw(self) -> Mapping[str, Any]:
        """The whole console event as it came (secrets redacted)."""
        return self.reading.raw

    @property
    def name(self) -> str | None:
        """The tool of a tool event, or the new task name."""
        return self.reading.name

    @property
    def tool_call_id(self) -> str | None:
        """For tool events: the call they belong to."""
        return self.reading.tool_call_id

    @property
    def n_tool_calls(self) -> int:
        return self.reading.n_tool_calls

    @property
    def approval_request_id(self) -> str | None:
        """The approval this event asks for or answers; None otherwise, and when malformed."""
        return self.reading.approval_request_id

    @property
    def final(self) -> bool | None:
        """``is_final`` of an assistant message as sent (today's shape); None when absent."""
        return self.reading.final

    @property
    def is_final(self) -> bool:
        """True on the assistant message that ends Neo's turn (today's shape only)."""
        return self.reading.final is True

    @property
    def synthetic(self) -> bool:
        """Sent by the service on someone's behalf (e.g. an automatic approval)."""
        return self.reading.synthetic

    # -- other fields ----------------------------------------------------------------------

    @property
    def timestamp(self) -> datetime | None:
        """When it happened, as an aware UTC datetime; None when missing or unreadable."""
        return parse_timestamp(self.timestamp_text)

    @property
    def actor(self) -> str | None:
        """Who sent a user event, when the API says: their name, else their login."""
        actor = self.raw.get("actor")
        if not isinstance(actor, Mapping):
            return None
        return _str(actor.get("name")) or _str(actor.get("githubLogin"))

    @property
    def from_user(self) -> bool:
        """A user's (or an automation's) event rather than Neo's."""
        return self.kind in ("userInput", "triggerUserInput")

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The tool calls an assistant message makes, in either wire shape."""
        calls = self.body.get("tool_calls")
        if not isinstance(calls, list):
            return ()
        return tuple(ToolCall.from_json(c) for c in calls if isinstance(c, Mapping))

    @property
    def execution_mode(self) -> str | None:
        """Where a tool runs: ``cloud`` (Neo), ``cli`` or ``worker`` (the client)."""
        return _str(self.body.get("execution_mode"))

    @property
    def result(self) -> str | None:
        """For ``tool_response``: the tool's output as text (JSON when it is not text)."""
        return as_text(self.body.get("content")) if self.type == "tool_response" else None

    @property
    def is_error(self) -> bool:
        """For ``tool_response``: whether the tool failed (see :func:`reports_error`)."""
        return self.type == "tool_response" and reports_error(self.body)

    @property
    def approval_requests(self) -> tuple[ApprovalRequest, ...]:
        """The approval requests this event makes, in either wire shape (usually 0 or 1)."""
        if self.kind != "agentResponse":
            return ()
        if self.type == "user_approval_request":
            return (self._approval_request(),)
        calls = self.body.get("tool_calls")
        if not calls or type(calls) is not list or not _names_approval_tool(calls):
            return ()  # the common case, decided without reading any call in full
        requests: list[ApprovalRequest] = []
        for call in self.tool_calls:
            if call.name != APPROVAL_TOOL:
                continue
            args = call.arguments or {}
            approval_id = _str(args.get("approval_request_id")) or None
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

    def _approval_request(self) -> ApprovalRequest:
        body = self.body
        approval_id = _str(body.get("id")) or None
        message = _str(body.get("message"))
        context = body.get("context")
        context = context if isinstance(context, Mapping) else _EMPTY
        buttons = body.get("buttons")
        return ApprovalRequest(
            id=approval_id if message is not None else None,
            description=message or "",
            event_id=self.id,
            timestamp=self.timestamp,
            malformed=not approval_id or message is None,
            approval_type=_str(body.get("approval_type")),
            tool_call_id=_str(context.get("tool_call_id")),
            sensitive=body.get("sensitivity") == "sensitive",
            source=_str(body.get("source")),
            buttons=tuple(b for b in buttons if isinstance(b, str))
            if isinstance(buttons, list)
            else (),
            tool_name=_str(context.get("tool_name")),
            plan=_str(context.get("plan_description")) or None,
            diff=FileDiff.all_from_json(context.get("git_diff")),
            last_approval_diff=FileDiff.all_from_json(context.get("last_approval_diff")),
            raw=body,
        )

    @property
    def confirmation(self) -> Confirmation | None:
        """For ``user_confirmation``: the answer."""
        if self.type != "user_confirmation":
            return None
        instructions = _str(self.body.get("instructions"))
        return Confirmation(
            approval_request_id=_str(self.body.get("approval_request_id")) or None,
            ok=self.body.get("ok") is not False,
            instructions=instructions or None,
        )

    @property
    def tool_results(self) -> tuple[ToolResult, ...]:
        """For a client's ``tool_result``: the results it reports."""
        results = self.body.get("tool_results") if self.type == "tool_result" else None
        if not isinstance(results, list):
            return ()
        return tuple(
            ToolResult(
                tool_call_id=_str(r.get("tool_call_id")),
                name=_str(r.get("name")),
                content=as_text(r.get("content")),
                is_error=reports_error(r),
            )
            for r in results
            if isinstance(r, Mapping)
        )

    @property
    def progress(self) -> str | None:
        """For ``exec_tool_call_progress``: the status, with a short reading of its metadata."""
        if self.type != "exec_tool_call_progress":
            return None
        status = _str(self.body.get("status")) or "running"
        metadata = self.body.get("metadata")
        if isinstance(metadata, Mapping):
            message = _str(metadata.get("message"))
            if message:
                return f"{status}: {message}"
            done, total = metadata.get("completed"), metadata.get("total")
            if isinstance(done, int) and isinstance(total, int):
                return f"{status} ({done}/{total})"
        return status

    @property
    def entity_changes(self) -> tuple[tuple[Entity, ...], tuple[Entity, ...]]:
        """For ``change_entities``: the entities added and removed."""
        changes = self.body.get("changes") if self.type == "change_entities" else None
        if not isinstance(changes, Mapping):
            return (), ()

        def read(key: str) -> tuple[Entity, ...]:
            items = changes.get(key)
            if not isinstance(items, list):
                return ()
            return tuple(entity_from_json(e) for e in items if isinstance(e, Mapping))

        return read("add"), read("remove")

    @property
    def compression(self) -> tuple[str, str | None] | None:
        """For ``context_compression_event``: its status and the summary, if any."""
        if self.type != "context_compression_event":
            return None
        summary = _str(self.body.get("context_summary")) or None
        return _str(self.body.get("status")) or "compressing", summary

    @property
    def triggers(self) -> tuple[TriggerEvent, ...]:
        """For ``triggerUserInput``: what started the turn."""
        found = self.raw.get("triggerEvents")
        if not isinstance(found, list):
            return ()
        return tuple(TriggerEvent.from_json(t) for t in found if isinstance(t, Mapping))

    @property
    def trigger_instructions(self) -> str | None:
        """For ``triggerUserInput``: what the automation asked Neo to do."""
        return _str(self.raw.get("triggerInstructions")) or None


class Reading(NamedTuple):
    """What every consumer of an event reads from it, in one pass (see :func:`read_event`)."""

    id: str
    kind: str
    type: str
    content: str | None
    timestamp_text: str | None
    usage: TokenUsage | None
    body: Mapping[str, Any]
    raw: Mapping[str, Any]
    name: str | None
    tool_call_id: str | None
    n_tool_calls: int
    approval_request_id: str | None
    final: bool | None
    synthetic: bool


def read_event(data: Mapping[str, Any]) -> Reading:
    """The one reading of a raw console event that everything shares, secrets redacted.

    :meth:`Event.from_json` makes a record of it, and the frames lay it out as columns
    without making one (a long history reads faster so); :class:`Event`'s properties read
    the same fields with the same functions.
    """
    body: Any = data.get("eventBody")
    if type(body) is not dict and not isinstance(body, Mapping):
        body = _EMPTY
    kind = body.get("type")
    if type(kind) is not str:
        kind = ""
    if kind in _SECRET_FIELDS:
        body, data = _redacted(body, data, _SECRET_FIELDS[kind])
    content = body.get("content")
    if type(content) is not str:
        if content is None:
            content = body.get("message") if kind in _MESSAGE_KINDS else None
            content = content if isinstance(content, str) else None
        else:
            content = as_text(content)
    stamp = body.get("timestamp") or data.get("timestamp")
    outer = data.get("type")
    if type(outer) is not str:
        outer = ""
    event_id = data.get("id")
    name = body.get("name")
    call_id = body.get("tool_call_id")
    calls = body.get("tool_calls")
    final = body.get("is_final")
    return Reading(
        id=event_id if type(event_id) is str else str(event_id or ""),
        kind=outer,
        type=kind,
        content=content,
        timestamp_text=stamp if type(stamp) is str else None,
        usage=TokenUsage.from_json(body.get("token_usage")),
        body=body,
        raw=data,
        name=name if type(name) is str else None,
        tool_call_id=call_id if type(call_id) is str else None,
        n_tool_calls=len(calls) if type(calls) is list else 0,
        approval_request_id=(
            approval_id(outer, kind, body) if calls or kind in _APPROVAL_KINDS else None
        ),
        final=final if final is True or final is False else None,
        synthetic=data.get("isSynthetic") is True,
    )


def text_field(body: Mapping[str, Any], key: str) -> str | None:
    """A field of an event body that is text; None when it is missing or not text."""
    return _str(body.get(key))


def approval_id(outer: str, kind: str, body: Mapping[str, Any]) -> str | None:
    """The approval an event asks for (either shape) or answers; None otherwise, and when
    the request is malformed."""
    if kind == "user_confirmation":
        return text_field(body, "approval_request_id") or None
    if outer != "agentResponse":
        return None
    if kind == "user_approval_request":
        ok = text_field(body, "message") is not None
        return (text_field(body, "id") or None) if ok else None
    calls = body.get("tool_calls")
    if not calls or type(calls) is not list or not _names_approval_tool(calls):
        return None  # the common case, decided without reading any call in full
    for call in calls:
        if isinstance(call, Mapping):
            parsed = ToolCall.from_json(call)
            if parsed.name == APPROVAL_TOOL:
                return text_field(parsed.arguments or {}, "approval_request_id") or None
    return None


def _names_approval_tool(calls: list[Any]) -> bool:
    """Whether a list of raw tool calls (either shape) holds an ``approval_request``."""
    # A JSON object is a dict: that check is several times cheaper than the ABC's, and this
    # runs for every tool call of a long history.
    for call in calls:
        if type(call) is dict or isinstance(call, Mapping):
            function = call.get("function")  # the seed's shape; today's names the call
            if function is None or not isinstance(function, Mapping):
                name = call.get("name")
            else:
                name = function.get("name")
            if name == APPROVAL_TOOL:
                return True
    return False


def _redacted(
    body: Mapping[str, Any], data: Mapping[str, Any], fields: Iterable[str]
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The body and event with secret fields' values replaced (copies; the input is kept)."""
    clean = {k: (REDACTED if k in fields and v is not None else v) for k, v in body.items()}
    return clean, {**data, "eventBody": clean}
