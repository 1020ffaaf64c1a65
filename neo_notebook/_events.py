"""Neo's events, read once: raw console events in, typed records out, and what they imply.

Every event the API returns, in the seed's shape and today's (``shared/neo-api-current.md``),
becomes an :class:`Event` in one place, :meth:`Event.from_json`. Everything else reads those
records and never the raw JSON: the frames, the transcript, the chat panel's items, approval
state and tool runs. So an event means the same thing everywhere, and a kind the API adds is
taught here once.

:class:`EventLog` folds events one at a time into what they say together: the approval
requests and their state, the tool runs (one per call id, whoever ran it), the task's name,
and how the latest turn ended. Folding one event costs the same however long the history, so
a chat that follows a long task stays fast while Neo streams.

Reading is forgiving: any field may be null or missing, and unknown kinds and fields are
kept (``body``, ``raw``). One thing is never kept: ``provide_pulumi_access_token`` carries an
encrypted credential, and its value is replaced in ``body`` and ``raw`` as the event is read,
so no frame, transcript, repr, log or view can show it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from ._entities import Entity, entity_from_json
from ._models import ToolCall, parse_timestamp

__all__ = [
    "APPROVAL_TOOL",
    "Answer",
    "ApprovalRequest",
    "ApprovalState",
    "Confirmation",
    "Event",
    "EventLog",
    "FileDiff",
    "TokenUsage",
    "ToolResult",
    "ToolRun",
    "TriggerDetail",
    "TriggerEvent",
    "approval_requests",
]

ApprovalState = Literal["pending", "approved", "declined", "superseded"]
ToolState = Literal["requested", "running", "done", "error"]

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


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> int:
    """A token count: a non-negative int, else 0 (null, junk and booleans count as nothing)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
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


@dataclass(frozen=True)
class TokenUsage:
    """Tokens one assistant message used, summed over the models that served it."""

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
        if not isinstance(value, Mapping) or not value:
            return None
        read = written = inputs = outputs = 0
        for usage in value.values():
            if isinstance(usage, Mapping):
                inputs += _count(usage.get("input_tokens"))
                outputs += _count(usage.get("output_tokens"))
                written += _count(usage.get("cache_creation_input_tokens"))
                read += _count(usage.get("cache_read_input_tokens"))
        return cls(inputs, outputs, written, read, tuple(str(model) for model in value))


@dataclass(frozen=True)
class FileDiff:
    """One file of a git diff, with how many lines it adds and removes."""

    file: str
    patch: str
    added: int
    removed: int

    @classmethod
    def all_from_json(cls, value: Any) -> tuple[FileDiff, ...]:
        """``{file: unified diff}`` as FileDiffs, in the order given."""
        if not isinstance(value, Mapping):
            return ()
        diffs = []
        for name, patch in value.items():
            text = patch if isinstance(patch, str) else ""
            added = removed = 0
            for line in text.splitlines():
                if line.startswith("+") and not line.startswith("+++"):
                    added += 1
                elif line.startswith("-") and not line.startswith("---"):
                    removed += 1
            diffs.append(cls(str(name), text, added, removed))
        return tuple(diffs)


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

    @property
    def tool_arguments(self) -> Mapping[str, Any] | None:
        """For a ``tool_permission`` request: the arguments of the call it asks about."""
        context = self.raw.get("context")
        args = context.get("tool_args") if isinstance(context, Mapping) else None
        return args if isinstance(args, Mapping) else None


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


def _detail_value(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, default=str)


@dataclass(frozen=True)
class Event:
    """One entry of a task's event log, read.

    ``kind`` is the outer type (``userInput``, ``agentResponse``, ``triggerUserInput``),
    ``type`` the body's (``user_message``, ``assistant_message``, ``exec_tool_call``, ...).
    ``content`` is the event's text: a message's ``content``, the ``message`` of an error,
    warning, approval request or context compression, or a tool's output as text.
    ``task_id`` is the task it belongs to, however it was read. Kinds this version does not
    know keep their whole body in ``body``; the fields below read the ones it does.
    """

    id: str
    kind: str
    type: str
    content: str | None = None
    timestamp_text: str | None = field(default=None, repr=False)
    task_id: str | None = None
    usage: TokenUsage | None = None
    body: Mapping[str, Any] = field(default_factory=dict, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], task_id: str | None = None) -> Event:
        """Read one console event; never raises on a field that is missing, null or odd."""
        body: Any = data.get("eventBody")
        if not isinstance(body, Mapping):
            body = _EMPTY
        kind = body.get("type")
        kind = kind if isinstance(kind, str) else ""
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
        usage = body.get("token_usage")
        outer = data.get("type")
        return cls(
            id=str(data.get("id") or ""),
            kind=outer if isinstance(outer, str) else "",
            type=kind,
            content=content,
            timestamp_text=stamp if isinstance(stamp, str) else None,
            task_id=task_id,
            usage=TokenUsage.from_json(usage) if usage is not None else None,
            body=body,
            raw=data,
        )

    def with_task(self, task_id: str | None) -> Event:
        """This event, labelled with the task it belongs to."""
        return self if task_id == self.task_id else replace(self, task_id=task_id)

    # -- common fields -------------------------------------------------------------------

    @property
    def timestamp(self) -> datetime | None:
        """When it happened, as an aware UTC datetime; None when missing or unreadable."""
        return parse_timestamp(self.timestamp_text)

    @property
    def synthetic(self) -> bool:
        """Sent by the service on someone's behalf (e.g. an automatic approval)."""
        return self.raw.get("isSynthetic") is True

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
    def name(self) -> str | None:
        """The tool of ``exec_tool_call``/``tool_response``, or the new task name."""
        return _str(self.body.get("name"))

    @property
    def tool_call_id(self) -> str | None:
        """For tool events: the call they belong to."""
        return _str(self.body.get("tool_call_id"))

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The tool calls an assistant message makes, in either wire shape."""
        calls = self.body.get("tool_calls")
        if not isinstance(calls, list):
            return ()
        return tuple(ToolCall.from_json(c) for c in calls if isinstance(c, Mapping))

    @property
    def n_tool_calls(self) -> int:
        calls = self.body.get("tool_calls")
        return len(calls) if isinstance(calls, list) else 0

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
    def final(self) -> bool | None:
        """``is_final`` of an assistant message as sent (today's shape); None when absent."""
        final = self.body.get("is_final")
        return final if isinstance(final, bool) else None

    @property
    def is_final(self) -> bool:
        """True on the assistant message that ends Neo's turn (today's shape only)."""
        return self.body.get("is_final") is True

    # -- kinds ---------------------------------------------------------------------------

    @property
    def approval_requests(self) -> tuple[ApprovalRequest, ...]:
        """The approval requests this event makes, in either wire shape (usually 0 or 1)."""
        if self.kind != "agentResponse":
            return ()
        if self.type == "user_approval_request":
            return (self._approval_request(),)
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
    def approval_request_id(self) -> str | None:
        """The approval this event asks for or answers; None otherwise, and when malformed."""
        if self.type == "user_confirmation":
            return _str(self.body.get("approval_request_id")) or None
        if self.type == "user_approval_request" or self.n_tool_calls:
            requests = self.approval_requests
            return requests[0].id if requests else None
        return None

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


def _redacted(
    body: Mapping[str, Any], data: Mapping[str, Any], fields: Iterable[str]
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The body and event with secret fields' values replaced (copies; the input is kept)."""
    clean = {k: (REDACTED if k in fields and v is not None else v) for k, v in body.items()}
    return clean, {**data, "eventBody": clean}


@dataclass
class ToolRun:
    """One tool call and what became of it: requested by Neo, maybe run by the client,
    answered. The events of one call id fold into one run."""

    key: str
    call_id: str | None
    event_id: str
    task_id: str | None = None
    name: str | None = None
    arguments: Mapping[str, Any] | None = None
    raw_arguments: str | None = None
    execution_mode: str | None = None
    #: ``neo`` when Neo's cloud ran it, ``client`` when a CLI or worker reported it.
    runner: Literal["neo", "client"] = "neo"
    state: ToolState = "requested"
    progress: str | None = None
    result: str | None = None
    is_error: bool | None = None
    requested_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    #: The seed's approval requests are tool calls; they are runs, but not shown as tools.
    is_approval: bool = False
    #: A client reported its result (``tool_result``); Neo answered (``tool_response``).
    reported: bool = field(default=False, repr=False)
    responded: bool = field(default=False, repr=False)

    @property
    def duration(self) -> timedelta | None:
        """From the start (or, without one, the request) to the result; None if unknown."""
        start = parse_timestamp(self.started_at or self.requested_at)
        end = parse_timestamp(self.finished_at)
        if start is None or end is None or end < start:
            return None
        return end - start

    @property
    def finished(self) -> bool:
        return self.state in ("done", "error")


class EventLog:
    """A task's events with what they imply, kept up to date one event at a time.

    Example::

        log = EventLog(task_id)
        log.extend(client.events(task_id))
        log.pending_approvals, log.tool_runs

    It keeps what the events imply, not the events themselves: a frame built from a long
    history folds it page by page without holding it.
    """

    def __init__(self, task_id: str | None = None) -> None:
        self.task_id = task_id
        self.count = 0
        self._approvals: list[ApprovalRequest] = []
        self._by_approval_id: dict[str, int] = {}
        self._pending: dict[int, None] = {}  # positions in _approvals, oldest first
        self._runs: dict[str, ToolRun] = {}
        self._latest_run: dict[str, str] = {}  # call id -> key of its newest run
        self._generations: dict[str, int] = {}
        #: The newest ``set_task_name``.
        self.name: str | None = None
        #: How the latest turn ended, when it did not end well: ``error`` or ``cancelled``.
        self.outcome: Literal["error", "cancelled"] | None = None
        #: Neo said it waits for answers (``awaiting_approvals``) since the last user event.
        self.awaiting = False

    def __len__(self) -> int:
        return self.count

    @property
    def approvals(self) -> list[ApprovalRequest]:
        """Every approval request, oldest first, with its state."""
        return list(self._approvals)

    @property
    def pending_approvals(self) -> list[ApprovalRequest]:
        """The requests still waiting for an answer, oldest first."""
        return [self._approvals[i] for i in self._pending]

    def approval(self, approval_id: str) -> ApprovalRequest | None:
        index = self._by_approval_id.get(approval_id)
        return None if index is None else self._approvals[index]

    def tool_run(self, call_id: str | None) -> ToolRun | None:
        """The newest run of a call id."""
        key = self._latest_run.get(call_id) if call_id else None
        return self._runs.get(key) if key else None

    @property
    def tool_runs(self) -> list[ToolRun]:
        """Every tool run, in the order they were first seen."""
        return list(self._runs.values())

    def extend(self, events: Iterable[Event]) -> None:
        for event in events:
            self.add(event)

    def add(self, event: Event) -> list[ToolRun]:
        """Fold one event in; returns the tool runs it created or changed."""
        if self.task_id is not None and event.task_id is None:
            event = event.with_task(self.task_id)
        self.count += 1
        kind, outer = event.type, event.kind
        if outer == "agentResponse":
            if kind == "cancelled":
                self._supersede(event.timestamp)
                self.outcome = "cancelled"
            elif kind == "error":
                self.outcome = "error"
            elif kind == "set_task_name" and event.name:
                self.name = event.name
            elif kind == "awaiting_approvals":
                self.awaiting = True
            for request in event.approval_requests:
                if request.id is not None:
                    self._by_approval_id[request.id] = len(self._approvals)
                self._pending[len(self._approvals)] = None
                self._approvals.append(request)
        elif event.from_user:
            if kind == "user_confirmation":
                self._answer(event)
            elif kind in ("user_message", "user_cancel") or outer == "triggerUserInput":
                self._supersede(event.timestamp)
                self.outcome = "cancelled" if kind == "user_cancel" else None
                self.awaiting = False
        return self._fold_tools(event)

    # -- approvals -----------------------------------------------------------------------

    def _answer(self, event: Event) -> None:
        confirmation = event.confirmation
        approval_id = confirmation.approval_request_id if confirmation else None
        index = self._by_approval_id.get(approval_id) if approval_id else None
        if confirmation is None or index is None or index not in self._pending:
            return
        state: ApprovalState = "approved" if confirmation.ok else "declined"
        self._approvals[index] = replace(
            self._approvals[index], state=state, answered_at=event.timestamp
        )
        del self._pending[index]

    def _supersede(self, at: datetime | None) -> None:
        for index in self._pending:
            self._approvals[index] = replace(
                self._approvals[index], state="superseded", answered_at=at
            )
        self._pending.clear()

    # -- tool runs -----------------------------------------------------------------------

    def _fold_tools(self, event: Event) -> list[ToolRun]:
        kind, stamp = event.type, event.timestamp_text
        if event.n_tool_calls:  # an assistant message's calls (or a kind that adds calls)
            runs = []
            for index, call in enumerate(event.tool_calls):
                run = self._new_run(call.id or None, event, f"{event.id}#{index}")
                run.name = call.name or None
                run.arguments = call.arguments
                run.raw_arguments = call.raw_arguments
                run.execution_mode = _str(call.raw.get("execution_mode"))
                run.requested_at = stamp
                run.is_approval = call.name == APPROVAL_TOOL
                runs.append(run)
            return runs
        if kind == "exec_tool_call":
            run = self._run(event.tool_call_id, event, "exec", started=True)
            run.name = run.name or event.name
            if run.arguments is None and isinstance(event.body.get("args"), Mapping):
                call = ToolCall.from_json({"name": event.name, "args": event.body["args"]})
                run.arguments, run.raw_arguments = call.arguments, call.raw_arguments
            run.execution_mode = event.execution_mode or run.execution_mode
            if event.from_user:
                run.runner = "client"
            run.started_at = run.started_at or stamp
            if run.state == "requested":
                run.state = "running"
            return [run]
        if kind == "exec_tool_call_progress":
            run = self._run(event.tool_call_id, event, "progress", started=True)
            run.progress = event.progress
            run.started_at = run.started_at or stamp
            if run.state == "requested":
                run.state = "running"
            return [run]
        if kind == "tool_result":
            runs = []
            for index, result in enumerate(event.tool_results):
                run = self._run(result.tool_call_id, event, f"result{index}", reported=True)
                run.runner = "client"
                run.reported = True
                self._finish(run, result.name, result.content, result.is_error, stamp)
                runs.append(run)
            return runs
        if kind == "tool_response":
            run = self._run(event.tool_call_id, event, "response", responded=True)
            run.responded = True
            self._finish(run, event.name, event.result, event.is_error, stamp)
            return [run]
        return []

    @staticmethod
    def _finish(
        run: ToolRun, name: str | None, result: str | None, error: bool, stamp: str | None
    ) -> None:
        run.name = run.name or name
        if result is not None or run.result is None:
            run.result = result
        # The client's result and Neo's response may both come: a failure in either stays.
        run.is_error = error or bool(run.is_error)
        run.finished_at = stamp or run.finished_at
        run.state = "error" if run.is_error else "done"
        run.progress = None

    def _run(
        self,
        call_id: str | None,
        event: Event,
        suffix: str,
        *,
        started: bool = False,
        reported: bool = False,
        responded: bool = False,
    ) -> ToolRun:
        """The run a tool event belongs to: the call id's newest run, unless that one is
        already past what this event says (Neo reused the id for a new call)."""
        if not call_id:
            return self._new_run(None, event, f"{event.id}#{suffix}")
        key = self._latest_run.get(call_id)
        run = self._runs.get(key) if key else None
        if (
            run is None
            or (started and run.finished)
            or (reported and (run.reported or run.responded))
            or (responded and run.responded)
        ):
            return self._new_run(call_id, event, call_id)
        return run

    def _new_run(self, call_id: str | None, event: Event, key: str) -> ToolRun:
        if call_id:
            count = self._generations.get(call_id, 0)
            self._generations[call_id] = count + 1
            key = f"{call_id}~{count}" if count else call_id
            self._latest_run[call_id] = key
        run = ToolRun(key=key, call_id=call_id, event_id=event.id, task_id=event.task_id)
        self._runs[key] = run
        return run


def approval_requests(events: Sequence[Event]) -> list[ApprovalRequest]:
    """Every approval request in the events, oldest first, each with its derived state.

    A request is ``pending`` until a later ``user_confirmation`` names it (``ok`` false makes
    it ``declined``; the seed's confirmation has no ``ok`` and means yes), or a later user
    message, user cancel, trigger or agent ``cancelled`` event supersedes it. An answered
    request is never reported as pending, and malformed fields never raise.
    """
    log = EventLog()
    log.extend(events)
    return log.approvals
