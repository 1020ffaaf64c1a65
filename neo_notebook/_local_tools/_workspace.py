"""The workspace: the directory Neo's tools run in, and which kinds of tool may run there.

Every CLI-mode tool has a kind (:data:`KINDS`): ``read`` (read, directory_tree, grep,
grep_ast), ``write`` (write, edit, content_replace), ``shell``, ``preview`` and ``up``. A
:class:`Workspace` allows some kinds (``read`` alone by default) and :meth:`Workspace.decide`
says, for one call, whether to run it, ask the person, or refuse it:

- ``refuse``: the task is read-only and the tool writes (``write`` or ``up``), whatever
  ``allow`` says. The CLI leaves read-only to the service; refusing here as well means a
  service-side slip cannot write to the user's disk.
- ``ask``: the kind is neither allowed nor granted (e.g. by "always allow" in the panel).
  A caller with nobody to ask answers :attr:`Decision.refusal_text` as the tool's error.
- ``run``: otherwise, and for a tool name this module does not know: ``run_tool`` then answers
  the CLI's ``tool "<name>" is not available in CLI mode`` error, so every call gets the same
  answer whoever runs it.

>>> import tempfile
>>> ws = Workspace(tempfile.gettempdir(), allow="read,shell")
>>> ws.decide("shell__shell_execute").verdict, ws.decide("filesystem__write").verdict
('run', 'ask')
>>> ws.decide("filesystem__write", read_only=True).verdict
'refuse'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from .._errors import ConfigurationError
from ._paths import Roots

__all__ = ["KINDS", "Decision", "ToolKind", "Workspace", "tool_kind"]

ToolKind = Literal["read", "write", "shell", "preview", "up"]
KINDS: tuple[ToolKind, ...] = get_args(ToolKind)

_KIND_OF: dict[str, ToolKind] = {
    "filesystem__read": "read",
    "filesystem__directory_tree": "read",
    "filesystem__grep": "read",
    "filesystem__grep_ast": "read",
    "filesystem__write": "write",
    "filesystem__edit": "write",
    "filesystem__content_replace": "write",
    "shell__shell_execute": "shell",
    "pulumi__pulumi_preview": "preview",
    "pulumi__pulumi_up": "up",
}
_WRITES: frozenset[ToolKind] = frozenset({"write", "up"})


def tool_kind(name: str) -> ToolKind | None:
    """The kind of the CLI-mode tool `name`, or None for a tool this module does not run.

    >>> tool_kind("filesystem__grep"), tool_kind("todo__TodoWrite")
    ('read', None)
    """
    return _KIND_OF.get(name)


@dataclass(frozen=True)
class Decision:
    """Whether one tool call may run here.

    Attributes:
        verdict: ``run``, ``ask`` (the person decides) or ``refuse``.
        reason: why it is not run outright (empty for ``run``).
        kind: the tool's kind, None for a tool this module does not know.
        refusal_text: the error to answer with when the call is not run (``refuse``, or
            ``ask`` with nobody to ask): what happened and how to allow it.
    """

    verdict: Literal["run", "ask", "refuse"]
    reason: str = ""
    kind: ToolKind | None = None
    refusal_text: str = ""


class Workspace:
    """The directory Neo's local tools run in, and the kinds of tool allowed there.

    Args:
        path: the workspace root (default: the current directory). Relative tool paths are
            joined to it; tools reach nothing outside it but the temp dir(s).
        allow: the kinds that run without asking, as names or one comma-separated string
            (``"read,write"``, as ``%%neo --local --allow read,write`` passes it). Default:
            ``read`` alone.

    Raises:
        ConfigurationError (a ValueError): the path is missing or not a directory, or an
        ``allow`` value is not a kind.

    >>> Workspace("/no/such/dir")
    Traceback (most recent call last):
    ...
    neo_notebook._errors.ConfigurationError: workspace '/no/such/dir' does not exist
    """

    def __init__(
        self, path: str | os.PathLike[str] = ".", *, allow: Iterable[str] | str = ("read",)
    ) -> None:
        given = Path(path).expanduser()
        if not given.exists():
            raise ConfigurationError(f"workspace {str(path)!r} does not exist")
        if not given.is_dir():
            raise ConfigurationError(f"workspace {str(path)!r} is not a directory")
        self.root: Path = Path(os.path.realpath(given))
        self.allow: frozenset[ToolKind] = _kinds(allow)
        self.roots = Roots(self.root)

    def decide(
        self, name: str, *, read_only: bool = False, granted: Iterable[ToolKind] = ()
    ) -> Decision:
        """Whether the tool call `name` runs, waits for the person, or is refused.

        Args:
            read_only: the task is read-only: tools that write are refused.
            granted: kinds the person allowed since (e.g. "always allow" in the panel).
        """
        kind = tool_kind(name)
        if kind is None:
            return Decision("run")
        if read_only and kind in _WRITES:
            reason = f"{name} was not run: this task is read-only and the tool changes things"
            return Decision("refuse", reason, kind, reason)
        if kind in self.allow or kind in frozenset(granted):
            return Decision("run", kind=kind)
        reason = f"{name} needs the {kind!r} permission, which this workspace does not allow"
        wanted = ",".join(k for k in KINDS if k in self.allow or k == kind)
        as_tuple = ", ".join(repr(k) for k in KINDS if k in self.allow or k == kind)
        refusal = (
            f"{name} was not run: the {kind!r} kind is not allowed in the workspace "
            f"{self.root}. To allow it: Workspace({str(self.root)!r}, allow=({as_tuple},)) "
            f"or %%neo --local --allow {wanted}"
        )
        return Decision("ask", reason, kind, refusal)

    def __repr__(self) -> str:
        allowed = ",".join(k for k in KINDS if k in self.allow)
        return f"Workspace({str(self.root)!r}, allow={allowed!r})"


def _kinds(allow: Iterable[str] | str) -> frozenset[ToolKind]:
    names = allow.split(",") if isinstance(allow, str) else list(allow)
    kinds: set[ToolKind] = set()
    for raw in names:
        name = raw.strip()
        if not name and isinstance(allow, str):
            continue
        if name not in KINDS:
            choices = ", ".join(KINDS)
            raise ConfigurationError(f"unknown allow value {name!r}: choose from {choices}")
        kinds.add(name)
    return frozenset(kinds)
