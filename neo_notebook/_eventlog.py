"""What a task's events say together, kept up to date one event at a time.

:class:`EventLog` folds :class:`Event` records into the approval requests and their state,
the tool runs (one per call id, whether Neo's cloud or the client ran it), the task's name,
and how the latest turn ended. Folding one event costs the same however long the history,
so a chat that follows a long task stays fast while Neo streams, and the frames, the
transcript and the chat panel all read the same fold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal

from ._events import APPROVAL_TOOL, ApprovalRequest, ApprovalState, Event, text_field
from ._models import ToolCall, parse_timestamp

__all__ = ["EventLog", "ToolRun", "ToolState", "approval_requests"]

ToolState = Literal["requested", "running", "done", "error"]
#: Kinds that change a tool run without making a call.
_TOOL_KINDS = frozenset(
    {"exec_tool_call", "exec_tool_call_progress", "tool_result", "tool_response"}
)


@dataclass(slots=True)
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
        self._client_calls: dict[str, None] = {}  # keys of cli runs not yet answered
        #: The newest ``set_task_name``.
        self.name: str | None = None
        #: How the latest turn ended, when it did not end well: ``error`` or ``cancelled``.
        self.outcome: Literal["error", "cancelled"] | None = None
        #: Neo said it waits for answers (``awaiting_approvals``) since the last user event.
        self.awaiting = False
        #: The newest event is the client's ``tool_result``: Neo has the results and resumes
        #: (a task read a moment before the post may still say idle).
        self.resuming = False
        #: Counts changes to the approval requests (new, answered, superseded), so a reader
        #: can tell whether to look at them again without comparing them.
        self.approvals_version = 0

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
    def waiting_tool_calls(self) -> list[ToolRun]:
        """Calls Neo asked the client to run (``execution_mode: cli``) that no
        ``tool_result`` or ``tool_response`` has answered yet, oldest first. Kept as events
        arrive, so reading it costs nothing however long the history."""
        return [self._runs[key] for key in self._client_calls]

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
        calls = event.body.get("tool_calls")
        self.resuming = kind == "tool_result" and event.from_user
        if outer == "agentResponse":
            if kind == "cancelled":
                self._supersede(event)
                self.outcome = "cancelled"
            elif kind == "error":
                self.outcome = "error"
            elif kind == "set_task_name" and event.name:
                self.name = event.name
            elif kind == "awaiting_approvals":
                self.awaiting = True
            if calls or kind == "user_approval_request":
                for request in event.approval_requests:
                    if request.id is not None:
                        self._by_approval_id[request.id] = len(self._approvals)
                    self._pending[len(self._approvals)] = None
                    self._approvals.append(request)
                    self.approvals_version += 1
        elif event.from_user:
            if kind == "user_confirmation":
                self._answer(event)
            elif kind in ("user_message", "user_cancel") or outer == "triggerUserInput":
                self._supersede(event)
                self.outcome = "cancelled" if kind == "user_cancel" else None
                self.awaiting = False
        if calls or kind in _TOOL_KINDS:
            runs = self._fold_tools(event)
            for run in runs:
                if run.execution_mode == "cli" and not (run.reported or run.responded):
                    self._client_calls[run.key] = None
                else:
                    self._client_calls.pop(run.key, None)
            return runs
        return []

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
        self.approvals_version += 1

    def _supersede(self, event: Event) -> None:
        """Every pending request is superseded by ``event`` (a new message, a cancel)."""
        if not self._pending:
            return
        self.approvals_version += 1
        at = event.timestamp
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
                run = self._new_run(call.id or None, event, f"{event.id}@{self.count}#{index}")
                run.name = call.name or None
                run.arguments = call.arguments
                run.raw_arguments = call.raw_arguments
                run.execution_mode = text_field(call.raw, "execution_mode")
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
        # The first answer ends the run: a client's tool_result says when its tool finished,
        # and Neo's tool_response after it only says when Neo read it.
        run.finished_at = run.finished_at or stamp
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
            return self._new_run(None, event, f"{event.id}@{self.count}#{suffix}")
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
