"""The loop that answers Neo's calls for this machine's tools, once and only once.

In CLI tool-execution mode Neo ends a turn with tool calls marked ``execution_mode: cli``
and waits. For each such call, in order, the runner posts ``exec_tool_call``, runs the tool in
the workspace, and then posts one ``tool_result`` for the whole batch, failures included
(``../shared/neo-cli-mode.md``). Calls of other modes are Neo's own and are never run here.

Once only, whatever happens:

- A call is claimed in a process-wide ledger before anything is posted for it, so two
  panels, a panel and ``run_tools``, or a second ``run_tools`` never run it twice; the
  session's fold (one reading of the history) says which calls are still unanswered, so a
  re-read or a reconnect never brings an answered call back.
- A call whose ``exec_tool_call`` is in the history but that this process never claimed was
  started by a process that died before it answered (a restarted kernel): it is not run
  again but answered as interrupted, so Neo can decide.
- If posting ``exec_tool_call`` fails, the tool is not run (it is answered as not run). A
  result whose post failed is kept and posted again on the next round, never re-run; the
  client's write rules check the history before a resend, so it is recorded once.

Who may run what is the :class:`Workspace`'s: a call it does not allow is asked about when
someone can be asked (``ask``), and otherwise answered as not allowed. A panel asks through
the runner's own board (:attr:`ToolRunner.asks`, :meth:`ToolRunner.ask_person`): the round
blocks until the person answers (:meth:`ToolRunner.answer`), once per call. Cancel stops the
running tool (its whole process tree) or the pending question, answers the batch, then asks
Neo to stop.

While a tool runs, its output is kept as a live tail (:class:`LiveRun`, secrets redacted,
a few updates a second at most) for :meth:`ToolRunner.on_live` listeners to draw.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, Protocol

from .._errors import NeoError
from .._eventlog import ToolRun
from .._redaction import redact_text
from .._session import SessionUpdate, TaskSession
from ._asks import Ask, AskAnswer, Asks, ask_details
from ._live import LiveRun
from ._outcome import JsonValue, ToolOutcome
from ._registry import run_tool
from ._workspace import Decision, ToolKind, Workspace

__all__ = ["LocalRun", "ToolReporter", "ToolRunner", "existing_runner", "runner_for"]

CANCELLED = "cancelled by the user"
Verdict = Literal["ran", "refused", "declined", "interrupted", "not run", "cancelled"]


class ToolReporter(Protocol):
    """The API operations the runner needs (``NeoClient`` has them)."""

    base_url: str
    org: str

    def start_tool_call(self, task_id: str, tool_call_id: str, name: str) -> None: ...
    def send_tool_results(self, task_id: str, results: Sequence[Mapping[str, Any]]) -> None: ...


@dataclass
class LocalRun:
    """One call Neo asked this machine to run, and what became of it.

    ``verdict``: ``ran``; ``refused`` (read-only task, or not allowed with nobody to ask);
    ``declined`` (the person said no); ``interrupted`` (started by a process that died);
    ``not run`` (its start could not be reported, or its arguments were malformed);
    ``cancelled`` (stopped, or never started, because the person cancelled).
    """

    task_id: str
    call_id: str
    name: str
    arguments: Mapping[str, Any] | None
    verdict: Verdict = "ran"
    content: JsonValue = None
    is_error: bool = False
    outcome: ToolOutcome | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    posted: bool = False

    @property
    def item(self) -> dict[str, Any]:
        """The ``tool_results[]`` item that answers this call."""
        return {
            "tool_call_id": self.call_id,
            "name": self.name,
            "content": self.content,
            "is_error": self.is_error,
        }

    @property
    def summary(self) -> str:
        """One line for a person: what ran and how it ended."""
        what = _describe(self.name, self.arguments)
        if self.verdict != "ran":
            return f"{what}: {self.verdict}"
        outcome = self.outcome
        if outcome is not None and outcome.exit_code is not None:
            return f"{what}: exit {outcome.exit_code}" + (
                " (timed out)" if outcome.timed_out else ""
            )
        return f"{what}: {'error' if self.is_error else 'ok'}"


@dataclass
class _Claim:
    """A call claimed by one runner in this process; its run once there is one."""

    owner: ToolRunner
    run: LocalRun | None = None


#: Every call claimed in this process, by (API, org, task id, call id): the once-only ledger.
_LEDGER: dict[tuple[str, str, str, str], _Claim] = {}
_LEDGER_LOCK = threading.Lock()

Asker = Callable[[ToolRun, Decision], "bool | tuple[bool, str]"]


class ToolRunner:
    """Runs a task's ``cli`` calls in a workspace and reports them; one per session.

    Args:
        session: the task's session (its fold says which calls wait).
        workspace: where the tools run, and what runs without asking.
        reporter: posts ``exec_tool_call`` and ``tool_result`` (the client).
        ask: asks the person about a call the workspace does not allow; returns True to run
            it, or ``(False, reason)``. None: nobody to ask, such calls are refused. A panel
            sets it to :meth:`ask_person` (its cards answer through :meth:`answer`).

    Example::

        runner = runner_for(client.session(task_id), Workspace("."), client)
        runs = runner.run_pending()
    """

    def __init__(
        self,
        session: TaskSession,
        workspace: Workspace,
        reporter: ToolReporter,
        *,
        ask: Asker | None = None,
    ) -> None:
        self.session = session
        self.workspace = workspace
        self.reporter = reporter
        self.ask = ask
        #: Kinds the person allowed for this task since (beyond the workspace's).
        self.granted: set[ToolKind] = set()
        self._lock = threading.Lock()  # one batch at a time
        self._follow_lock = threading.Lock()  # start/stop (never waits for a round)
        self._cancel = threading.Event()
        self._running = False
        self._worker: threading.Thread | None = None
        self._stopped = threading.Event()
        self._queued = threading.Event()
        self._listeners: list[Callable[[LocalRun], None]] = []
        #: Every run this runner made, in order.
        self.runs: list[LocalRun] = []
        self._live_listeners: list[Callable[[LiveRun], None]] = []
        self._unsubscribe: Callable[[], None] | None = None
        #: The questions the person has to answer, and their answers (one per call).
        self.asks = Asks()
        #: Each call this runner decided on, as it runs or ran, by call id (the panel's rows).
        self.live: dict[str, LiveRun] = {}

    def __repr__(self) -> str:
        return f"ToolRunner(task_id={self.session.task_id!r}, workspace={self.workspace!r})"

    # -- following the session -----------------------------------------------------------------

    def start(self) -> None:
        """Run calls as they come: on each session update with calls waiting, a round runs
        on this runner's own thread (the session's follower never blocks on a tool). The
        thread is a daemon: a question nobody answers must not hold up the kernel's exit."""
        with self._follow_lock:
            if self._unsubscribe is not None:
                return
            self._stopped = threading.Event()
            self._worker = threading.Thread(
                target=self._work,
                args=(self._stopped,),
                name=f"neo-tools-{self.session.task_id}",
                daemon=True,
            )
            self._unsubscribe = self.session.subscribe(self._on_update)
            self._worker.start()
        self.session.attach(self)
        if self.session.waiting_tool_calls:
            self._schedule()
        self.session.follow()

    def stop(self) -> None:
        """Stop running calls as they come. A round under way finishes: a question still
        open is answered as cancelled (nobody is left to answer it)."""
        with self._follow_lock:
            unsubscribe, self._unsubscribe = self._unsubscribe, None
            worker, self._worker = self._worker, None
        if unsubscribe is not None:
            unsubscribe()
        if worker is not None:
            self._stopped.set()
            self._queued.set()  # wakes the worker, which sees it was stopped
            self.asks.cancel_all()

    def _on_update(self, update: SessionUpdate) -> None:
        if update.events and self.session.waiting_tool_calls:
            self._schedule()

    def _schedule(self) -> None:
        """Ask the worker for a round (several asks before it starts make one round)."""
        if self._worker is not None:
            self._queued.set()

    def _work(self, stopped: threading.Event) -> None:
        while True:
            self._queued.wait()
            if stopped.is_set():
                return
            self._round()

    def _round(self) -> None:
        self._queued.clear()
        try:
            if self.run_pending():
                self.session.refresh_soon()
        except NeoError:
            # Posting failed after the client's retries: the results are kept and the next
            # update (the follower reads on) tries again.
            self.session.refresh_soon()

    def on_run(self, listener: Callable[[LocalRun], None]) -> Callable[[], None]:
        """Call ``listener`` with each run this runner finishes; returns how to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def on_live(self, listener: Callable[[LiveRun], None]) -> Callable[[], None]:
        """Call ``listener`` as each run's live tail or state changes (a few times a second
        at most, from the runner's threads); returns how to stop."""
        self._live_listeners.append(listener)
        return lambda: (
            self._live_listeners.remove(listener) if listener in self._live_listeners else None
        )

    def _publish_live(self, live: LiveRun) -> None:
        for listener in list(self._live_listeners):
            listener(live)

    def _redact(self, text: str) -> str:
        transport = getattr(self.reporter, "transport", None)
        known = getattr(transport, "known_secrets", ())
        return redact_text(text, known=known)[0]

    # -- asking ------------------------------------------------------------------------------

    def ask_person(self, call: ToolRun, decision: Decision) -> bool | tuple[bool, str]:
        """An ``ask`` for a panel: show the call on :attr:`asks` and wait for the answer."""
        details = ask_details(self.workspace, call.name or "", call.arguments)
        ask = Ask(call.call_id or "", call.name or "", decision.kind, decision.reason, details)
        answer = self.asks.wait(ask)
        if answer.cancelled:
            return False, CANCELLED
        return True if answer.allow else (False, answer.reason)

    def answer(self, call_id: str, *, allow: bool, grant: bool = False, reason: str = "") -> bool:
        """The person's decision on a call waiting in :attr:`asks`: run it (``grant``: and
        every call of its kind for the rest of the task), or not (``reason`` reaches Neo).
        False if the call is not waiting, or was decided already (the first answer wins)."""
        ask = self.asks.ask(call_id)
        if ask is None:
            return False
        if allow and grant and ask.kind is not None:
            self.granted.add(ask.kind)
        return self.asks.answer(call_id, AskAnswer(allow, grant and allow, reason.strip()))

    def grant(self, kind: ToolKind, allowed: bool = True) -> None:
        """Allow (or stop allowing) ``kind`` for the rest of this task, beyond the workspace."""
        if allowed:
            self.granted.add(kind)
        else:
            self.granted.discard(kind)

    # -- one round ---------------------------------------------------------------------------

    def run_pending(self) -> list[LocalRun]:
        """Answer every batch of calls now waiting (as the session last read them); returns
        the runs this call made. Raises the client's error if a result cannot be posted
        (it is kept and posted by the next round)."""
        done: list[LocalRun] = []
        with self._lock:
            for batch in _batches(self.session.waiting_tool_calls):
                runs = self._answer(batch)
                if runs is None:
                    continue  # another runner of this process is on it
                done.extend(r for r in runs if r.finished_at is not None and not r.posted)
                self._post(runs)
        return done

    def _answer(self, batch: list[ToolRun]) -> list[LocalRun] | None:
        task_id = self.session.task_id
        runs: list[LocalRun] = []
        for call in batch:
            key = (self.reporter.base_url, self.reporter.org, task_id, call.call_id or "")
            with _LEDGER_LOCK:
                claim = _LEDGER.get(key)
                if claim is None:
                    claim = _LEDGER[key] = _Claim(self)
                elif claim.owner is not self:
                    if not claim.owner.session.stopped:
                        return None  # its runner is on it
                    # Its session was stopped (a panel closed): this runner posts what it ran.
                    claim.owner = self
            if claim.run is None:
                claim.run = self._run(call)
                self.runs.append(claim.run)
                self._finish_live(claim.run)
                for listener in list(self._listeners):
                    listener(claim.run)
            runs.append(claim.run)
        return runs

    def _run(self, call: ToolRun) -> LocalRun:
        """Decide on one call and, if it may, report its start and run it."""
        name = call.name or ""
        run = LocalRun(self.session.task_id, call.call_id or "", name, call.arguments)
        run.started_at = _now()
        if call.runner == "client":  # its start is in the history, but not by this process
            return _refuse(
                run,
                "interrupted",
                f"{name} was interrupted: the process running it stopped before it "
                "finished (the kernel restarted?). It was not run again; run it again if "
                "it is still needed.",
            )
        if self._cancel.is_set():
            return _refuse(run, "cancelled", f"{name} was not run: {CANCELLED}")
        if call.arguments is None:
            return _refuse(
                run,
                "not run",
                f"{name} was not run: its arguments are not a JSON object "
                f"({(call.raw_arguments or '')[:200]!r})",
            )
        task = self.session.task
        read_only = task is not None and task.permission_mode == "read-only"
        decision = self.workspace.decide(name, read_only=read_only, granted=self.granted)
        if decision.verdict == "refuse":
            return _refuse(run, "refused", decision.refusal_text)
        if decision.verdict == "ask":
            if self.ask is None:
                return _refuse(run, "refused", decision.refusal_text)
            answer = self.ask(call, decision)
            allowed, reason = (answer, "") if isinstance(answer, bool) else answer
            given = self.asks.answers.get(run.call_id)
            if self._cancel.is_set() or (given is not None and given.cancelled):
                return _refuse(run, "cancelled", f"{name} was not run: {CANCELLED}")
            if not allowed:
                text = "the user declined" + (f": {reason}" if reason else "")
                return _refuse(run, "declined", f"{name} was not run: {text}")
        try:
            self.reporter.start_tool_call(self.session.task_id, run.call_id, name)
        except NeoError as exc:
            return _refuse(
                run,
                "not run",
                f"{name} was not run: its start could not be reported to Pulumi Cloud ({exc})",
            )
        live = self.live[run.call_id] = LiveRun(run.call_id, name, self._publish_live, self._redact)
        self._publish_live(live)
        self._running = True
        try:
            outcome = run_tool(
                self.workspace, name, call.arguments, cancel=self._cancel, on_output=live.output
            )
        finally:
            self._running = False
        run.outcome, run.content, run.is_error = outcome, outcome.content, outcome.is_error
        if outcome.cancelled:
            run.verdict = "cancelled"
        run.finished_at = _now()
        return run

    def _finish_live(self, run: LocalRun) -> None:
        """Tell the live listeners how ``run`` ended (a refused call gets its row state too)."""
        live = self.live.get(run.call_id)
        if live is None:
            live = self.live[run.call_id] = LiveRun(
                run.call_id, run.name, self._publish_live, self._redact
            )
        outcome = run.outcome
        if run.verdict != "ran":
            state = {"cancelled": "stopped"}.get(run.verdict, run.verdict)
        elif outcome is not None and outcome.timed_out:
            state = "timed out"
        else:
            state = "failed" if run.is_error else "done"
        live.finish(state, outcome.exit_code if outcome is not None else None)

    def _post(self, runs: list[LocalRun]) -> None:
        unposted = [r for r in runs if not r.posted]
        if not unposted:
            return
        # One tool_result per batch, covering every call of it; the client redacts secrets
        # and checks the history before any resend.
        self.reporter.send_tool_results(self.session.task_id, [r.item for r in runs])
        for run in runs:
            run.posted = True

    # -- stopping ------------------------------------------------------------------------------

    def interrupt(self) -> bool:
        """Stop the tool that runs (its whole process tree), answer the batch with what
        happened ("cancelled by the user"), and post it; True if anything was waiting."""
        waiting = bool(self.session.waiting_tool_calls) or self._running
        if not waiting:
            return False
        self._cancel.set()
        try:
            self.asks.cancel_all()  # a question nobody answers must not hold the stop
            with self._lock:  # the round under way ends: its tool was killed
                pass
            # A result that cannot be posted is kept; the cancel's retries wait for it.
            with contextlib.suppress(NeoError):
                self.run_pending()
        finally:
            self._cancel.clear()
        return True


def _refuse(run: LocalRun, verdict: Verdict, message: str) -> LocalRun:
    run.verdict, run.content, run.is_error = verdict, {"error": message}, True
    run.finished_at = _now()
    return run


def _batches(calls: Sequence[ToolRun]) -> list[list[ToolRun]]:
    """Waiting calls grouped by the message that asked for them, in order."""
    batches: dict[str, list[ToolRun]] = {}
    for call in calls:
        if call.call_id:  # a call without an id cannot be answered
            batches.setdefault(call.event_id, []).append(call)
    return list(batches.values())


def _describe(name: str, arguments: Mapping[str, Any] | None) -> str:
    args = arguments or {}
    for key in ("command", "file_path", "path", "pattern", "stack_name"):
        value = args.get(key)
        if isinstance(value, str) and value:
            short = value if len(value) <= 60 else value[:59] + "…"
            return f"{name} {short}"
    return name


def _now() -> datetime:
    return datetime.now(timezone.utc)


#: One runner per session.
_RUNNERS: weakref.WeakKeyDictionary[TaskSession, ToolRunner] = weakref.WeakKeyDictionary()
_RUNNERS_LOCK = threading.Lock()


def existing_runner(session: TaskSession) -> ToolRunner | None:
    """The session's runner if one was made, without making one."""
    with _RUNNERS_LOCK:
        return _RUNNERS.get(session)


def runner_for(
    session: TaskSession, workspace: Workspace, reporter: ToolReporter, **options: Any
) -> ToolRunner:
    """The session's runner (made on first use). A later call with another workspace moves
    the runner there: the newest workspace given is where the task's tools run."""
    with _RUNNERS_LOCK:
        runner = _RUNNERS.get(session)
        if runner is None:
            runner = _RUNNERS[session] = ToolRunner(session, workspace, reporter, **options)
        else:
            runner.workspace = workspace
            if "ask" in options:
                runner.ask = options["ask"]
    return runner
