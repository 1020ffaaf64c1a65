"""The tools by name, and the two calls the runner makes: :func:`run_tool` and
:func:`preview_change`.

The table is the CLI's tool set in CLI mode (``<server>__<method>``). A name not in it, with or
without a server prefix, is answered ``tool "<name>" is not available in CLI mode`` (the CLI
names only the server when the server is unknown, and says ``unknown <server> method`` for a
known server's unknown method; one answer for all three is simpler and as clear).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from . import _filesystem, _grep, _pulumi, _shell
from ._outcome import ToolError, ToolOutcome, arguments, go_quote
from ._paths import Roots
from ._process import OnOutput
from ._workspace import Workspace

__all__ = ["TOOLS", "preview_change", "run_tool"]

_log = logging.getLogger("neo_notebook")

_Tool = Callable[
    [Roots, Mapping[str, object], "threading.Event | None", "OnOutput | None"], ToolOutcome
]


def _not_implemented(roots: Roots, args: Mapping[str, object], *_: object) -> ToolOutcome:
    raise ToolError('filesystem method "grep_ast" is not yet implemented in pulumi neo CLI mode')


TOOLS: dict[str, _Tool] = {
    "filesystem__read": lambda r, a, c, o: _filesystem.read(r, a),
    "filesystem__write": lambda r, a, c, o: _filesystem.write(r, a),
    "filesystem__directory_tree": lambda r, a, c, o: _filesystem.directory_tree(r, a),
    "filesystem__edit": lambda r, a, c, o: _filesystem.edit(r, a),
    "filesystem__grep": lambda r, a, c, o: _grep.grep(r, a),
    "filesystem__content_replace": lambda r, a, c, o: _filesystem.content_replace(r, a),
    "filesystem__grep_ast": _not_implemented,
    "shell__shell_execute": lambda r, a, c, o: _shell.shell_execute(r, a, cancel=c, on_output=o),
    "pulumi__pulumi_preview": lambda r, a, c, o: _pulumi.pulumi_run(
        r, a, up=False, cancel=c, on_output=o
    ),
    "pulumi__pulumi_up": lambda r, a, c, o: _pulumi.pulumi_run(
        r, a, up=True, cancel=c, on_output=o
    ),
}
"""Every tool this package runs, by its CLI-mode name."""


def run_tool(
    workspace: Workspace,
    name: str,
    args: object,
    *,
    cancel: threading.Event | None = None,
    on_output: Callable[[str, str], None] | None = None,
) -> ToolOutcome:
    """Run the CLI-mode tool `name` with `args` (the call's JSON object) in `workspace`.

    Never raises for the tool's sake: an unknown tool, a bad argument, a path outside the
    workspace or a failing command come back as an ``is_error`` outcome whose content the
    runner posts as it is. It does not ask :meth:`Workspace.decide`; the caller does first.

    Args:
        cancel: set it to stop a running shell command or pulumi run (the process tree is
            killed; the outcome holds the partial output).
        on_output: ``on_output(stream, text)`` receives stdout/stderr chunks as they arrive.

    >>> import tempfile
    >>> run_tool(Workspace(tempfile.gettempdir()), "todo__TodoWrite", {}).content
    {'error': 'tool "todo__TodoWrite" is not available in CLI mode'}
    """
    tool = TOOLS.get(name)
    if tool is None:
        return ToolOutcome.error(f"tool {go_quote(name)} is not available in CLI mode")
    try:
        return tool(workspace.roots, arguments(args), cancel, on_output)
    except ToolError as exc:
        return ToolOutcome.error(str(exc))
    except Exception as exc:
        # Every call must be answered (a missing result leaves Neo waiting forever), so even
        # a bug here becomes an error result; the traceback goes to the log.
        _log.exception("local tool %s failed", name)
        return ToolOutcome.error(f"{name} failed: {type(exc).__name__}: {exc}")


def preview_change(workspace: Workspace, name: str, args: object) -> str | None:
    """What a write, edit or content_replace call *would* change, computed without touching
    the disk: a unified diff, or ``new file, N lines``. None for any other tool, and for a call
    that would fail or change nothing (running it then says why)."""
    try:
        return _filesystem.preview(workspace.roots, name, arguments(args))
    except (ToolError, OSError):
        return None
