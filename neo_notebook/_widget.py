"""NeoChat: the chat panel, an anywidget that shows a Neo conversation live.

How it stays fast and correct:

- Events are read and folded once (``_events.EventLog``), event by event, so a new event
  costs the same however long the history. Small state (status, task name, modes, entities,
  approval states, the banner) lives in synced traits. Events do not: traitlets resend a
  whole list on every change, so each new event goes to the front-end once, already turned
  into what it shows (``_chat_items``), as a custom ``events`` message with its sequence
  number. A
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
- The client, and so the access token, never enters widget state. The panel needs only
  what :class:`ChatClient` names, so it does not depend on the client's module; the
  registry that gives each task one chat per client (:func:`chat_for`) lives here.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anywidget
import traitlets as t

from ._chat_items import entity_chip, event_item
from ._errors import (
    ApprovalError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    NeoAPIError,
    NeoConnectionError,
    NeoError,
    PermissionDeniedError,
    RateLimitError,
)
from ._eventlog import EventLog
from ._events import Answer, ApprovalRequest, Event
from ._models import Task
from ._transcript import transcript_html, transcript_markdown

if TYPE_CHECKING:
    from ._attachments import Context
    from ._tail import EventTail

__all__ = ["ChatClient", "NeoChat", "chat_for"]

_STATIC = Path(__file__).parent / "static"
_ACTIONS = ("send", "approve", "decline", "cancel", "settings")
#: Events after which the task's status may have changed, so it is read again.
_TURN_EVENTS = frozenset(
    {"assistant_message", "error", "cancelled", "user_approval_request", "awaiting_approvals"}
)
_BUSY = "Neo is working… You can send a message when it finishes, or press Stop."


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


def derive_status(task: Task | None, log: EventLog) -> str:
    """The panel status: running, awaiting_approval, cancelled, error, idle, or new."""
    if task is None:
        return "new"
    if task.status == "running":
        return "running"
    if log.pending_approvals:
        return "awaiting_approval"
    return log.outcome or "idle"


class ChatClient(Protocol):
    """What the chat panel needs of a client (``NeoClient`` is one)."""

    def get_task(self, task_id: str) -> Task: ...
    def tail(self, task_id: str) -> EventTail: ...
    def create_task(self, message: str, *, context: Context = None) -> Task: ...
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
    def console_url(self, task_id: str) -> str | None: ...


#: One chat per task per client, so every view of a task's panel stays in sync.
_CHATS: weakref.WeakKeyDictionary[Any, dict[str, NeoChat]] = weakref.WeakKeyDictionary()
_CHATS_LOCK = threading.Lock()


def chat_for(client: ChatClient, task_id: str | None = None) -> NeoChat:
    """The chat panel of a task for a client (made once, then shared), or a new
    conversation when no task is given."""
    if not task_id:
        return NeoChat(client)
    with _CHATS_LOCK:
        chats = _CHATS.setdefault(client, {})
        chat = chats.get(task_id)
    if chat is None:
        chat = NeoChat(client, task_id)  # registers itself
    return chat


def _register(chat: NeoChat) -> NeoChat:
    """Remember a chat as its task's panel, unless the task already has one."""
    assert chat.task_id
    with _CHATS_LOCK:
        return _CHATS.setdefault(chat.client, {}).setdefault(chat.task_id, chat)


class NeoChat(anywidget.AnyWidget):
    """A live chat panel for one Neo task.

    Args:
        client: the NeoClient to talk through.
        task_id: the task to show; None starts a new conversation with the first message.
        poll_interval: seconds between polls while Neo works (default 0.5).
        idle_interval: seconds between polls while idle (default 5).
        linger: seconds of idleness with no view activity after which polling stops (300).

    Example::

        chat = client.chat()                 # or client.chat(task_id)
        chat                                 # shows the panel
        chat.send_message("Help me optimize my stack")
        chat.wait(); chat.status, chat.pending_approval
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    task_id = t.Unicode(None, allow_none=True).tag(sync=True)
    task_name = t.Unicode("").tag(sync=True)
    status = t.Unicode("new").tag(sync=True)
    entities = t.List(t.Dict()).tag(sync=True)
    approvals = t.Dict(value_trait=t.Unicode()).tag(sync=True)
    #: Answers this process sent, by request id: the card shows them before Neo records them.
    answers = t.Dict().tag(sync=True)
    banner = t.Dict(None, allow_none=True).tag(sync=True)
    busy_reason = t.Unicode("").tag(sync=True)
    event_count = t.Int(0).tag(sync=True)
    approval_mode = t.Unicode(None, allow_none=True).tag(sync=True)
    plan_mode = t.Bool(None, allow_none=True).tag(sync=True)
    permission_mode = t.Unicode(None, allow_none=True).tag(sync=True)
    context = t.Dict(None, allow_none=True).tag(sync=True)
    tokens_used = t.Int(None, allow_none=True).tag(sync=True)
    console_url = t.Unicode(None, allow_none=True).tag(sync=True)

    def __init__(
        self,
        client: ChatClient,
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
        self._log = EventLog(task_id)
        self._approvals_seen = 0
        self._items: list[dict[str, Any]] = []
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
            _register(self)
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
    def client(self) -> ChatClient:
        return self._client

    @property
    def approval_requests(self) -> list[ApprovalRequest]:
        """Every approval request so far, with its state."""
        with self._lock:
            return self._log.approvals

    @property
    def pending_approval(self) -> ApprovalRequest | None:
        """The newest request still waiting for an answer (not one this process answered)."""
        with self._lock:
            answered = self.answers
            pending = [a for a in self._log.pending_approvals if a.id not in answered]
        return pending[-1] if pending else None

    def send_message(self, content: str, *, context: Context = None) -> None:
        """Send a message, as if typed in the panel; the first one starts the task.

        ``context`` attaches notebook data (``{"df_drift": df}``; see
        :meth:`NeoClient.send_message`); the panel shows each attachment as a chip.
        """
        if self.task_id:
            self._client.send_message(self.task_id, content, context=context)
        else:
            task = self._client.create_task(content, context=context)
            with self._lock:
                self._tail = self._client.tail(task.id)
                self._log.task_id = task.id
                self.task_id = task.id
            _register(self)
        self.refresh_soon()

    def approve(self, approval_request_id: str | None = None) -> str:
        """Approve the pending request (or the one named); returns its id."""
        try:
            return self._client.approve(self._require_task(), approval_request_id)
        finally:
            self._answered()

    def decline(self, approval_request_id: str | None = None, *, instructions: str = "") -> str:
        """Decline the pending request, optionally saying what to do instead."""
        try:
            return self._client.decline(
                self._require_task(), approval_request_id, instructions=instructions
            )
        finally:
            self._answered()

    def cancel(self) -> None:
        """Ask Neo to stop the running task."""
        self._client.cancel(self._require_task())
        self.refresh_soon()

    def update_task(
        self,
        *,
        approval_mode: str | None = None,
        plan_mode: bool | None = None,
        permission_mode: str | None = None,
    ) -> Task:
        """Change the task's approval mode (``manual``, ``balanced``, ``auto``), plan mode or
        permission mode (``default``, ``read-only``), as the panel's header does."""
        task = self._client.update_task(
            self._require_task(),
            approval_mode=approval_mode,
            plan_mode=plan_mode,
            permission_mode=permission_mode,
        )
        with self._lock, self.hold_sync():
            self._task = task
            self._set_task_traits(task)
            self.task_name = task.name or self._log.name or ""
        return task

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
            return transcript_markdown(self._events, title=self.task_name)

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
        """Fold new events in and send them to the views; costs the same per event however
        long the history (only the approvals, few, are looked at again)."""
        with self._lock:
            items = []
            for event in new:
                seq = len(self._events)
                self._events.append(event)
                runs = self._log.add(event)
                items.append(event_item(seq, event, runs, self._log))
            self._items.extend(items)
            fresh = task is not self._task  # read anew: its header traits may have changed
            self._task = task
            status = derive_status(task, self._log)
            turn_ended = self.status == "running" and status != "running"
            with self.hold_sync():
                if fresh:
                    self._set_task_traits(task)
                self.task_name = task.name or self._log.name or ""
                if self._log.approvals_version != self._approvals_seen:
                    self._approvals_seen = self._log.approvals_version
                    self.approvals = {a.id: a.state for a in self._log.approvals if a.id}
                self.status = status
                self.busy_reason = _BUSY if status == "running" else ""
                self.event_count = len(self._events)
                self.banner = None  # type: ignore[assignment]  # an allow_none trait
            if items:
                self._send_items(items)
        if turn_ended:  # once per turn: a view re-renders on each update
            self._update_saved_transcript()

    def _set_task_traits(self, task: Task) -> None:
        """The header's traits from the task (caller holds the lock and ``hold_sync``)."""
        entities = [entity_chip(e) for e in task.entities]
        if entities != self.entities:
            self.entities = entities
        self.approval_mode = task.approval_mode
        self.plan_mode = task.plan_mode
        self.permission_mode = task.permission_mode
        self.tokens_used = task.tokens_used
        used, window = task.context_used_tokens, task.context_window_tokens
        context = (
            {
                "used": used,
                "window": window,
                "threshold_percent": task.context_compaction_threshold_percent,
            }
            if used is not None and window
            else None
        )
        if context != self.context:
            self.context = context  # type: ignore[assignment]  # an allow_none trait
        if self.console_url is None and self.task_id:
            self.console_url = self._client.console_url(self.task_id)

    def _answered(self) -> None:
        """Show the answers this process sent (at once, before Neo records them)."""
        if not self.task_id:
            return
        answers = {
            approval_id: {"ok": answer.ok, "at": answer.at.isoformat()}
            for approval_id, answer in self._client.answers(self.task_id).items()
        }
        if answers != self.answers:
            self.answers = answers
        self.refresh_soon()

    def _send_items(self, items: list[dict[str, Any]]) -> None:
        """Send new items to every open view (a custom message, not a trait)."""
        self.send({"type": "events", "events": items, "reset": False})

    def _require_task(self) -> str:
        if not self.task_id:
            raise ApprovalError("This chat has no task yet: send a message first.")
        return self.task_id

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
            self.send({"type": "events", "events": missing, "reset": after < 0})
            self._ensure_polling()
        elif kind in _ACTIONS:
            request_id = content.get("request_id")
            if not isinstance(request_id, str) or not request_id:
                return
            with self._lock:
                if request_id in self._acks:
                    ack = self._acks[request_id]
                    if ack.get("ok") is not None:
                        self.send(ack)
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
                self.send_message(text)
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
            elif kind == "settings":
                plan = content.get("plan_mode")
                self.update_task(
                    approval_mode=_str(content.get("approval_mode")),
                    plan_mode=plan if isinstance(plan, bool) else None,
                    permission_mode=_str(content.get("permission_mode")),
                )
        except NeoError as exc:
            error = str(exc)
            if not isinstance(exc, (ApprovalError, ConflictError, ConfigurationError)):
                self.banner = banner_for(exc)
        except Exception as exc:  # a handler must always answer, or the view waits forever
            error = f"{type(exc).__name__}: {exc}"
        ack = {"type": "ack", "request_id": request_id, "ok": error is None, "error": error}
        with self._lock:
            self._acks[request_id] = ack
        self.send(ack)

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
