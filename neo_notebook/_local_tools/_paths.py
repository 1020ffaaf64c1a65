"""Where a tool may look and write: the workspace root plus the temp dir(s), symlinks resolved.

The same rule as the CLI's ``resolveUnderRoots`` (pulumi/pulumi ``pkg/cmd/pulumi/neo/tools/
paths.go``): a relative path is joined to the root; the result is made absolute, ``..``
folded, and every symlink resolved (for a path that does not exist yet, those of its closest
existing ancestor) *before* it is checked against the roots, so neither ``..`` nor a symlink
inside the workspace that points outside can escape. The error names the joined path and the
roots, in the CLI's words: ``path "<p>" is outside the allowed roots [<root> /tmp]``.

Stricter than the CLI in one way: the temp dirs are roots for absolute paths only. A relative
path is the workspace's, so one that ``..`` takes out of the workspace is refused even where
it would land in ``/tmp`` (a workspace under ``/tmp`` must not leak into its neighbours).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ._outcome import ToolError, go_quote

__all__ = ["Roots", "temp_dirs"]


def temp_dirs() -> list[str]:
    """The temp dirs a tool may also use, as the CLI's extra roots: ``/tmp`` and the OS's."""
    return ["/tmp", tempfile.gettempdir()]


class Roots:
    """The allowed roots: `root` first, then ``/tmp`` and the OS temp dir when they exist."""

    def __init__(self, root: Path) -> None:
        self.root = root
        roots = [root]
        for extra in temp_dirs():
            canonical = Path(os.path.realpath(extra))
            if canonical.is_dir() and canonical not in roots:
                roots.append(canonical)
        self.all: tuple[Path, ...] = tuple(roots)

    def resolve(self, path: str, *, allow_missing: bool = True, only_root: bool = False) -> Path:
        """The absolute, symlink-free path `path` names, or :class:`ToolError`.

        `allow_missing` lets the path (and missing parents) not exist yet, for a write;
        `only_root` allows the workspace root alone (the pulumi tools' project dir).
        """
        if path == "":
            raise ToolError("path is required")
        target = os.path.abspath(os.path.join(self.root, path))
        if not allow_missing and not os.path.lexists(target):
            raise ToolError(
                f"resolving {go_quote(target)}: lstat {target}: no such file or directory"
            )
        # realpath resolves the existing prefix and re-joins the missing tail, as the CLI's
        # evalClosestAncestor does.
        resolved = Path(os.path.realpath(target))
        if not allow_missing and not resolved.exists():
            raise ToolError(f"resolving {go_quote(target)}: no such file or directory")
        relative = not os.path.isabs(path)
        roots = (self.root,) if only_root or relative else self.all
        if any(resolved == root or root in resolved.parents for root in roots):
            return resolved
        listed = " ".join(str(r) for r in roots)
        raise ToolError(f"path {go_quote(target)} is outside the allowed roots [{listed}]")
