"""shell__shell_execute: ``sh -c <command>`` in the workspace, as the CLI runs it.

Its own process group (so a timeout or a cancel kills the whole tree), ``AI_AGENT=neo`` in
the environment, the cwd inside an allowed root (a relative cwd is joined to the workspace
root; the CLI resolves it against its own working directory, which is the root anyway),
timeout 120 s by default, stdout and stderr each capped at 1 MiB while they stream.

The result is the CLI's: ``{"stdout", "stderr", "exit_code", "error"?, "truncated"?,
"timed_out"?}``. A non-zero exit is not an error; a timeout is (``is_error`` with the partial
output, ``timed_out: true`` and, as in the CLI, no ``error`` text), and so is a cancel (the
partial output and ``error: "cancelled by the user"``). A command killed by a signal reports
``exit_code: -1``, as Go does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from ._outcome import ToolError, ToolOutcome, number, string
from ._paths import Roots
from ._process import OnOutput, run_process

__all__ = ["DEFAULT_TIMEOUT", "shell_execute"]

DEFAULT_TIMEOUT = 120.0
"""Seconds a command may run when the call gives no timeout (the CLI's two minutes)."""

CANCELLED = "cancelled by the user"


def shell_execute(
    roots: Roots,
    args: Mapping[str, object],
    *,
    cancel: threading.Event | None = None,
    on_output: OnOutput | None = None,
) -> ToolOutcome:
    command = string(args, "command", "")
    if command == "":
        raise ToolError("shell_execute requires a non-empty command")
    timeout = number(args, "timeout", 0.0)
    if timeout < 0:
        raise ToolError(f"shell_execute timeout must be non-negative, got {timeout:g}")
    cwd_arg = string(args, "cwd", "")
    cwd = roots.resolve(cwd_arg, allow_missing=False) if cwd_arg else roots.root
    if not cwd.is_dir():
        raise ToolError(f"chdir {cwd}: not a directory")
    env = {k: v for k, v in os.environ.items() if k != "AI_AGENT"}
    env["AI_AGENT"] = "neo"
    done = run_process(
        ["sh", "-c", command],
        cwd=cwd,
        env=env,
        timeout=timeout or DEFAULT_TIMEOUT,
        cancel=cancel,
        on_output=on_output,
    )
    content: dict[str, object] = {
        "stdout": done.stdout,
        "stderr": done.stderr,
        "exit_code": done.exit_code,
    }
    if done.error:
        content["error"] = done.error
    elif done.cancelled:
        content["error"] = CANCELLED
    if done.truncated:
        content["truncated"] = True
    if done.timed_out:
        content["timed_out"] = True
    return ToolOutcome(
        content,  # type: ignore[arg-type]
        is_error=done.timed_out or done.cancelled or done.error is not None,
        exit_code=done.exit_code,
        timed_out=done.timed_out,
        cancelled=done.cancelled,
        truncated=done.truncated,
    )
