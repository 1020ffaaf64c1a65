"""The filesystem tools: read, write, directory_tree, edit, content_replace.

Each mirrors the CLI's (pulumi/pulumi ``pkg/cmd/pulumi/neo/tools/filesystem.go``), which in
turn mirrors the cloud agent's tools, so the agent reads the same text wherever a call ran:
the edit messages are the CLI's word for word, its diff is go-difflib's (a port of Python's
difflib, so :mod:`difflib` gives the same hunks once lines are split the Go way), sorting is
by the path string, binary means "has a NUL byte".

Deliberate differences: an empty directory lists as ``{"entries": []}`` (the CLI sends
``null``), and unreadable entries are skipped instead of failing the whole listing.

The ``plan_*`` functions compute a change without touching the disk; the tools apply the plan,
and :func:`preview` shows it for an approval card.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ._outcome import (
    MAX_OUTPUT_BYTES,
    ToolError,
    ToolOutcome,
    boolean,
    go_quote,
    integer,
    string,
)
from ._paths import Roots

__all__ = [
    "content_replace",
    "directory_tree",
    "edit",
    "preview",
    "read",
    "unified_diff",
    "walk_matching",
    "write",
]


def read(roots: Roots, args: Mapping[str, object]) -> ToolOutcome:
    path = roots.resolve(string(args, "file_path"))
    offset = integer(args, "offset", 0)
    limit = integer(args, "limit", 0)
    content = _read_text(path)
    if offset > 0 or limit > 0:
        lines = content.split("\n")
        if offset >= len(lines):
            content = ""
        else:
            lines = lines[max(offset, 0) :]
            if 0 < limit < len(lines):
                lines = lines[:limit]
            content = "\n".join(lines)
    return ToolOutcome({"content": content})


def write(roots: Roots, args: Mapping[str, object]) -> ToolOutcome:
    path = roots.resolve(string(args, "file_path"))
    content = string(args, "content")
    before = _existing_text(path)
    _put(path, content)
    diff = unified_diff(str(path), before or "", content) if before is not None else None
    return ToolOutcome({"bytes_written": len(content.encode())}, diff=diff or None)


def directory_tree(roots: Roots, args: Mapping[str, object]) -> ToolOutcome:
    top = roots.resolve(string(args, "path"))
    depth = integer(args, "depth", 1)
    if depth <= 0:
        depth = 1
    if not top.exists():
        raise ToolError(f"lstat {top}: no such file or directory")
    entries: list[dict[str, object]] = []

    def visit(directory: Path, prefix: str, level: int) -> None:
        try:
            children = list(os.scandir(directory))
        except OSError:
            return
        for child in children:
            name = prefix + child.name
            is_dir = child.is_dir(follow_symlinks=False)
            entries.append({"name": name, "is_dir": is_dir})
            if is_dir and level < depth:
                visit(Path(child.path), name + os.sep, level + 1)

    if top.is_dir():
        visit(top, "", 1)
    entries.sort(key=lambda e: str(e["name"]))
    return ToolOutcome({"entries": entries})  # type: ignore[dict-item]


# --- edit --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """A change worked out but not yet made: `text` is the file's new content (None: no
    change), `message` the tool's answer."""

    path: Path
    before: str | None
    text: str | None
    message: str


def plan_edit(roots: Roots, args: Mapping[str, object]) -> _Plan:
    given = string(args, "file_path")
    path = roots.resolve(given)
    old = string(args, "old_string")
    new = string(args, "new_string")
    expected = integer(args, "expected_replacements", 1)

    def refuse(message: str) -> _Plan:
        return _Plan(path, None, None, message)

    if expected < 0:
        return refuse("Error: Parameter 'expected_replacements' must be a non-negative number")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if old == "":
            size = len(new.encode())
            return _Plan(path, None, new, f"Successfully created file: {given} ({size} bytes)")
        raise ToolError(f"open {path}: no such file or directory") from None
    except OSError as exc:
        raise ToolError(_os_error("open", path, exc)) from None
    if old.strip() == "":
        return refuse("Error: Parameter 'old_string' cannot be empty for existing files")
    try:
        original = raw.decode()
    except UnicodeDecodeError:
        return refuse(f"Error: Cannot edit binary file: {given}")
    occurrences = original.count(old)
    if occurrences == 0:
        return refuse(
            "Error: The specified old_string was not found in the file content. "
            "Please check that it matches exactly, including all whitespace and indentation."
        )
    if occurrences != expected:
        return refuse(
            f"Error: Found {occurrences} occurrences of the specified old_string, but expected "
            f"{expected}. Change your old_string to uniquely identify the target text, "
            f"or set expected_replacements={occurrences} to replace all occurrences."
        )
    modified = original.replace(old, new)
    diff = unified_diff(given, original, modified)
    if not diff:
        return refuse(f"No changes made to file: {given}")
    message = (
        f"Successfully edited file: {given} ({expected} replacements applied)\n\n"
        f"```diff\n{diff}```\n"
    )
    return _Plan(path, original, modified, message)


def edit(roots: Roots, args: Mapping[str, object]) -> ToolOutcome:
    plan = plan_edit(roots, args)
    if plan.text is None:
        # The CLI answers a mismatch as a plain string, not as an error item.
        return ToolOutcome(plan.message)
    _put(plan.path, plan.text)
    diff = unified_diff(str(plan.path), plan.before or "", plan.text)
    return ToolOutcome(plan.message, diff=diff if plan.before is not None else None)


# --- content_replace ---------------------------------------------------------------------------


def plan_content_replace(
    roots: Roots, args: Mapping[str, object]
) -> tuple[list[tuple[Path, str, str, int]], dict[str, object]]:
    """The files to change (path, before, after, count) and the tool's result content."""
    pattern = string(args, "pattern")
    replacement = string(args, "replacement")
    given = string(args, "path", "")
    file_pattern = string(args, "file_pattern", "") or "*"
    dry_run = boolean(args, "dry_run")
    if pattern == "":
        raise ToolError("pattern is required")
    if given == "":
        raise ToolError("path is required")
    top = roots.resolve(given)
    changes: list[tuple[Path, str, str, int]] = []
    for path in walk_matching(top, file_pattern):
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        if b"\0" in raw:
            continue
        # surrogateescape keeps bytes that are not UTF-8 as they were when written back.
        before = raw.decode("utf-8", "surrogateescape")
        count = before.count(pattern)
        if count:
            changes.append((path, before, before.replace(pattern, replacement), count))
    if not changes:
        raise ToolError(f"pattern {go_quote(pattern)} not found in any matching file")
    changes.sort(key=lambda c: str(c[0]))
    total = sum(c[3] for c in changes)
    if dry_run:
        head = (
            f"Dry run: {total} replacements of '{pattern}' with '{replacement}' "
            f"would be made in {len(changes)} files:\n\n"
        )
    else:
        head = (
            f"Made {total} replacements of '{pattern}' with '{replacement}' "
            f"in {len(changes)} files:\n\n"
        )
    body = head + "".join(f"{path}: {count} replacements\n" for path, _, _, count in changes)
    text, truncated = cap_text(body)
    content: dict[str, object] = {
        "content": text,
        "replacements_made": total,
        "files_modified": len(changes),
        "dry_run": dry_run,
    }
    if truncated:
        content["truncated"] = True
    return changes, content


def content_replace(roots: Roots, args: Mapping[str, object]) -> ToolOutcome:
    changes, content = plan_content_replace(roots, args)
    if not content["dry_run"]:
        for path, _, after, _ in changes:
            _put(path, after)
    diff = "".join(unified_diff(str(p), _printable(b), _printable(a)) for p, b, a, _ in changes)
    return ToolOutcome(content, diff=diff or None, truncated=bool(content.get("truncated")))  # type: ignore[arg-type]


# --- preview -----------------------------------------------------------------------------------


def preview(roots: Roots, name: str, args: Mapping[str, object]) -> str | None:
    """What a write, edit or content_replace would change, as a unified diff, or
    ``new file, N lines``; None for any other tool or a call that would change nothing."""
    if name == "filesystem__write":
        path = roots.resolve(string(args, "file_path"))
        content = string(args, "content")
        before = _existing_text(path)
        if before is None:
            return _new_file(content)
        return unified_diff(str(path), before, content) or None
    if name == "filesystem__edit":
        plan = plan_edit(roots, args)
        if plan.text is None:
            return None
        if plan.before is None:
            return _new_file(plan.text)
        return unified_diff(str(plan.path), plan.before, plan.text)
    if name == "filesystem__content_replace":
        changes, _ = plan_content_replace(roots, args)
        return "".join(unified_diff(str(p), _printable(b), _printable(a)) for p, b, a, _ in changes)
    return None


def _new_file(content: str) -> str:
    lines = len(content.splitlines())
    return f"new file, {lines} line{'s' if lines != 1 else ''}"


# --- shared ------------------------------------------------------------------------------------


def unified_diff(path: str, original: str, modified: str) -> str:
    """go-difflib's unified diff, as the CLI renders it: ``<path> (original)`` and
    ``<path> (modified)`` headers, 3 lines of context; empty when nothing changed."""
    if original == modified:
        return ""
    # go-difflib's SplitLines keeps each "\n" and gives the last line one too, so a file that
    # ends with a newline has an extra empty last line; the same split here gives the same
    # hunks.
    before = [line + "\n" for line in original.split("\n")]
    after = [line + "\n" for line in modified.split("\n")]
    lines = difflib.unified_diff(
        before, after, f"{path} (original)", f"{path} (modified)", n=3, lineterm="\n"
    )
    return "".join(lines)


def walk_matching(top: Path, glob: str) -> Iterator[Path]:
    """Every regular file under `top` whose name matches `glob`, skipping hidden directories
    and ``node_modules`` below `top` (a `top` that is one is searched)."""
    if not top.is_dir():
        if top.is_file() and fnmatch.fnmatchcase(top.name, glob):
            yield top
        return
    stack = [str(top)]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not (entry.name.startswith(".") or entry.name == "node_modules"):
                        stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False) and fnmatch.fnmatchcase(entry.name, glob):
                    yield Path(entry.path)
            except OSError:
                continue


def cap_text(text: str, limit: int = MAX_OUTPUT_BYTES) -> tuple[str, bool]:
    """`text` cut to `limit` UTF-8 bytes (never inside a character), and whether it was."""
    data = text.encode("utf-8", "surrogateescape")
    if len(data) <= limit:
        return text, False
    return data[:limit].decode("utf-8", "ignore"), True


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        verb = "read" if path.is_dir() else "open"
        raise ToolError(_os_error(verb, path, exc)) from None


def _existing_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return None


def _put(path: Path, content: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8", "surrogateescape")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
    except OSError as exc:
        raise ToolError(_os_error("open", path, exc)) from None


def _printable(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _os_error(verb: str, path: Path, exc: OSError) -> str:
    """An OS error in Go's words: ``open /a/b: no such file or directory``."""
    reason = (exc.strerror or str(exc)).lower()
    return f"{verb} {path}: {reason}"
