"""A local run as it happens: the tail of its output, coalesced for people to watch.

A command may print thousands of lines a second; a person reads a few updates a second.
:class:`LiveRun` keeps the last :data:`TAIL_CHARS` characters of stdout and stderr as they
came (interleaved, each piece tagged with its stream) and calls ``publish`` at most once per
:data:`MIN_INTERVAL` seconds while output flows, with a last call when the run ends, so a
slow consumer (a widget) never sees more than that. Text is made fit to show as it is kept:
ANSI escape sequences are dropped, a carriage return rewrites its line as a terminal would,
and (once the runner's ``redact`` ran) secrets are gone.

>>> plain_text("\\x1b[31mred\\x1b[0m\\n 10%\\r 50%\\r100%\\n")
'red\\n100%\\n'
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["MIN_INTERVAL", "TAIL_CHARS", "LiveRun", "plain_text"]

#: Seconds between two updates of a run's tail, at least (a few a second).
MIN_INTERVAL = 0.25
#: Characters of output kept for the live tail (the result posted to Neo keeps more).
TAIL_CHARS = 4000

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(text: str) -> str:
    """``text`` as a terminal would leave it: no escape sequences or control characters,
    each carriage return starting its line over."""
    text = _CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n")))
    if "\r" not in text:
        return text
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


@dataclass
class LiveRun:
    """One call running (or just run) on this machine, as the panel shows it live.

    ``state``: ``running``, then ``done``, ``timed out``, ``stopped``, ``declined``,
    ``refused``, ``interrupted``, ``not run`` or ``failed``.
    """

    call_id: str
    name: str
    publish: Callable[[LiveRun], None]
    redact: Callable[[str], str] = lambda text: text
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    state: str = "running"
    exit_code: int | None = None
    _pieces: list[tuple[str, str]] = field(default_factory=list)
    _size: int = 0
    _cut: bool = False
    _last: float = 0.0
    _timer: threading.Timer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def output(self, stream: str, text: str) -> None:
        """A chunk of ``stdout`` or ``stderr`` (``run_tool``'s ``on_output``)."""
        with self._lock:
            if self._pieces and self._pieces[-1][0] == stream:
                self._pieces[-1] = (stream, self._pieces[-1][1] + text)
            else:
                self._pieces.append((stream, text))
            self._size += len(text)
            self._trim()
            wait = self._last + MIN_INTERVAL - time.monotonic()
            if wait > 0:
                if self._timer is None:
                    self._timer = threading.Timer(wait, self._flush)
                    self._timer.daemon = True
                    self._timer.start()
                return
            self._last = time.monotonic()
        self.publish(self)

    def finish(self, state: str, exit_code: int | None = None) -> None:
        """The run ended: publish its last tail and how it ended."""
        with self._lock:
            self.state, self.exit_code = state, exit_code
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self.publish(self)

    @property
    def tail(self) -> list[tuple[str, str]]:
        """The kept output as ``(stream, text)`` pieces, fit to show (see :func:`plain_text`)."""
        with self._lock:
            pieces, cut = list(self._pieces), self._cut
        if cut and pieces and "\n" in pieces[0][1]:
            # The tail starts on a whole line: a secret cut in half would escape redaction.
            stream, text = pieces[0]
            pieces[0] = (stream, text[text.index("\n") + 1 :])
        return [(stream, plain_text(self.redact(text))) for stream, text in pieces]

    def as_dict(self) -> dict[str, Any]:
        """What the panel is sent for this run."""
        return {
            "call_id": self.call_id,
            "name": self.name,
            "started_at": self.started_at.isoformat(),
            "state": self.state,
            "exit_code": self.exit_code,
            "tail": [list(piece) for piece in self.tail],
        }

    def _flush(self) -> None:
        with self._lock:
            self._timer = None
            self._last = time.monotonic()
        self.publish(self)

    def _trim(self) -> None:
        while self._size > TAIL_CHARS and self._pieces:
            self._cut = True
            stream, text = self._pieces[0]
            extra = self._size - TAIL_CHARS
            if len(text) <= extra:
                self._pieces.pop(0)
                self._size -= len(text)
            else:
                self._pieces[0] = (stream, text[extra:])
                self._size -= extra
