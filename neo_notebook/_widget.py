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
- The chat draws a :class:`~neo_notebook._session.TaskSession`, which follows the task (one
  per task per client, shared with the magic and the local tool runner): the stream while
  Neo works, polls otherwise. Its updates arrive on the session's thread; widget updates
  from a thread need ipykernel >= 7.1 (7.0 dropped them).
- Clicks arrive as messages with a ``request_id``. They are handled on a single worker
  thread (so a handler running on a kernel subshell never races another), answered with an
  ``ack`` carrying the same id, and deduplicated: a resent click never acts twice.
- Tools Neo runs on this machine (a chat whose task has a runner, ``client.chat(task_id,
  workspace=ws)`` or ``%%neo --local``): the panel becomes the runner's ``ask``. The questions
  and their answers are the runner's (``runner.asks``); the panel draws them (the
  ``local_asks`` and ``local_decisions`` traits) and forwards clicks (``allow``, ``reject``,
  ``grant``), so one decision per call holds however many views click. Live tails come as
  ``live`` messages (a trait would resend every run's tail on each change), a few a second.
- Clicks reach a kernel busy in ``chat.wait()`` or a ``%%neo --wait`` cell through kernel
  subshells (JEP 91): JupyterLab >= 4.4 and Notebook 7 send each comm target's messages on a
  subshell of its own when the kernel has them (ipykernel >= 7), and a subshell runs beside
  the busy main shell. One thing stands in the way: ipykernel 7.4 routes a comm's incoming
  messages to the subshell its last outgoing message was sent from (so a cell awaiting a
  widget's reply gets it), and this panel sends from the session's threads, whose parent is
  the busy cell: every click would queue behind it. The panel never awaits a reply in a cell,
  so its comm keeps the subshell the front-end chose (:func:`_keep_front_end_subshell`).
  ``jupyter-ui-poll`` is the older answer: it swaps ipykernel's ``execute_request`` handler,
  lifts a private lock for ipykernel 7, and needs the waiting code to pump the kernel itself;
  it broke on ipykernel 6 and again on 7. Subshells are the kernel's own, documented way.
- The client, and so the access token, never enters widget state. The panel needs only
  what :class:`ChatClient` names, so it does not depend on the client's module; the
  registry that gives each task one chat per client (:func:`chat_for`) lives here.
"""

from __future__ import annotations

import threading
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
    NeoConnectionError,
    NeoError,
    PermissionDeniedError,
    RateLimitError,
)
from ._eventlog import EventLog
from ._events import ApprovalRequest, Event
from ._local_tools import KINDS, AskAnswer, LiveRun, ToolRunner, existing_runner
from ._models import Task
from ._session import SessionClient, SessionUpdate, TaskSession, session_for
from ._transcript import transcript_html, transcript_markdown

if TYPE_CHECKING:
    from ._attachments import Context

__all__ = ["ChatClient", "NeoChat", "chat_for"]

_STATIC = Path(__file__).parent / "static"
#: Actions a 409 ("a previous request is still pending") does not lose: kept and resent.
_KEPT_ON_CONFLICT = frozenset({"approve", "decline"})
_KEPT_NOTE = "Neo is still finishing its turn: your answer is kept and sent as soon as it can be."
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


class ChatClient(SessionClient, Protocol):
    """What the chat panel needs of a client (``NeoClient`` is one)."""

    def create_task(self, message: str, *, context: Context = None) -> Task: ...
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
    if chat is None or chat.closed:
        chat = NeoChat(client, task_id)  # registers itself
    return chat


def _decision_text(answer: AskAnswer) -> str:
    if answer.cancelled:
        return "Stopped before it ran"
    if not answer.allow:
        return "Rejected" + (f" ({answer.reason})" if answer.reason else "")
    return "Allowed for the rest of the task" if answer.grant else "Allowed"


def _keep_front_end_subshell(widget: anywidget.AnyWidget) -> None:
    """Let the front-end's messages run on the subshell it sent them to, not on the shell the
    widget last published from (ipykernel >= 7.4's reply routing; see the module docstring).
    A kernel without that routing (ipykernel 6, marimo, VS Code's) is left alone."""
    comm = getattr(widget, "comm", None)
    if comm is not None and callable(getattr(comm, "_reply_subshell_for", None)):
        comm._reply_subshell_for = lambda data, default: default


def _register(chat: NeoChat) -> NeoChat:
    """Remember a chat as its task's panel, unless the task already has an open one."""
    assert chat.task_id
    with _CHATS_LOCK:
        chats = _CHATS.setdefault(chat.client, {})
        known = chats.get(chat.task_id)
        if known is None or known.closed:
            chats[chat.task_id] = chat
            return chat
        return known


class NeoChat(anywidget.AnyWidget):
    """A live chat panel for one Neo task.

    Args:
        client: the NeoClient to talk through.
        task_id: the task to show; None starts a new conversation with the first message.
        poll_interval: seconds between polls while Neo works (default 0.5).
        idle_interval: seconds between polls while idle (default 5).
        linger: seconds of idleness with no view activity after which polling stops (300).

    The panel draws the task's session (:attr:`session`), which the magic and the local tool
    runner share: what it shows and what they see cannot disagree.

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
    #: Answers kept until the service takes them (it said 409 while Neo's turn was ending),
    #: by request id: the card says why it still waits.
    kept = t.Dict(value_trait=t.Unicode()).tag(sync=True)
    banner = t.Dict(None, allow_none=True).tag(sync=True)
    busy_reason = t.Unicode("").tag(sync=True)
    event_count = t.Int(0).tag(sync=True)
    approval_mode = t.Unicode(None, allow_none=True).tag(sync=True)
    plan_mode = t.Bool(None, allow_none=True).tag(sync=True)
    permission_mode = t.Unicode(None, allow_none=True).tag(sync=True)
    context = t.Dict(None, allow_none=True).tag(sync=True)
    tokens_used = t.Int(None, allow_none=True).tag(sync=True)
    console_url = t.Unicode(None, allow_none=True).tag(sync=True)
    #: Where Neo's tools run on this machine: ``{"path", "allow", "granted", "kinds"}``.
    workspace = t.Dict(None, allow_none=True).tag(sync=True)
    #: Calls asked about, by call id (``runner.asks.asked``, drawn as cards; those without a
    #: decision wait for the person).
    local_asks = t.Dict().tag(sync=True)
    #: The decision on each asked call, by call id (``runner.asks.answers``).
    local_decisions = t.Dict().tag(sync=True)

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
        self._options = {
            "poll_interval": poll_interval,
            "idle_interval": idle_interval,
            "linger": linger,
        }
        self._lock = threading.RLock()
        self._items: list[dict[str, Any]] = []
        self._session: TaskSession | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._approvals_seen = -1
        self._acks: dict[str, dict[str, Any]] = {}
        #: Answers the service refused with 409 while Neo's turn was ending: kept, and sent
        #: again when the task is read not running (their views keep waiting meanwhile).
        self._deferred: list[dict[str, Any]] = []
        self._runner: ToolRunner | None = None
        self._runner_unsubscribe: list[Callable[[], None]] = []
        self._live: dict[str, dict[str, Any]] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neo-chat-actions")
        self._display_id = f"neo-chat-{uuid.uuid4().hex}"
        self._displayed = False
        self.closed = False
        self.on_msg(self._on_front_end_message)
        _keep_front_end_subshell(self)
        if task_id:
            self._attach(session_for(client, task_id, **self._options))
            _register(self)

    def __repr__(self) -> str:
        return f"NeoChat(task_id={self.task_id!r}, status={self.status!r})"

    # -- public API --------------------------------------------------------------------------

    @property
    def poll_interval(self) -> float:
        """Seconds between reads while Neo works (the session's)."""
        return self._session.poll_interval if self._session else self._options["poll_interval"]

    @poll_interval.setter
    def poll_interval(self, value: float) -> None:
        self._options["poll_interval"] = value
        if self._session is not None:
            self._session.poll_interval = value

    @property
    def session(self) -> TaskSession | None:
        """The task's session (None until the first message starts the task)."""
        return self._session

    @property
    def events(self) -> list[Event]:
        """The events received so far, oldest first."""
        return self._session.events if self._session else []

    @property
    def client(self) -> ChatClient:
        return self._client

    @property
    def approval_requests(self) -> list[ApprovalRequest]:
        """Every approval request so far, with its state."""
        return self._session.approval_requests if self._session else []

    @property
    def pending_approval(self) -> ApprovalRequest | None:
        """The newest request still waiting for an answer (not one this process answered)."""
        return self._session.pending_approval if self._session else None

    def send_message(self, content: str, *, context: Context = None) -> None:
        """Send a message, as if typed in the panel; the first one starts the task.

        ``context`` attaches notebook data (``{"df_drift": df}``; see
        :meth:`NeoClient.send_message`); the panel shows each attachment as a chip.
        """
        if self._session is not None:
            self._session.send_message(content, context=context)
            return
        task = self._client.create_task(content, context=context)
        with self._lock:
            self.task_id = task.id
            self._attach(session_for(self._client, task.id, **self._options), announce=True)
        _register(self)
        self._require_session().refresh_soon()

    def approve(self, approval_request_id: str | None = None) -> str:
        """Approve the pending request (or the one named); returns its id."""
        return self._require_session().approve(approval_request_id)

    def decline(self, approval_request_id: str | None = None, *, instructions: str = "") -> str:
        """Decline the pending request, optionally saying what to do instead."""
        return self._require_session().decline(approval_request_id, instructions=instructions)

    def cancel(self) -> None:
        """Ask Neo to stop the running task (and any tool it runs on this machine)."""
        self._require_session().cancel()

    def update_task(
        self,
        *,
        approval_mode: str | None = None,
        plan_mode: bool | None = None,
        permission_mode: str | None = None,
    ) -> Task:
        """Change the task's approval mode (``manual``, ``balanced``, ``auto``), plan mode or
        permission mode (``default``, ``read-only``), as the panel's header does."""
        return self._require_session().update_task(
            approval_mode=approval_mode, plan_mode=plan_mode, permission_mode=permission_mode
        )

    def refresh(self, *, raise_errors: bool = False) -> list[Event]:
        """Fetch the task and any new events now; returns the new events.

        Errors become the panel's banner, or raise with ``raise_errors``.
        """
        if self._session is None:
            return []
        return self._session.refresh(raise_errors=raise_errors)

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
        if self._session is None:
            return True
        return self._session.wait(timeout, on_events=on_events)

    def refresh_soon(self) -> None:
        """Note that something was just sent: show Neo as working and poll now."""
        if self._session is not None:
            self._session.refresh_soon()

    @property
    def runner(self) -> ToolRunner | None:
        """The runner of Neo's tools on this machine this panel supervises, if any."""
        return self._runner

    def supervise(self, runner: ToolRunner) -> None:
        """Ask the person in this panel about the calls ``runner``'s workspace does not
        allow, and show its runs live; idempotent (``client.chat(..., workspace=)`` calls it)."""
        with self._lock:
            if self._runner is runner:
                return
            self._stop_supervising()
            self._runner = runner
            runner.ask = runner.ask_person
            self._runner_unsubscribe = [
                runner.asks.subscribe(self._draw_asks),
                runner.on_live(self._on_live),
            ]
            for live in list(runner.live.values()):
                self._live[live.call_id] = live.as_dict()
        self._draw_asks()

    def _stop_supervising(self) -> None:
        runner = self._runner
        if runner is None:
            return
        for unsubscribe in self._runner_unsubscribe:
            unsubscribe()
        self._runner_unsubscribe = []
        if runner.ask == runner.ask_person:
            runner.ask = None  # nobody left to ask: refused, as headless
        self._runner = None

    def _draw_asks(self) -> None:
        runner = self._runner
        if runner is None:
            return
        ws = runner.workspace
        with self._lock, self.hold_sync():
            self.workspace = {
                "path": str(ws.root),
                "allow": [k for k in KINDS if k in ws.allow],
                "granted": [k for k in KINDS if k in runner.granted and k not in ws.allow],
                "kinds": list(KINDS),
            }
            self.local_asks = {
                a.call_id: {
                    "call_id": a.call_id,
                    "name": a.name,
                    "kind": a.kind,
                    "reason": a.reason,
                    "details": dict(a.details),
                    "asked_at": a.asked_at.isoformat(),
                }
                for a in runner.asks.asked
            }
            self.local_decisions = {
                call_id: {
                    "allow": a.allow,
                    "grant": a.grant,
                    "reason": a.reason,
                    "cancelled": a.cancelled,
                }
                for call_id, a in runner.asks.answers.items()
            }

    def _on_live(self, live: LiveRun) -> None:
        run = live.as_dict()
        with self._lock:
            self._live[live.call_id] = run
        self.send({"type": "live", "runs": [run]})

    def transcript(self) -> str:
        """The conversation as Markdown (the same text saved notebooks show)."""
        runner = self._runner
        decisions = (
            {call_id: _decision_text(a) for call_id, a in runner.asks.answers.items()}
            if runner is not None
            else None
        )
        return transcript_markdown(self.events, title=self.task_name, decisions=decisions)

    def close(self) -> None:
        """Close the panel; the task stops being followed when nothing else follows it."""
        self.closed = True
        with self._lock:
            self._stop_supervising()
        if self._unsubscribe is not None:
            self._unsubscribe()
        session = self._session
        if session is not None and not session.has_subscribers:
            session.stop()
        self._worker.shutdown(wait=False)
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        markdown = self.transcript()
        data = {**data, "text/markdown": markdown, "text/html": transcript_html(markdown)}
        self._follow()
        return data, metadata

    def _ipython_display_(self) -> None:
        # Every display of this chat shares one display id, so the transcript saved beside
        # the widget view can be brought up to date when a turn ends (see _on_update).
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

    # -- drawing the session -------------------------------------------------------------------

    def _attach(self, session: TaskSession, *, announce: bool = False) -> None:
        """Draw ``session``: what it already holds at once (sent to the open views with
        ``announce``), then each update as it comes."""
        self._session = session
        with self._lock:
            # A session made before this panel (by the magic, say) holds events already:
            # they are laid out as if they had just arrived, by folding them once more.
            replay = EventLog(session.task_id)
            self._items = [
                event_item(seq, event, replay.add(event), replay)
                for seq, event in enumerate(session.events)
            ]
            self._draw(session, task_changed=True)
            if announce and self._items:
                self._send_items(list(self._items))
        self._unsubscribe = session.subscribe(self._on_update)
        runner = existing_runner(session)
        if runner is not None:
            self.supervise(runner)

    def _on_update(self, update: SessionUpdate) -> None:
        """One update of the session: new items to the views, the traits brought up to date.
        Costs the same per event however long the history (only approvals are looked at
        again, and only when they changed)."""
        session = self._session
        if session is None:
            return
        with self._lock:
            log = session.log
            items = [
                event_item(update.start + i, event, runs, log)
                for i, (event, runs) in enumerate(zip(update.events, update.runs, strict=True))
            ]
            self._items.extend(items)
            if update.error is not None:
                self.banner = banner_for(update.error)
            else:
                self._draw(session, task_changed=update.task_changed)
            if items:
                self._send_items(items)
        if update.turn_ended:  # once per turn: a view re-renders on each update
            self._update_saved_transcript()
        if update.status != "running" and update.error is None and self._deferred:
            with self._lock:
                deferred, self._deferred = self._deferred, []
            for content in deferred:
                self._worker.submit(self._run_action, content)

    def _draw(self, session: TaskSession, *, task_changed: bool) -> None:
        """The traits from the session (caller holds the lock)."""
        task = session.task
        log = session.log
        status = session.status
        answers = {
            approval_id: {"ok": answer.ok, "at": answer.at.isoformat()}
            for approval_id, answer in session.answers.items()
        }
        with self.hold_sync():
            if task is not None and task_changed:
                self._set_task_traits(task)
            self.task_name = (task.name if task else "") or log.name or ""
            if log.approvals_version != self._approvals_seen:
                self._approvals_seen = log.approvals_version
                self.approvals = {a.id: a.state for a in log.approvals if a.id}
            if answers != self.answers:
                self.answers = answers
            self.status = status
            self.busy_reason = _BUSY if status == "running" else ""
            self.event_count = session.event_count
            if session.error is None:
                self.banner = None  # type: ignore[assignment]  # an allow_none trait

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

    def _send_items(self, items: list[dict[str, Any]]) -> None:
        """Send new items to every open view (a custom message, not a trait)."""
        self.send({"type": "events", "events": items, "reset": False})

    def _require_session(self) -> TaskSession:
        if self._session is None:
            raise ApprovalError("This chat has no task yet: send a message first.")
        return self._session

    def _follow(self) -> None:
        if self._session is not None and not self.closed:
            self._session.follow()

    # -- the front-end -----------------------------------------------------------------------

    def _on_front_end_message(self, _: Any, content: Mapping[str, Any], buffers: Any) -> None:
        if self._session is not None:
            self._session.touch()
        kind = content.get("type")
        if kind == "sync":
            after = content.get("after")
            after = after if isinstance(after, int) else -1
            with self._lock:
                missing = self._items[after + 1 :]
                live = list(self._live.values())
            self.send({"type": "events", "events": missing, "reset": after < 0})
            if live:
                self.send({"type": "live", "runs": live})
            self._follow()
        elif kind in _ACTION_HANDLERS:
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

    def _local_action(self, kind: str, content: Mapping[str, Any]) -> None:
        """A click on an ask card or the header's workspace: the runner decides."""
        runner = self._runner
        if runner is None:
            raise ApprovalError("Neo's tools do not run on this machine for this task.")
        if kind == "grant":
            name = content.get("kind")
            if name not in KINDS:
                raise ApprovalError(f"Unknown kind of tool: {name!r}.")
            runner.grant(name, content.get("allowed") is not False)
            self._draw_asks()
            return
        call_id = _str(content.get("call_id")) or ""
        reason = _str(content.get("reason")) or ""
        done = runner.answer(
            call_id, allow=kind == "allow", grant=content.get("grant") is True, reason=reason
        )
        if not done:
            # Another view, or code, decided first: the card shows that decision.
            raise ApprovalError("This call was already decided.")

    def _act_send(self, content: Mapping[str, Any]) -> None:
        text = content.get("content")
        if not isinstance(text, str):
            raise ApprovalError("Nothing to send.")
        self.send_message(text)

    def _act_approve(self, content: Mapping[str, Any]) -> None:
        self.approve(_str(content.get("approval_request_id")))

    def _act_decline(self, content: Mapping[str, Any]) -> None:
        message = content.get("message")
        self.decline(
            _str(content.get("approval_request_id")),
            instructions=message if isinstance(message, str) else "",
        )

    def _act_cancel(self, content: Mapping[str, Any]) -> None:
        self.cancel()

    def _act_settings(self, content: Mapping[str, Any]) -> None:
        plan = content.get("plan_mode")
        self.update_task(
            approval_mode=_str(content.get("approval_mode")),
            plan_mode=plan if isinstance(plan, bool) else None,
            permission_mode=_str(content.get("permission_mode")),
        )

    def _act_local(self, content: Mapping[str, Any]) -> None:
        self._local_action(str(content["type"]), content)

    def _run_action(self, content: dict[str, Any]) -> None:
        request_id = content["request_id"]
        error: str | None = None
        try:
            _ACTION_HANDLERS[content["type"]](self, content)
        except ConflictError as exc:
            if content["type"] in _KEPT_ON_CONFLICT and not self.closed:
                # Neo's turn is still ending: the answer is kept and sent when the service
                # takes it (a request no longer pending then is refused, naming why).
                with self._lock:
                    self._deferred.append(content)
                    approval_id = _str(content.get("approval_request_id"))
                    if approval_id:
                        self.kept = {**self.kept, approval_id: _KEPT_NOTE}
                return
            error = str(exc)
        except NeoError as exc:
            error = str(exc)
            if not isinstance(exc, (ApprovalError, ConfigurationError)):
                self.banner = banner_for(exc)
        except Exception as exc:  # a handler must always answer, or the view waits forever
            error = f"{type(exc).__name__}: {exc}"
        ack = {"type": "ack", "request_id": request_id, "ok": error is None, "error": error}
        with self._lock:
            self._acks[request_id] = ack
            approval_id = _str(content.get("approval_request_id"))
            if approval_id in self.kept:
                self.kept = {k: v for k, v in self.kept.items() if k != approval_id}
        self.send(ack)


#: The panel's actions, by the message type that asks for them: a new one is a row here.
_ACTION_HANDLERS: dict[str, Callable[[NeoChat, Mapping[str, Any]], None]] = {
    "send": NeoChat._act_send,
    "approve": NeoChat._act_approve,
    "decline": NeoChat._act_decline,
    "cancel": NeoChat._act_cancel,
    "settings": NeoChat._act_settings,
    "allow": NeoChat._act_local,
    "reject": NeoChat._act_local,
    "grant": NeoChat._act_local,
}
