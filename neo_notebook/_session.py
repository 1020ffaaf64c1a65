"""TaskSession: one task followed, whoever asks, with no UI.

A task is followed in one place: the session keeps its tail (``EventTail``: each poll reads
only what is new), its fold (``EventLog``), the task as last read, and the status derived from
both. The chat panel draws a session; the ``%%neo`` magic and the local tool runner use it
without a widget. There is one session per task per client (:func:`session_for`), so two
panels, a panel and ``run_tools``, or a magic and a panel never follow a task twice.

What a session learns reaches its subscribers as a :class:`SessionUpdate`, in order (one
fetch-and-apply at a time). One background thread per session follows the task while someone
is interested: the live event stream while Neo works where the server has one, polls
otherwise, and it stops after ``linger`` seconds of quiet.

The answers this process sent to approval requests are the client's (``client.answers``);
the session derives "pending" from them and the fold, and keeps no copy. So an approval sent
with ``client.approve`` is at once not pending in every panel, even while the server has not
recorded it yet.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ._errors import ConflictError, NeoAPIError, NeoError
from ._eventlog import EventLog, ToolRun
from ._events import Answer, ApprovalRequest, Event
from ._models import Task

if TYPE_CHECKING:
    from ._attachments import Context
    from ._tail import EventTail

__all__ = [
    "SessionClient",
    "SessionUpdate",
    "Status",
    "TaskSession",
    "derive_status",
    "existing_session",
    "session_for",
]

Status = Literal[
    "new", "running", "awaiting_approval", "awaiting_tools", "cancelled", "error", "idle"
]
#: Events after which the task's status may have changed, so it is read again.
_TURN_EVENTS = frozenset(
    {"assistant_message", "error", "cancelled", "user_approval_request", "awaiting_approvals"}
)
#: How a cancel meets a parked task (409 until the tools' results are in), as ``pulumi neo``
#: retries it: 1 s doubling to 30 s, 8 tries.
CANCEL_BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0)


def derive_status(task: Task | None, log: EventLog) -> Status:
    """What a task is doing, from the task as read and its fold.

    ``awaiting_tools``: Neo's turn ended with calls for the client to run (CLI tool-execution
    mode) and no result has been posted for them yet; Neo is not idle, it waits for you. Once
    their ``tool_result`` is the newest event, Neo is running again, whatever a task read a
    moment earlier said.
    """
    if task is None:
        return "new"
    if task.status == "running" or log.resuming:
        return "running"
    if log.pending_approvals:
        return "awaiting_approval"
    if log.waiting_tool_calls:
        return "awaiting_tools"
    return log.outcome or "idle"


class SessionClient(Protocol):
    """What a session needs of a client (``NeoClient`` is one)."""

    def get_task(self, task_id: str) -> Task: ...
    def tail(self, task_id: str) -> EventTail: ...
    def send_message(self, task_id: str, content: str, *, context: Context = None) -> None: ...
    def approve(self, task_id: str, approval_request_id: str | None = None) -> str: ...
    def decline(
        self, task_id: str, approval_request_id: str | None = None, *, instructions: str = ""
    ) -> str: ...
    def cancel(self, task_id: str) -> None: ...
    def update_task(
        self,
        task_id: str,
        *,
        approval_mode: str | None = None,
        plan_mode: bool | None = None,
        permission_mode: str | None = None,
    ) -> Task: ...
    def answers(self, task_id: str) -> dict[str, Answer]: ...


class LocalWork(Protocol):
    """Work a session's task has on this machine (the local tool runner): a cancel stops it
    first, and ``wait`` goes on while it has calls to answer."""

    def interrupt(self) -> bool:
        """Stop what runs and answer what was asked; True if there was anything."""
        ...


@dataclass(frozen=True, slots=True)
class SessionUpdate:
    """What one fetch-and-apply brought: the new events (numbered from ``start``) with the
    tool runs each changed, the task as read, and the status after them."""

    start: int
    events: Sequence[Event]
    runs: Sequence[Sequence[ToolRun]]
    task: Task | None
    task_changed: bool
    status: Status
    previous_status: Status
    #: The last read failed (the panel's banner); None once the API answers again.
    error: NeoError | None = None
    #: This process answered an approval request (the answers are the client's).
    answered: bool = False

    @property
    def turn_ended(self) -> bool:
        return self.previous_status == "running" and self.status != "running"


Subscriber = Callable[[SessionUpdate], None]


class TaskSession:
    """One task, followed: its events, what they imply, and what it is doing now.

    Args:
        client: the client to talk through.
        task_id: the task.
        poll_interval: seconds between polls while Neo works (default 0.5).
        idle_interval: seconds between polls while idle (default 5).
        linger: seconds of quiet (no running turn, no interest) after which following stops.

    Example::

        session = client.session(task_id)
        session.wait()
        session.status, session.pending_approval, session.log.tool_runs
    """

    def __init__(
        self,
        client: SessionClient,
        task_id: str,
        *,
        poll_interval: float = 0.5,
        idle_interval: float = 5.0,
        linger: float = 300.0,
    ) -> None:
        self.client = client
        self.task_id = task_id
        self.poll_interval = poll_interval
        self.idle_interval = idle_interval
        self.linger = linger
        self.log = EventLog(task_id)
        self._events: list[Event] = []
        self._task: Task | None = None
        self._status: Status = "new"
        self._error: NeoError | None = None
        self._tail: EventTail = client.tail(task_id)
        self._lock = threading.RLock()  # state
        self._apply_lock = threading.Lock()  # one fetch-and-apply at a time, in order
        self._subscribers: list[Subscriber] = []
        self._local: list[LocalWork] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        self._last_interest = time.monotonic()
        self._pending_running = False  # a message was just sent: show Neo as working
        #: Whether the server offers a live event stream (None: not tried yet).
        self.streams: bool | None = None

    def __repr__(self) -> str:
        return f"TaskSession(task_id={self.task_id!r}, status={self.status!r})"

    # -- what the session knows ------------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        """The events received so far, oldest first."""
        with self._lock:
            return list(self._events)

    @property
    def event_count(self) -> int:
        return len(self._events)

    def events_since(self, start: int) -> list[Event]:
        with self._lock:
            return self._events[start:]

    @property
    def task(self) -> Task | None:
        """The task as last read (None before the first read)."""
        return self._task

    @property
    def status(self) -> Status:
        """``running``, ``awaiting_approval``, ``awaiting_tools`` (Neo waits for this
        machine's tools), ``cancelled``, ``error``, ``idle``, or ``new``."""
        return "running" if self._pending_running else self._status

    @property
    def error(self) -> NeoError | None:
        """Why the last read failed, until one succeeds."""
        return self._error

    @property
    def approval_requests(self) -> list[ApprovalRequest]:
        """Every approval request so far, with its state."""
        with self._lock:
            return self.log.approvals

    @property
    def pending_approvals(self) -> list[ApprovalRequest]:
        """Requests waiting for an answer and not answered from this process, oldest first."""
        answered = self.client.answers(self.task_id)
        with self._lock:
            return [a for a in self.log.pending_approvals if a.id not in answered]

    @property
    def pending_approval(self) -> ApprovalRequest | None:
        """The newest request still waiting for an answer (not one this process answered)."""
        pending = self.pending_approvals
        return pending[-1] if pending else None

    @property
    def waiting_tool_calls(self) -> list[ToolRun]:
        """Calls Neo asked this machine to run that no result has answered yet (a copy,
        safe to read while the follower folds new events)."""
        with self._lock:
            return self.log.waiting_tool_calls

    @property
    def answers(self) -> dict[str, Answer]:
        """The answers this process sent, by request id (the client's record)."""
        return self.client.answers(self.task_id)

    # -- subscribers and local work ------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every update from now on; returns how to stop."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called (the task is no longer followed here)."""
        return self._stop.is_set()

    @property
    def has_subscribers(self) -> bool:
        return bool(self._subscribers)

    def attach(self, work: LocalWork) -> None:
        """Register work this machine does for the task (the local tool runner)."""
        with self._lock:
            if work not in self._local:
                self._local.append(work)

    def _publish(self, update: SessionUpdate) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber(update)

    # -- reading ---------------------------------------------------------------------------

    def refresh(self, *, raise_errors: bool = False, task: Task | None = None) -> list[Event]:
        """Fetch the task and any new events now; returns the new events.

        ``task``: the task as just read elsewhere (a listing), so only the events are
        fetched: a quiet task then costs one request. A failure is kept as :attr:`error`
        (and published), or raised with ``raise_errors``.
        """
        with self._apply_lock:
            try:
                if task is None:
                    task = self.client.get_task(self.task_id)
                new = self._tail.poll()
            except NeoError as exc:
                if raise_errors:
                    raise
                self._fail(exc)
                return []
            self._apply(task, new)
        return new

    def _fail(self, exc: NeoError) -> None:
        self._error = exc
        status = self.status
        self._publish(
            SessionUpdate(self.event_count, (), (), self._task, False, status, status, exc)
        )

    def _apply(self, task: Task | None, new: Sequence[Event]) -> None:
        """Fold new events in and tell the subscribers (caller holds ``_apply_lock``)."""
        with self._lock:
            start = len(self._events)
            runs = []
            for event in new:
                self._events.append(event)
                runs.append(self.log.add(event))
            changed = task is not self._task
            previous = self.status
            self._task = task
            self._pending_running = False
            self._status = derive_status(task, self.log)
            self._error = None
            update = SessionUpdate(
                start, tuple(new), runs, task, changed, self._status, previous, None
            )
        self._publish(update)

    def wait(
        self,
        timeout: float | None = 600.0,
        *,
        on_events: Callable[[list[Event]], None] | None = None,
    ) -> bool:
        """Block until Neo is no longer working; False if ``timeout`` seconds passed first.

        While Neo waits for this machine's tools and a runner is attached, that is work too,
        so the wait goes on until Neo's turn ends without calls left to run. Errors that
        outlast the client's retries raise.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._last_interest = time.monotonic()
            new = self.refresh(raise_errors=True)
            if on_events and new:
                on_events(new)
            if not self.working:
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(self.poll_interval)

    @property
    def working(self) -> bool:
        """Neo works, or waits for tools that a runner attached here is about to run."""
        status = self.status
        return status == "running" or (status == "awaiting_tools" and bool(self._local))

    # -- acting ----------------------------------------------------------------------------

    def send_message(self, content: str, *, context: Context = None) -> None:
        """Send a message; Neo shows as working until the next read says otherwise."""
        self.client.send_message(self.task_id, content, context=context)
        self.refresh_soon()

    def approve(self, approval_request_id: str | None = None) -> str:
        """Approve the pending request (or the one named); returns its id."""
        try:
            return self.client.approve(self.task_id, approval_request_id)
        finally:
            self.refresh_soon()

    def decline(self, approval_request_id: str | None = None, *, instructions: str = "") -> str:
        """Decline the pending request, optionally saying what to do instead."""
        try:
            return self.client.decline(self.task_id, approval_request_id, instructions=instructions)
        finally:
            self.refresh_soon()

    def cancel(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """Ask Neo to stop. Tools running on this machine for the task are stopped first and
        their results posted; while the service still holds the task for them it answers
        409, and the cancel is retried with backoff (1 s to 30 s, 8 tries), as ``pulumi neo``
        does."""
        with self._lock:
            local = list(self._local)
        interrupted = any([work.interrupt() for work in local])
        parked = interrupted or self.status == "awaiting_tools"
        for delay in (*CANCEL_BACKOFF, None):
            try:
                self.client.cancel(self.task_id)
                break
            except ConflictError:
                if not parked or delay is None:
                    raise
                sleep(delay)
        self.refresh_soon()

    def update_task(
        self,
        *,
        approval_mode: str | None = None,
        plan_mode: bool | None = None,
        permission_mode: str | None = None,
    ) -> Task:
        """Change the task's approval, plan or permission mode; returns the task as it is."""
        task = self.client.update_task(
            self.task_id,
            approval_mode=approval_mode,
            plan_mode=plan_mode,
            permission_mode=permission_mode,
        )
        with self._apply_lock:
            self._apply(task, ())
        return task

    def answered(self) -> None:
        """This process answered one of the task's approval requests (the client says so):
        tell the subscribers, and read again soon."""
        status = self.status
        self._publish(
            SessionUpdate(
                self.event_count, (), (), self._task, False, status, status, answered=True
            )
        )
        self.refresh_soon()

    # -- following -------------------------------------------------------------------------

    def refresh_soon(self) -> None:
        """Something was just sent: show Neo as working and read now."""
        with self._lock:
            self._pending_running = True
        status = self.status
        self._publish(
            SessionUpdate(self.event_count, (), (), self._task, False, status, self._status)
        )
        self.follow()

    def follow(self) -> None:
        """Make sure the task is being followed (a thread of its own; idempotent)."""
        with self._lock:
            self._last_interest = time.monotonic()
            if self._stop.is_set():
                return
            if self._follower is not None and self._follower.is_alive():
                self._wake.set()
                return
            self._follower = threading.Thread(
                target=_follow_loop,
                args=(weakref.ref(self), self._stop, self._wake),
                name=f"neo-session-{self.task_id}",
                daemon=True,
            )
            self._follower.start()

    def touch(self) -> None:
        """Someone is looking (a view synced): keep following."""
        self._last_interest = time.monotonic()

    def stop(self, *, join: float | None = None) -> None:
        """Stop following, for good: the next :func:`session_for` makes a new session.
        ``join`` waits (up to that many seconds) for the follower's last request."""
        self._stop.set()
        self._wake.set()
        with _SESSIONS_LOCK:
            sessions = _SESSIONS.get(self.client, {})
            if sessions.get(self.task_id) is self:
                del sessions[self.task_id]
        follower = self._follower
        if join is not None and follower is not None and follower is not threading.current_thread():
            follower.join(join)

    def _follow_stream(self) -> None:
        """Apply events from the live stream until it closes or Neo stops working."""
        if self._task is None:
            return
        events = self._tail.follow()
        try:
            for event in events:
                with self._apply_lock:
                    task, batch = self._task, [event]
                    if event.type in _TURN_EVENTS:
                        task = self.client.get_task(self.task_id)
                        if task.status != "running":
                            # The turn ended: its last events may not have streamed yet, and
                            # no reader may see it finished without them.
                            batch += self._tail.poll()
                    self._apply(task, batch)
                self.streams = True
                if self._stop.is_set() or self.status != "running":
                    return
        except NeoAPIError as exc:
            if exc.status in (404, 405, 501) and self.streams is None:
                self.streams = False  # no stream here: poll
            else:
                self._fail(exc)
        except NeoError as exc:
            self._fail(exc)
        finally:
            events.close()


def _follow_loop(
    ref: weakref.ReferenceType[TaskSession], stop: threading.Event, wake: threading.Event
) -> None:
    """Follow while the session lives and someone may be interested; holds no strong
    reference between reads, so a session nobody keeps is collected and this ends."""
    quiet_since = time.monotonic()
    while not stop.is_set():
        session = ref()
        if session is None:
            return
        session.refresh()
        if session.status == "running" and session.streams is not False:
            session._follow_stream()
            session.refresh()
        now = time.monotonic()
        busy = session.working
        if busy:
            quiet_since = now
        elif now - max(quiet_since, session._last_interest) > session.linger:
            return
        interval = session.poll_interval if busy else session.idle_interval
        del session
        wake.wait(interval)
        wake.clear()


#: One session per task per client, whoever asks (panels, the magic, the tool runner).
_SESSIONS: weakref.WeakKeyDictionary[Any, dict[str, TaskSession]] = weakref.WeakKeyDictionary()
_SESSIONS_LOCK = threading.Lock()


def session_for(client: SessionClient, task_id: str, **options: Any) -> TaskSession:
    """The session of a task for a client: made (and read once) on first use, then shared.

    ``options`` (``poll_interval``, ...) apply when the session is made.
    """
    with _SESSIONS_LOCK:
        sessions = _SESSIONS.setdefault(client, {})
        session = sessions.get(task_id)
        if session is None:
            session = sessions[task_id] = TaskSession(client, task_id, **options)
            made = True
        else:
            made = False
    if made:
        try:
            session.refresh(raise_errors=True)
        except NeoError:
            with _SESSIONS_LOCK:
                if _SESSIONS.get(client, {}).get(task_id) is session:
                    del _SESSIONS[client][task_id]
            raise
    return session


def existing_session(client: SessionClient, task_id: str) -> TaskSession | None:
    """The task's session if one was made for this client, without making one."""
    with _SESSIONS_LOCK:
        return _SESSIONS.get(client, {}).get(task_id)


def all_sessions(client: SessionClient) -> list[TaskSession]:
    """Every session made for this client."""
    with _SESSIONS_LOCK:
        return list(_SESSIONS.get(client, {}).values())
