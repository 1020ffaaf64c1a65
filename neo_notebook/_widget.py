"""NeoChat: the chat panel, an anywidget that shows a Neo conversation live.

How it stays fast and correct:

- Small state (status, task name, entities, approval states, the banner) lives in synced
  traits. Events do not: traitlets resend a whole list on every change, so each new event
  goes to the front-end once, as a custom ``events`` message with its sequence number. A
  view that opens (or reopens after a kernel restart of the page) sends ``sync`` with the
  last sequence it holds and gets exactly what it misses.
- One background thread per chat follows the task. While Neo works it reads the server's
  live event stream where there is one, and otherwise polls every ``poll_interval``
  seconds; while idle it polls every ``idle_interval``; it stops after ``linger`` seconds
  with no running turn and no message from any view. Widget updates from that thread need
  ipykernel >= 7.1 (7.0 dropped them).
- Clicks arrive as messages with a ``request_id``. They are handled on a single worker
  thread (so a handler running on a kernel subshell never races another), answered with an
  ``ack`` carrying the same id, and deduplicated: a resent click never acts twice.
- The client, and so the access token, never enters widget state.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets as t

from ._entities import Entity, PullRequest, Repository, Stack
from ._errors import (
    ApprovalError,
    AuthenticationError,
    ConflictError,
    NeoAPIError,
    NeoConnectionError,
    NeoError,
    PermissionDeniedError,
    RateLimitError,
)
from ._models import ApprovalRequest, ApprovalState, Event, Task, approval_requests
from ._transcript import transcript_html, transcript_markdown

if TYPE_CHECKING:
    from ._client import NeoClient
    from ._tail import EventTail

__all__ = ["NeoChat"]

_STATIC = Path(__file__).parent / "static"
_ACTIONS = ("send", "approve", "decline", "cancel")
#: Events after which the task's status may have changed, so it is read again.
_TURN_EVENTS = frozenset(
    {"assistant_message", "error", "cancelled", "user_approval_request", "awaiting_approvals"}
)
_BUSY = "Neo is working… You can send a message when it finishes, or press Stop."


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
    return {"type": entity.type, "label": label, "url": url}


def event_item(seq: int, event: Event) -> dict[str, Any]:
    """One event as the front-end renders it (see js/src/model.ts)."""
    approvals = event.approval_requests
    content = event.content
    return {
        "seq": seq,
        "id": event.id,
        "kind": event.kind,
        "type": event.type,
        "timestamp": event.timestamp.isoformat() if event.timestamp else None,
        "content": content,
        "tool_calls": [
            {"id": c.id, "name": c.name, "arguments": c.raw_arguments or ""}
            for c in event.tool_calls
        ],
        "tool_call_id": event.tool_call_id,
        "name": event.name,
        "result": event.result,
        "is_error": event.body.get("is_error") is True,
        "approval": (
            {
                "id": approvals[0].id,
                "description": approvals[0].description,
                "malformed": approvals[0].malformed,
            }
            if approvals
            else None
        ),
        "approval_request_id": _str(event.body.get("approval_request_id")),
        "ok": event.body.get("ok") if isinstance(event.body.get("ok"), bool) else None,
        # The rest of the body, for types the panel does not know; what is above is not
        # sent twice (a long history's snapshot is mostly message text).
        "body": {k: v for k, v in event.body.items() if k not in ("content", "tool_calls")},
    }


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def banner_for(exc: BaseException) -> dict[str, str]:
    """The panel's banner for an error: a short title and what to do."""
    titles: Sequence[tuple[type[BaseException], str, str]] = (
        (AuthenticationError, "error", "Not signed in to Pulumi Cloud"),
        (PermissionDeniedError, "error", "No permission for this organization"),
        (ConflictError, "warning", "Neo is still working"),
        (RateLimitError, "warning", "Pulumi Cloud is rate limiting requests"),
        (ApprovalError, "warning", "Nothing to approve"),
        (NeoConnectionError, "error", "Cannot reach Pulumi Cloud; retrying"),
    )
    for cls, level, title in titles:
        if isinstance(exc, cls):
            return {"level": level, "title": title, "message": str(exc)}
    return {"level": "error", "title": "Pulumi Cloud returned an error", "message": str(exc)}


def derive_status(
    task: Task | None, events: Sequence[Event], approvals: Sequence[ApprovalRequest]
) -> str:
    """The panel status: running, awaiting_approval, cancelled, error, idle, or new."""
    if task is None:
        return "new"
    if task.status == "running":
        return "running"
    if any(a.pending for a in approvals):
        return "awaiting_approval"
    # Walk back to the last thing the user did: an error or cancellation since then counts.
    for event in reversed(events):
        if event.type == "error":
            return "error"
        if event.type == "cancelled" or (event.kind == "userInput" and event.type == "user_cancel"):
            return "cancelled"
        if event.kind == "userInput":
            break
    return "idle"


class NeoChat(anywidget.AnyWidget):
    """A live chat panel for one Neo task.

    Args:
        client: the NeoClient to talk through.
        task_id: the task to show; None starts a new conversation with the first message.
        poll_interval: seconds between polls while Neo works (default 0.5).
        idle_interval: seconds between polls while idle (default 5).
        linger: seconds of idleness with no view activity after which polling stops (300).

    Example::

        chat = NeoChat(client)               # or client.chat(task_id)
        chat                                 # shows the panel
        chat.send("Help me optimize my stack")
        chat.wait(); chat.status, chat.pending_approval
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    task_id = t.Unicode(None, allow_none=True).tag(sync=True)
    task_name = t.Unicode("").tag(sync=True)
    status = t.Unicode("new").tag(sync=True)
    entities = t.List(t.Dict()).tag(sync=True)
    approvals = t.Dict(value_trait=t.Unicode()).tag(sync=True)
    pending_approval = t.Dict(None, allow_none=True).tag(sync=True)
    banner = t.Dict(None, allow_none=True).tag(sync=True)
    busy_reason = t.Unicode("").tag(sync=True)
    event_count = t.Int(0).tag(sync=True)

    def __init__(
        self,
        client: NeoClient,
        task_id: str | None = None,
        *,
        poll_interval: float = 0.5,
        idle_interval: float = 5.0,
        linger: float = 300.0,
    ) -> None:
        super().__init__(task_id=task_id)
        self._client = client
        self.poll_interval = poll_interval
        self.idle_interval = idle_interval
        self.linger = linger
        self._lock = threading.RLock()
        self._poll_lock = threading.Lock()
        self._events: list[Event] = []
        self._items: list[dict[str, Any]] = []
        self._approval_list: list[ApprovalRequest] = []
        self._task: Task | None = None
        self._tail: EventTail | None = client.tail(task_id) if task_id else None
        self._acks: dict[str, dict[str, Any]] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neo-chat-actions")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._last_contact = time.monotonic()
        self._display_id = f"neo-chat-{uuid.uuid4().hex}"
        self._displayed = False
        #: Whether the server offers a live event stream (None: not tried yet).
        self._streams: bool | None = None
        self.on_msg(self._on_front_end_message)
        if task_id:
            self.refresh(raise_errors=True)

    def __repr__(self) -> str:
        return f"NeoChat(task_id={self.task_id!r}, status={self.status!r})"

    # -- public API --------------------------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        """The events received so far, oldest first."""
        with self._lock:
            return list(self._events)

    @property
    def client(self) -> NeoClient:
        return self._client

    def send(self, content: str) -> None:
        """Send a message, as if typed in the panel; the first one starts the task."""
        self._send_message(content)
        self._ensure_polling()

    def approve(self, approval_request_id: str | None = None) -> str:
        """Approve the pending request (or the one named); returns its id."""
        approval_id = self._client.approve(self._require_task(), approval_request_id)
        self.refresh_soon()
        return approval_id

    def decline(self, approval_request_id: str | None = None, *, instructions: str = "") -> str:
        """Decline the pending request, optionally saying what to do instead."""
        approval_id = self._client.decline(
            self._require_task(), approval_request_id, instructions=instructions
        )
        self.refresh_soon()
        return approval_id

    def cancel(self) -> None:
        """Ask Neo to stop the running task."""
        self._client.cancel(self._require_task())
        self.refresh_soon()

    def refresh(self, *, raise_errors: bool = False) -> list[Event]:
        """Fetch the task and any new events now; returns the new events.

        Errors become the panel's banner, or raise with ``raise_errors``.
        """
        if not self.task_id or self._tail is None:
            return []
        # One fetch-and-apply at a time, so events from two polls never interleave.
        with self._poll_lock:
            try:
                task = self._client.get_task(self.task_id)
                new = self._tail.poll()
            except NeoError as exc:
                if raise_errors:
                    raise
                self.banner = banner_for(exc)
                return []
            self._apply(task, new)
        return new

    def _follow_stream(self) -> None:
        """Apply events from the live stream until it closes or Neo stops working."""
        if not self.task_id or self._tail is None or self._task is None:
            return
        events = self._tail.follow()
        try:
            for event in events:
                with self._poll_lock:
                    task, batch = self._task, [event]
                    if event.type in _TURN_EVENTS:
                        task = self._client.get_task(self.task_id)
                        if task.status != "running":
                            # The turn ended: its last events may not have streamed yet, and
                            # the panel must not show it finished without them.
                            batch += self._tail.poll()
                    self._apply(task, batch)
                self._streams = True
                if self._stop.is_set() or self.status != "running":
                    return
        except NeoAPIError as exc:
            if exc.status in (404, 405, 501) and self._streams is None:
                self._streams = False  # no stream here: poll
            else:
                self.banner = banner_for(exc)
        except NeoError as exc:
            self.banner = banner_for(exc)
        finally:
            events.close()

    def wait(
        self,
        timeout: float | None = 600.0,
        *,
        on_events: Callable[[list[Event]], None] | None = None,
    ) -> bool:
        """Block until Neo is no longer working; False if ``timeout`` seconds passed first.

        Errors that outlast the client's retries raise; interrupting (Ctrl-C) only stops
        waiting, the task goes on.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            new = self.refresh(raise_errors=True)
            if on_events and new:
                on_events(new)
            if self.status != "running":
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(self.poll_interval)

    def transcript(self) -> str:
        """The conversation as Markdown (the same text saved notebooks show)."""
        with self._lock:
            return transcript_markdown(
                self._events, title=self.task_name, approvals=dict(self.approvals)
            )

    def close(self) -> None:
        """Stop polling and close the widget."""
        self._stop.set()
        self._wake.set()
        self._worker.shutdown(wait=False)
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        markdown = self.transcript()
        data = {**data, "text/markdown": markdown, "text/html": transcript_html(markdown)}
        self._ensure_polling()
        return data, metadata

    def _ipython_display_(self) -> None:
        # Every display of this chat shares one display id, so the transcript saved beside
        # the widget view can be brought up to date when a turn ends (see _apply).
        from IPython.display import display

        data, metadata = self._repr_mimebundle_()
        display(data, metadata=metadata, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]
        self._displayed = True

    def _update_saved_transcript(self) -> None:
        """Refresh what a saved notebook shows where no widget runs (GitHub, nbconvert)."""
        from IPython import get_ipython
        from IPython.display import update_display

        # Only in a kernel: a terminal IPython would print the chat again.
        if not self._displayed or getattr(get_ipython(), "kernel", None) is None:
            return
        data, metadata = self._repr_mimebundle_()
        update_display(data, metadata=metadata, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]

    # -- state -----------------------------------------------------------------------------

    def _apply(self, task: Task, new: Sequence[Event]) -> None:
        with self._lock:
            first_seq = len(self._events)
            self._events.extend(new)
            items = [event_item(first_seq + i, e) for i, e in enumerate(new)]
            self._items.extend(items)
            self._task = task
            self._approval_list = approval_requests(self._events)
            approvals: dict[str, ApprovalState] = {
                a.id: a.state for a in self._approval_list if a.id
            }
            pending = [a for a in self._approval_list if a.pending]
            names = [e.name for e in self._events if e.type == "set_task_name" and e.name]
            status = derive_status(task, self._events, self._approval_list)
            turn_ended = self.status == "running" and status != "running"
            newest: dict[str, Any] | None = (
                {
                    "id": pending[-1].id,
                    "description": pending[-1].description,
                    "malformed": pending[-1].malformed,
                }
                if pending
                else None
            )
            with self.hold_sync():
                self.task_name = task.name or (names[-1] if names else "")
                self.entities = [entity_chip(e) for e in task.entities]
                self.approvals = approvals
                self.pending_approval = newest  # type: ignore[assignment]  # allow_none trait
                self.status = status
                self.busy_reason = _BUSY if status == "running" else ""
                self.event_count = len(self._events)
                self.banner = None  # type: ignore[assignment]  # an allow_none trait
            if items:
                self.send_events(items)
        if turn_ended:  # once per turn: a view re-renders on each update
            self._update_saved_transcript()

    def send_events(self, items: list[dict[str, Any]], *, reset: bool = False) -> None:
        """Send events to every open view (a custom message, not a trait)."""
        self._post({"type": "events", "events": items, "reset": reset})

    def _post(self, message: dict[str, Any]) -> None:
        # ipywidgets' Widget.send under another name: NeoChat.send talks to Neo.
        anywidget.AnyWidget.send(self, message)

    def _require_task(self) -> str:
        if not self.task_id:
            raise ApprovalError("This chat has no task yet: send a message first.")
        return self.task_id

    def _send_message(self, content: str) -> None:
        if self.task_id:
            self._client.send_message(self.task_id, content)
        else:
            task = self._client.create_task(content)
            with self._lock:
                self._tail = self._client.tail(task.id)
                self.task_id = task.id
            self._client._remember_chat(self)
        self.refresh_soon()

    def refresh_soon(self) -> None:
        """Note that something was just sent: show Neo as working and poll now."""
        with self._lock:
            if self._task is not None or self.task_id:
                self.status = "running"
                self.busy_reason = _BUSY
        self._wake.set()
        self._ensure_polling()

    # -- the front-end -----------------------------------------------------------------------

    def _on_front_end_message(self, _: Any, content: Mapping[str, Any], buffers: Any) -> None:
        self._last_contact = time.monotonic()
        kind = content.get("type")
        if kind == "sync":
            after = content.get("after")
            after = after if isinstance(after, int) else -1
            with self._lock:
                missing = self._items[after + 1 :]
            self._post({"type": "events", "events": missing, "reset": after < 0})
            self._ensure_polling()
        elif kind in _ACTIONS:
            request_id = content.get("request_id")
            if not isinstance(request_id, str) or not request_id:
                return
            with self._lock:
                if request_id in self._acks:
                    ack = self._acks[request_id]
                    if ack.get("ok") is not None:
                        self._post(ack)
                    return
                self._acks[request_id] = {"type": "ack", "request_id": request_id, "ok": None}
            self._worker.submit(self._run_action, dict(content))

    def _run_action(self, content: dict[str, Any]) -> None:
        request_id = content["request_id"]
        error: str | None = None
        try:
            kind = content["type"]
            if kind == "send":
                text = content.get("content")
                if not isinstance(text, str):
                    raise ApprovalError("Nothing to send.")
                self._send_message(text)
            elif kind == "approve":
                self.approve(_str(content.get("approval_request_id")))
            elif kind == "decline":
                message = content.get("message")
                self.decline(
                    _str(content.get("approval_request_id")),
                    instructions=message if isinstance(message, str) else "",
                )
            elif kind == "cancel":
                self.cancel()
        except NeoError as exc:
            error = str(exc)
            if not isinstance(exc, (ApprovalError, ConflictError)):
                self.banner = banner_for(exc)
        except Exception as exc:  # a handler must always answer, or the view waits forever
            error = f"{type(exc).__name__}: {exc}"
        ack = {"type": "ack", "request_id": request_id, "ok": error is None, "error": error}
        with self._lock:
            self._acks[request_id] = ack
        self._post(ack)

    # -- polling -----------------------------------------------------------------------------

    def _ensure_polling(self) -> None:
        with self._lock:
            if self._stop.is_set() or not self.task_id:
                return
            if self._poller is not None and self._poller.is_alive():
                self._wake.set()
                return
            self._poller = threading.Thread(
                target=_poll_loop,
                args=(weakref.ref(self), self._stop, self._wake),
                name=f"neo-chat-poll-{self.task_id}",
                daemon=True,
            )
            self._poller.start()


def _poll_loop(
    ref: weakref.ReferenceType[NeoChat], stop: threading.Event, wake: threading.Event
) -> None:
    """Poll while the chat lives and someone may be looking; holds no strong reference
    between polls, so a chat nobody keeps is collected and its poller ends."""
    quiet_since = time.monotonic()
    while not stop.is_set():
        chat = ref()
        if chat is None:
            return
        chat.refresh()
        if chat.status == "running" and chat._streams is not False:
            chat._follow_stream()
            chat.refresh()
        now = time.monotonic()
        running = chat.status == "running"
        if running:
            quiet_since = now
        elif now - max(quiet_since, chat._last_contact) > chat.linger:
            return
        interval = chat.poll_interval if running else chat.idle_interval
        del chat
        wake.wait(interval)
        wake.clear()
