"""Inbox: every task that needs you, in one place, kept live (UI-free; ``NeoInbox`` draws it).

A platform team's tasks are mostly started by schedules, failed deployments, Slack and code
reviews, and several may wait for a person at once. The inbox reads the task list (the API's
filters, done by the server) and follows the most recently active tasks with their
:class:`~neo_notebook._session.TaskSession`, the same sessions chats and ``client.approve``
use, so:

- a task is **Needs you** when its session has an approval request pending, **Working**
  while Neo runs it, and **Recent** otherwise (by last activity);
- a poll costs one list request plus one request per followed task (the listing already says
  each task's status, so a session reads only its new events), read concurrently;
- an answer goes through the task's session, and so through the client's one answer memory:
  approving here and in a chat of the same task sends one confirmation.

Following is capped (``follow_cap``, the most recently active first), and the list shows only
the pages the server has returned until :meth:`Inbox.more` asks for the next one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import partial
from typing import Any, Protocol

from ._chat_items import approval_info, entity_chip
from ._errors import NeoError, NotFoundError, PermissionDeniedError
from ._events import ApprovalRequest, Event, TriggerEvent
from ._models import Task
from ._session import SessionClient, SessionUpdate, TaskSession, existing_session, session_for
from ._transport import Page, Transport

__all__ = ["SECTIONS", "Inbox", "InboxClient"]

SECTIONS = ("needs_you", "working", "recent")
#: What started a task, when no trigger event says it better: (badge, tone).
_SOURCE_BADGES: Mapping[str, tuple[str, str]] = {
    "schedule": ("Schedule", "info"),
    "slack": ("Slack", "info"),
    "code-review": ("Code review", "info"),
    "github": ("GitHub", "info"),
}
_DESCRIPTION_LIMIT = 300
#: A request's type, in words.
_KINDS = {"general": "Approval", "tool_permission": "Tool permission", "plan_exit": "Plan"}
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)

Row = dict[str, Any]
Listener = Callable[[list[Row], list[str], bool], None]


class InboxClient(SessionClient, Protocol):
    """What the inbox needs of a client (``NeoClient`` is one)."""

    @property
    def transport(self) -> Transport: ...
    @property
    def task_filters(self) -> Callable[..., dict[str, Any]]:
        """Checks list filters and turns them into the API's query parameters."""
        ...


class Inbox:
    """The tasks that need you, then those Neo works on, then the rest; kept up to date.

    Args:
        client: the client to read through (its sessions are shared with its chats).
        poll_seconds: how often :meth:`start`'s thread reads the list again.
        follow_cap: how many of the most recently active tasks are followed.
        page_size: tasks per page of the listing.
        filters: the list filters of :meth:`NeoClient.list_tasks` (``query``, ``status``,
            ``sort_by``, ``sort_direction``, ``task_type``, ``exclude_sources``).

    Example::

        inbox = Inbox(client)
        inbox.poll()
        [row["name"] for row in inbox.rows if row["section"] == "needs_you"]
    """

    def __init__(
        self,
        client: InboxClient,
        *,
        poll_seconds: float = 5.0,
        follow_cap: int = 50,
        page_size: int = 50,
        **filters: Any,
    ) -> None:
        if poll_seconds <= 0 or follow_cap < 0:
            raise ValueError("poll_seconds must be positive and follow_cap at least 0")
        self.client = client
        self.poll_seconds = poll_seconds
        self.follow_cap = follow_cap
        self.page_size = page_size
        self.filters: dict[str, Any] = client.task_filters(**filters)  # checked at once
        self.has_more = False
        self.error: NeoError | None = None
        self._pages = 1
        self._tasks: dict[str, Task] = {}  # listed, in the server's order
        self._rows: dict[str, Row] = {}
        self._errors: dict[str, str] = {}  # task id -> why its row cannot be read in full
        self._triggers: dict[str, tuple[str, str]] = {}
        self._followed: dict[str, tuple[TaskSession, Callable[[], None]]] = {}
        self._gone: set[str] = set()  # 404: left the list, never followed again
        self._lock = threading.RLock()
        self._poll_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="neo-inbox")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{s}={sum(1 for r in self.rows if r['section'] == s)}" for s in SECTIONS
        )
        return f"Inbox({counts})"

    # -- what it shows ---------------------------------------------------------------------

    @property
    def rows(self) -> list[Row]:
        """Every row, Needs you first (longest waiting first), then Working, then Recent
        (newest activity first)."""
        with self._lock:
            rows = list(self._rows.values())
        return sorted(rows, key=_row_order)

    @property
    def following(self) -> int:
        return len(self._followed)

    def session(self, task_id: str) -> TaskSession:
        """The task's session (the one its chat and ``client.approve`` use)."""
        return session_for(self.client, task_id)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """``listener(changed_rows, removed_ids, reset)`` after every change."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # -- acting ----------------------------------------------------------------------------

    def approve(self, task_id: str, approval_request_id: str) -> str:
        """Approve one request of a task (through its session: one answer, whoever asks)."""
        with self._refused(task_id):
            return self.session(task_id).approve(approval_request_id)

    def reject(self, task_id: str, approval_request_id: str, instructions: str = "") -> str:
        """Decline one request, telling Neo what to do instead."""
        with self._refused(task_id):
            return self.session(task_id).decline(approval_request_id, instructions=instructions)

    @contextmanager
    def _refused(self, task_id: str) -> Iterator[None]:
        """A 403 on an answer: the row says the user may not answer this task."""
        try:
            yield
        except PermissionDeniedError as exc:
            self._errors[task_id] = f"You may not answer this task (403): {exc}"
            self._on_session(task_id, None)
            raise

    def card(self, task_id: str) -> dict[str, Any] | None:
        """The full approval card of the task's pending request, as the chat draws it."""
        followed = self._followed.get(task_id)
        if followed is None:
            return None
        session = followed[0]
        pending = [a for a in session.approval_requests if a.pending]
        return approval_info(pending[-1], session.log) if pending else None

    def set_filters(self, **filters: Any) -> None:
        """New list filters (checked, done by the server); the list starts again from its
        first page."""
        checked = self.client.task_filters(**filters)
        with self._lock:
            self.filters, self._pages = checked, 1
        self.poll(reset=True)

    def more(self) -> None:
        """Show the server's next page too."""
        with self._lock:
            self._pages += 1
        self.poll()

    # -- reading ---------------------------------------------------------------------------

    def poll(self, *, reset: bool = False) -> None:
        """Read the list (the pages shown) and the followed tasks' new events, once."""
        with self._poll_lock:
            try:
                tasks, has_more = self._list()
            except NeoError as exc:
                self.error = exc
                self._publish([], [], False)
                return
            self.error = None
            with self._lock:
                self._tasks = {t.id: t for t in tasks if t.id and t.id not in self._gone}
                self.has_more = has_more
                wanted = self._follow_set()
                stale = [tid for tid in self._followed if tid not in wanted]
                for task_id in stale:
                    self._unfollow(task_id)
                unread = [tid for tid in wanted if tid not in self._followed]
            if reset or unread:
                # Paint what the listing says at once; the sessions read next fill it in.
                self._rebuild(reset=reset)
                reset = False
            # A task's session reads its new events only: the listing gave its status.
            list(self._pool.map(self._read, [self._tasks[tid] for tid in wanted]))
            self._rebuild(reset=reset)

    def _list(self) -> tuple[list[Task], bool]:
        transport = self.client.transport
        pages: Iterator[Page] = transport.pages(
            transport.path("tasks"), "tasks", self.page_size, params=self.filters
        )
        tasks: list[Task] = []
        has_more = False
        for number, page in enumerate(pages, start=1):
            tasks += [Task.from_json(i) for i in page.items if isinstance(i, Mapping)]
            has_more = bool(page.next_token)
            if number >= self._pages:
                break
        return tasks, has_more

    def _follow_set(self) -> list[str]:
        """The ``follow_cap`` most recently active listed tasks (caller holds the lock)."""
        recent = sorted(self._tasks.values(), key=_activity, reverse=True)
        return [t.id for t in recent[: self.follow_cap]]

    def _read(self, task: Task) -> None:
        try:
            followed = self._followed.get(task.id)
            if followed is None:
                known = existing_session(self.client, task.id)
                # A session made here has just read the task whole: no second read.
                session = known or session_for(self.client, task.id)
                with self._lock:
                    unsubscribe = session.subscribe(partial(self._on_session, task.id))
                    self._followed[task.id] = (session, unsubscribe)
                self._learn_triggers(task.id, session.events)
                if known is None:
                    self._errors.pop(task.id, None)
                    return
            else:
                session = followed[0]
            self._learn_triggers(task.id, session.refresh(raise_errors=True, task=task))
            self._errors.pop(task.id, None)
        except NotFoundError:
            with self._lock:
                self._gone.add(task.id)
                self._tasks.pop(task.id, None)
                self._unfollow(task.id)
        except PermissionDeniedError as exc:
            self._errors[task.id] = f"No permission to read or answer this task (403): {exc}"
        except NeoError as exc:
            self._errors[task.id] = f"Could not read this task's events: {exc}"

    def _learn_triggers(self, task_id: str, events: Sequence[Event]) -> None:
        if task_id in self._triggers:
            return
        for event in events:
            if event.triggers:
                self._triggers[task_id] = _trigger_badge(event.triggers[0])
                return

    def _unfollow(self, task_id: str) -> None:
        followed = self._followed.pop(task_id, None)
        if followed is not None:
            followed[1]()

    def _on_session(self, task_id: str, update: SessionUpdate | None) -> None:
        """A followed session changed (an answer from a chat, a poll of its own): its row."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return
            row = self._row(task)
            if row == self._rows.get(task_id):
                return
            self._rows[task_id] = row
        self._publish([row], [], False)

    def _rebuild(self, *, reset: bool) -> None:
        with self._lock:
            rows = {tid: self._row(task) for tid, task in self._tasks.items()}
            removed = [tid for tid in self._rows if tid not in rows]
            changed = [row for tid, row in rows.items() if self._rows.get(tid) != row]
            self._rows = rows
        if reset:
            self._publish(self.rows, [], True)
        elif changed or removed:
            self._publish(changed, removed, False)

    def _publish(self, changed: list[Row], removed: list[str], reset: bool) -> None:
        for listener in list(self._listeners):
            listener(changed, removed, reset)

    def _row(self, task: Task) -> Row:
        """What the list shows of one task (caller holds the lock)."""
        followed = self._followed.get(task.id)
        session = followed[0] if followed else None
        request: ApprovalRequest | None = None
        status = task.status or "idle"
        if session is not None and session.task is not None:
            status = session.status
            # Pending on the server, answered from here or not: an answer shows on the row.
            pending = [a for a in session.approval_requests if a.pending]
            request = pending[-1] if pending else None
        if status == "running":
            section = "working"
        elif request is not None:
            section = "needs_you"
        else:
            section = "recent"
        answer = None
        if request is not None and request.id is not None:
            sent = self.client.answers(task.id).get(request.id)
            if sent is not None:
                answer = {"ok": sent.ok, "at": sent.at.isoformat()}
        badge = self._triggers.get(task.id) or _source_badge(task)
        error = self._errors.get(task.id)
        return {
            "id": task.id,
            "name": task.name or (session.log.name if session else None) or "(unnamed task)",
            "section": section,
            "status": status,
            "source": task.source,
            "trigger": {"label": badge[0], "tone": badge[1]},
            "waiting_since": _iso(request.timestamp) if request else None,
            "last_activity": _iso(_activity(task)),
            "tokens_used": task.tokens_used,
            "entities": [entity_chip(e) for e in task.entities],
            "request": _request(request, session) if request and session else None,
            "answer": answer,
            "error": error,
            "can_answer": error is None
            and request is not None
            and request.id is not None
            and not request.malformed,
        }

    # -- living ----------------------------------------------------------------------------

    def start(self) -> None:
        """Poll every ``poll_seconds`` on a thread of its own until :meth:`stop`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="neo-inbox-poll", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Poll now."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            for task_id in list(self._followed):
                self._unfollow(task_id)
        self._pool.shutdown(wait=False)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.poll()
            self._wake.wait(max(0.0, self.poll_seconds - (time.monotonic() - started)))
            self._wake.clear()


def _activity(task: Task) -> datetime:
    """When the task last did something: its last heartbeat (for an idle task, its newest
    event), else its creation."""
    return task.last_heartbeat or task.created_at or _EPOCH


def _row_order(row: Row) -> tuple[int, float]:
    section = SECTIONS.index(row["section"])
    if row["section"] == "needs_you":  # the longest waiting first
        since = row["waiting_since"] or row["last_activity"]
        return section, _timestamp(since)
    return section, -_timestamp(row["last_activity"])


def _timestamp(text: str | None) -> float:
    if not text:
        return 0.0
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0.0


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _trigger_badge(trigger: TriggerEvent) -> tuple[str, str]:
    """What started the turn, in a word or two: the kinds a team knows (a schedule, a failed
    deployment, Slack, a code review), else the trigger's own badge."""
    kind = f"{trigger.event_type or ''} {trigger.provider or ''}".lower()
    tone = trigger.badge_tone or "info"
    if "deployment" in kind and ("fail" in kind or (trigger.badge_label or "").lower() == "failed"):
        return "Failed deployment", trigger.badge_tone or "danger"
    if "schedule" in kind:
        return "Schedule", tone
    if "slack" in kind:
        return "Slack", tone
    if "review" in kind or "pull_request" in kind:
        return "Code review", tone
    return trigger.badge_label or trigger.title or trigger.provider or "Automation", tone


def _source_badge(task: Task) -> tuple[str, str]:
    if task.source and task.source in _SOURCE_BADGES:
        return _SOURCE_BADGES[task.source]
    if task.task_type == "async" or task.trigger_type:
        return ("Automation", "info")
    name = task.created_by.get("name") or task.created_by.get("githubLogin")
    return (str(name) if isinstance(name, str) and name else "A person", "person")


def _request(request: ApprovalRequest, session: TaskSession) -> dict[str, Any]:
    info = approval_info(request, session.log)
    description = " ".join(request.description.split())
    if len(description) > _DESCRIPTION_LIMIT:
        description = description[: _DESCRIPTION_LIMIT - 1] + "…"
    return {
        "id": request.id,
        "kind": _KINDS.get(request.approval_type or "general", "Approval"),
        "description": description,
        "sensitive": request.sensitive,
        "tool": info["tool_name"],
        "files": [{"file": d.file, "added": d.added, "removed": d.removed} for d in request.diff],
    }
