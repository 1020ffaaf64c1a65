"""Asking the person about a call the workspace does not allow, and what they answered.

The runner's round (on its own thread) blocks in :meth:`Asks.wait` until someone answers
with :meth:`Asks.answer`: a click in any view of the task's panel, or code. One decision per
call: the first answer wins, however many clicks or views; later ones change nothing and
say so (False). A cancel (:meth:`Asks.cancel_all`) answers every pending ask as cancelled,
so Stop never waits behind a question nobody answers.

The board holds no UI: the panel draws :attr:`Asks.pending` and :attr:`Asks.answers` and
forwards clicks; what a card shows comes from :func:`ask_details`, computed here without
touching the disk.

>>> import threading
>>> asks = Asks()
>>> ask = Ask("call_1", "shell__shell_execute", "shell", "needs shell", {"command": "ls"})
>>> answering = threading.Timer(0.05, asks.answer, ("call_1", AskAnswer(False, reason="no")))
>>> answering.start()
>>> asks.wait(ask)
AskAnswer(allow=False, grant=False, reason='no', cancelled=False)
>>> asks.answer("call_1", AskAnswer(True))  # one decision per call
False
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ._outcome import ToolError
from ._registry import preview_change
from ._shell import DEFAULT_TIMEOUT
from ._workspace import ToolKind, Workspace

__all__ = ["Ask", "AskAnswer", "Asks", "ask_details"]


@dataclass(frozen=True)
class Ask:
    """A call waiting for the person: what it is and what it would do (:func:`ask_details`)."""

    call_id: str
    name: str
    kind: ToolKind | None
    reason: str
    details: Mapping[str, Any]
    asked_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass(frozen=True)
class AskAnswer:
    """The person's decision on one call.

    ``grant``: allow the call's kind for the rest of the task (the runner adds it to
    ``granted``). ``reason``: why not, for a rejection; Neo reads "the user declined: <reason>".
    ``cancelled``: nobody decided, the task was stopped.
    """

    allow: bool
    grant: bool = False
    reason: str = ""
    cancelled: bool = False


class Asks:
    """The pending asks of one runner, by call id, and the answer each got."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: dict[str, Ask] = {}  # every ask; pending = not answered
        self._answers: dict[str, AskAnswer] = {}
        self._listeners: list[Callable[[], None]] = []

    @property
    def pending(self) -> list[Ask]:
        """The asks nobody has answered yet, oldest first."""
        with self._cond:
            return [a for c, a in self._pending.items() if c not in self._answers]

    @property
    def asked(self) -> list[Ask]:
        """Every ask made, answered or not, oldest first (a view opened later shows them)."""
        with self._cond:
            return list(self._pending.values())

    @property
    def answers(self) -> dict[str, AskAnswer]:
        """Every answer given, by call id."""
        with self._cond:
            return dict(self._answers)

    def ask(self, call_id: str) -> Ask | None:
        """The pending ask of ``call_id``, if it waits."""
        with self._cond:
            return None if call_id in self._answers else self._pending.get(call_id)

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after each change (an ask made or answered); returns how to stop."""
        with self._cond:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._cond:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def wait(self, ask: Ask, timeout: float | None = None) -> AskAnswer:
        """Show ``ask`` and block until it is answered (or cancelled); a call answered before
        gets its answer at once. ``timeout`` (None: no limit) answers as cancelled."""
        with self._cond:
            if ask.call_id not in self._answers:
                self._pending[ask.call_id] = ask
        self._changed()
        with self._cond:
            answered = self._cond.wait_for(lambda: ask.call_id in self._answers, timeout)
            if not answered:
                self._answers[ask.call_id] = AskAnswer(False, cancelled=True)
            answer = self._answers[ask.call_id]
        if not answered:
            self._changed()
        return answer

    def answer(self, call_id: str, answer: AskAnswer) -> bool:
        """Decide on ``call_id``; False if it is not waiting or was decided already."""
        with self._cond:
            if call_id not in self._pending or call_id in self._answers:
                return False
            self._answers[call_id] = answer
            self._cond.notify_all()
        self._changed()
        return True

    def cancel_all(self) -> int:
        """Answer every pending ask as cancelled; returns how many there were."""
        with self._cond:
            waiting = [c for c in self._pending if c not in self._answers]
            for call_id in waiting:
                self._answers[call_id] = AskAnswer(False, cancelled=True)
            self._cond.notify_all()
        if waiting:
            self._changed()
        return len(waiting)

    def _changed(self) -> None:
        with self._cond:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()


def ask_details(workspace: Workspace, name: str, args: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a call would do, for the person deciding on it; nothing is run or written.

    - shell: ``command``, ``cwd`` (absolute), ``timeout`` (seconds);
    - write, edit, content_replace: ``file`` and ``diff`` (a unified diff, computed locally)
      or ``new_file`` ("new file, N lines"), or ``note`` when it would change nothing;
    - preview, up: ``stack``, ``program`` (the folder), ``env_names`` (names only: values,
      secret or not, are never shown);
    - anything else: ``path``/``pattern`` where the call has them.

    >>> import tempfile
    >>> ws = Workspace(tempfile.gettempdir())
    >>> ask_details(ws, "shell__shell_execute", {"command": "ls", "timeout": 5})["timeout"]
    5.0
    """
    values = args or {}
    text = {k: v for k, v in values.items() if isinstance(v, str)}
    if name == "shell__shell_execute":
        cwd = text.get("cwd", "")
        try:
            where = str(workspace.roots.resolve(cwd, allow_missing=False)) if cwd else None
        except ToolError as exc:
            where = f"{cwd} ({exc})"
        timeout = values.get("timeout")
        seconds = float(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else None
        return {
            "command": text.get("command", ""),
            "cwd": where or str(workspace.root),
            "timeout": seconds or DEFAULT_TIMEOUT,
        }
    if name in ("filesystem__write", "filesystem__edit", "filesystem__content_replace"):
        target = text.get("file_path") or text.get("path") or ""
        change = preview_change(workspace, name, dict(values))
        if change is None:
            return {
                "file": target,
                "note": "Nothing to change, or it cannot apply (see why if run).",
            }
        if change.startswith("new file, "):
            return {"file": target, "new_file": change}
        return {"file": target, "diff": change}
    if name in ("pulumi__pulumi_preview", "pulumi__pulumi_up"):
        env = values.get("environment_variables")
        return {
            "stack": text.get("stack_name", ""),
            "program": text.get("local_pulumi_dir", ""),
            "env_names": sorted(str(k) for k in env) if isinstance(env, Mapping) else [],
        }
    return {k: text[k] for k in ("file_path", "path", "pattern") if k in text}
