"""Running a command for a tool: its own process group, output capped while it streams, a
timeout and a cancel that kill the whole tree, live chunks for a UI.

Output is read in 64 KiB chunks from both pipes with one selector (no threads); at most
``cap`` bytes of each stream are kept and the rest is read and dropped, so the child never
blocks on a full pipe and a command printing 100 MB costs this process about the cap.
On a timeout or a cancel the process group gets SIGKILL (or first SIGINT, when the caller
asks for a grace period: the pulumi CLI then cancels its update cleanly); grandchildren that
left the group and still hold the pipes are waited for one more second, as the CLI's
``WaitDelay`` does (five seconds after a normal exit).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ._outcome import MAX_OUTPUT_BYTES

__all__ = ["Finished", "OnOutput", "run_process"]

OnOutput = Callable[[str, str], None]
"""``on_output(stream, text)``: a chunk of ``stdout`` or ``stderr`` as it arrives."""

_CHUNK = 64 * 1024
_AFTER_EXIT = 5.0  # the CLI's WaitDelay: how long a finished command's pipes may stay open
_AFTER_KILL = 1.0


@dataclass
class _Stream:
    name: str
    cap: int
    on_output: OnOutput | None
    kept: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace")
    )

    def feed(self, data: bytes) -> None:
        room = self.cap - len(self.kept)
        if len(data) > room:
            self.truncated = True
            data = data[: max(room, 0)]
        if not data:
            return
        self.kept += data
        if self.on_output is not None:
            text = self.decoder.decode(data)
            if text:
                self.on_output(self.name, text)

    def text(self) -> str:
        return bytes(self.kept).decode("utf-8", "replace")


@dataclass(frozen=True)
class Finished:
    """How a command ended. `exit_code` is -1 when a signal ended it (as Go reports it)."""

    stdout: str
    stderr: str
    exit_code: int
    truncated: bool
    timed_out: bool
    cancelled: bool
    error: str | None = None


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float | None,
    cancel: threading.Event | None = None,
    on_output: OnOutput | None = None,
    cap: int = MAX_OUTPUT_BYTES,
    interrupt_grace: float = 0.0,
) -> Finished:
    """Run `argv` to its end, a timeout, or `cancel`; never raises for the command's sake."""
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, to kill the whole tree
        )
    except OSError as exc:
        return Finished("", "", 0, False, False, False, error=f"{argv[0]}: {exc.strerror or exc}")
    assert process.stdout is not None and process.stderr is not None
    streams = {
        process.stdout.fileno(): _Stream("stdout", cap, on_output),
        process.stderr.fileno(): _Stream("stderr", cap, on_output),
    }
    selector = selectors.DefaultSelector()
    for fd in streams:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    deadline = None if timeout is None else time.monotonic() + timeout
    timed_out = cancelled = False
    interrupted_at: float | None = None
    stop_reading_at: float | None = None
    try:
        while True:
            now = time.monotonic()
            if not (timed_out or cancelled):
                if cancel is not None and cancel.is_set():
                    cancelled = True
                elif deadline is not None and now >= deadline:
                    timed_out = True
                if timed_out or cancelled:
                    if interrupt_grace > 0:
                        _signal_group(process, signal.SIGINT)
                        interrupted_at = now
                    else:
                        _signal_group(process, signal.SIGKILL)
                        stop_reading_at = now + _AFTER_KILL
            if interrupted_at is not None and now >= interrupted_at + interrupt_grace:
                _signal_group(process, signal.SIGKILL)
                interrupted_at = None
                stop_reading_at = now + _AFTER_KILL
            if stop_reading_at is None and process.poll() is not None:
                stop_reading_at = now + _AFTER_EXIT
            if stop_reading_at is not None and now >= stop_reading_at:
                break
            if not selector.get_map():
                if process.poll() is not None:
                    break
                time.sleep(0.05)  # both pipes closed, the command still running
                continue
            for key, _ in selector.select(timeout=0.05):
                fd = int(key.fd)
                try:
                    data = os.read(fd, _CHUNK)
                except BlockingIOError:
                    continue
                if data:
                    streams[fd].feed(data)
                else:
                    selector.unregister(fd)
    finally:
        selector.close()
        if process.poll() is None and (timed_out or cancelled):
            _signal_group(process, signal.SIGKILL)
        process.stdout.close()
        process.stderr.close()
        code = process.wait()
    out, err = streams.values()
    return Finished(
        stdout=out.text(),
        stderr=err.text(),
        exit_code=code if code >= 0 else -1,
        truncated=out.truncated or err.truncated,
        timed_out=timed_out,
        cancelled=cancelled,
    )


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
