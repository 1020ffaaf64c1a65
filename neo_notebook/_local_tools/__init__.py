"""Neo's tools on the user's machine: the workspace, its allow policy, and the tools themselves.

The CLI-mode tools of Pulumi's own ``pulumi neo`` (pulumi/pulumi ``pkg/cmd/pulumi/neo/tools``),
with the same names, arguments and result shapes (``/work/shared/neo-cli-mode.md``): the
filesystem (read, write, directory_tree, edit, grep, content_replace; grep_ast answers "not
implemented"), ``shell__shell_execute`` and the pulumi preview/up. Nothing here speaks HTTP:
a runner decides with :meth:`Workspace.decide`, runs with :func:`run_tool`, and posts the
:class:`ToolOutcome`'s ``content`` and ``is_error``.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> ws = Workspace(root, allow="read,write")
>>> run_tool(ws, "filesystem__write", {"file_path": "a.txt", "content": "hi\\n"}).content
{'bytes_written': 3}
>>> run_tool(ws, "filesystem__read", {"file_path": "a.txt"}).content
{'content': 'hi\\n'}
>>> run_tool(ws, "filesystem__read", {"file_path": "/etc/passwd"}).is_error
True

Modules: ``_paths`` (the sandbox), ``_workspace`` (kinds, policy), ``_filesystem``,
``_grep``, ``_process`` (capped, cancellable commands), ``_shell``, ``_pulumi``,
``_registry`` (the table of tools, :func:`run_tool`, :func:`preview_change`), ``_asks``
(the questions a person answers, and what a card shows), ``_live`` (a run's coalesced live
tail), and ``_runner`` (the loop that answers Neo's ``cli`` calls once and only once).
"""

from ._asks import Ask, AskAnswer, Asks, ask_details
from ._live import LiveRun, plain_text
from ._outcome import MAX_OUTPUT_BYTES, ToolOutcome
from ._registry import TOOLS, preview_change, run_tool
from ._runner import LocalRun, ToolReporter, ToolRunner, existing_runner, runner_for
from ._workspace import KINDS, Decision, ToolKind, Workspace, tool_kind

__all__ = [
    "KINDS",
    "MAX_OUTPUT_BYTES",
    "TOOLS",
    "Ask",
    "AskAnswer",
    "Asks",
    "Decision",
    "LiveRun",
    "LocalRun",
    "ToolKind",
    "ToolOutcome",
    "ToolReporter",
    "ToolRunner",
    "Workspace",
    "ask_details",
    "existing_runner",
    "plain_text",
    "preview_change",
    "run_tool",
    "runner_for",
    "tool_kind",
]
