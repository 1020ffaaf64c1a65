"""The tools Neo asks a client to run in CLI tool-execution mode: one table, names to shapes.

The live service owns this tool set; `pulumi neo` (pulumi/pulumi `pkg/cmd/pulumi/neo/tools/`)
runs it, and shared/neo-cli-mode.md restates it. The emulator's live agent (`_local_turn.py`)
and its seeded history (`_history.py`) both build their calls with `call_args` and read or
write results with the functions below, so neither can invent a name, an argument or a shape.

`Workspace` runs the tools on files held in memory, the way the CLI runs them on disk: the
seeded history plays its CLI tasks against one, so their results are the ones a real client
would have posted.

>>> Workspace("/home/ada/webapp", {"Pulumi.yaml": "name: webapp\\n"}).run(
...     "filesystem__directory_tree", {"path": ".", "depth": 1})
({'entries': [{'name': 'Pulumi.yaml', 'is_dir': False}]}, False)
"""

from __future__ import annotations

import difflib
import fnmatch
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from ._shapes import Json


@dataclass(frozen=True)
class LocalTool:
    """One tool a client runs: its arguments (required, then optional) and its result."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    result: str
    """The `content` of a success, as the contract words it."""


LOCAL_TOOLS: dict[str, LocalTool] = {
    tool.name: tool
    for tool in (
        LocalTool("filesystem__read", ("file_path",), ("offset", "limit"), '{"content"}'),
        LocalTool("filesystem__write", ("file_path", "content"), (), '{"bytes_written"}'),
        LocalTool(
            "filesystem__directory_tree", ("path",), ("depth",), '{"entries": [{name, is_dir}]}'
        ),
        LocalTool(
            "filesystem__edit",
            ("file_path", "old_string", "new_string"),
            ("expected_replacements",),
            '"Successfully edited file: ..." and a fenced diff, or "Error: ..."',
        ),
        LocalTool("filesystem__grep", ("pattern",), ("path", "include"), '{"content"}'),
        LocalTool(
            "filesystem__content_replace",
            ("pattern", "replacement", "path"),
            ("file_pattern", "dry_run"),
            '{"content", "replacements_made", "files_modified", "dry_run"}',
        ),
        LocalTool(
            "shell__shell_execute",
            ("command",),
            ("cwd", "timeout"),
            '{"stdout", "stderr", "exit_code"}',
        ),
        *(
            LocalTool(
                name,
                ("stack_name", "local_pulumi_dir"),
                ("project_name", "environment_variables"),
                '{"status", "logs", "update_summary", "project_name", "stack_name", ...}',
            )
            for name in ("pulumi__pulumi_preview", "pulumi__pulumi_up")
        ),
    )
}
"""Every tool a CLI client runs, by its `<server>__<method>` name."""

CLOUD_TOOLS = ("todo__TodoWrite", "web_search__query")
"""Neo's own tools: `execution_mode: cloud` even in a CLI task, never the client's."""


def call_args(name: str, **args: Any) -> Json:
    """The `args` of a call to local tool `name`; raises on an unknown tool or argument.

    >>> call_args("filesystem__read", file_path="index.ts")
    {'file_path': 'index.ts'}
    """
    tool = LOCAL_TOOLS[name]
    missing = [a for a in tool.required if a not in args]
    unknown = [a for a in args if a not in tool.required + tool.optional]
    if missing or unknown:
        raise TypeError(f"{name}: missing {missing}, unknown {unknown}")
    return dict(args)


def error_result(message: str) -> Json:
    """What a failing tool answers (with `is_error: true`)."""
    return {"error": message}


def grep_matches(content: Any) -> list[tuple[str, int, str]]:
    """The `(absolute path, line number, line)` of each match in a grep result's `content`."""
    text = content.get("content", "") if isinstance(content, dict) else ""
    matches = []
    for line in str(text).splitlines():
        found = _GREP_LINE.match(line)
        if found:
            matches.append((found.group(1), int(found.group(2)), found.group(3)))
    return matches


_GREP_LINE = re.compile(r"^(.+?):(\d+): (.*)$")


def directory_entries(content: Any) -> list[tuple[str, bool]]:
    """The `(name, is_dir)` of each entry of a directory_tree result's `content`."""
    entries = content.get("entries") if isinstance(content, dict) else None
    if not isinstance(entries, list):
        return []
    return [
        (str(e["name"]), bool(e.get("is_dir")))
        for e in entries
        if isinstance(e, dict) and isinstance(e.get("name"), str)
    ]


def pulumi_result(
    *,
    status: str,
    logs: str,
    project: str,
    stack: str,
    summary: str = "",
    events_file: str = "",
) -> Json:
    """A `pulumi__pulumi_preview` or `pulumi__pulumi_up` result (a local run has no deployment)."""
    return {
        "status": status,
        "logs": logs,
        "update_summary": summary,
        "project_name": project,
        "stack_name": stack,
        "deployment_id": "",
        "console_url": "",
        "branch_name": "",
        "events_file": events_file,
    }


class Workspace:
    """Files in memory under an absolute `root`, and the local tools run on them.

    `preview` is what `pulumi__pulumi_preview` answers: `(content, is_error)`; by default a
    preview that succeeds with one update.
    """

    def __init__(
        self, root: str, files: dict[str, str], *, preview: tuple[Json, bool] | None = None
    ) -> None:
        self.root = root.rstrip("/")
        self.files = dict(files)
        self.preview = preview

    def run(self, name: str, args: Json) -> tuple[Any, bool]:
        """Run one call: its result `content` and whether it is an error."""
        try:
            if name == "filesystem__directory_tree":
                return self._tree(str(args.get("path", ".")), int(args.get("depth") or 1)), False
            if name == "filesystem__read":
                return {"content": self.files[self._relative(args["file_path"])]}, False
            if name == "filesystem__grep":
                return self._grep(
                    args["pattern"], str(args.get("path") or "."), args.get("include") or "*"
                ), False
            if name == "filesystem__edit":
                return self._edit(args["file_path"], args["old_string"], args["new_string"]), False
            if name == "pulumi__pulumi_preview":
                return self.preview or (self._preview(args), False)
        except KeyError as exc:
            return error_result(f"open {exc.args[0]}: no such file or directory"), True
        return error_result(f'tool "{name}" is not available in CLI mode'), True

    def _relative(self, path: str) -> str:
        if posixpath.isabs(path):
            path = posixpath.relpath(path, self.root)
        return posixpath.normpath(path)

    def _tree(self, path: str, depth: int) -> Json:
        base = self._relative(path)
        prefix = "" if base == "." else base + "/"
        names: dict[str, bool] = {}
        for file in self.files:
            if not file.startswith(prefix):
                continue
            parts = file[len(prefix) :].split("/")
            for level in range(min(depth, len(parts))):
                names["/".join(parts[: level + 1])] = level + 1 < len(parts)
        return {"entries": [{"name": n, "is_dir": d} for n, d in sorted(names.items())]}

    def _grep(self, pattern: str, path: str, include: str) -> Json:
        regex = re.compile(pattern)
        base = self._relative(path)
        prefix = "" if base == "." else base + "/"
        lines = []
        files = 0
        for file in sorted(self.files):
            if not file.startswith(prefix) or not _glob(include, posixpath.basename(file)):
                continue
            found = [
                f"{self.root}/{file}:{n}: {line}"
                for n, line in enumerate(self.files[file].splitlines(), 1)
                if regex.search(line)
            ]
            files += bool(found)
            lines += found
        if not lines:
            return {"content": "No matches found."}
        head = f"Found {len(lines)} matches in {files} file(s):\n\n"
        return {"content": head + "".join(f"{line}\n" for line in lines)}

    def _edit(self, file_path: str, old: str, new: str) -> str:
        relative = self._relative(file_path)
        original = self.files[relative]
        count = original.count(old)
        if count == 0:
            return (
                "Error: The specified old_string was not found in the file content. "
                "Please check that it matches exactly, including all whitespace and indentation."
            )
        if count != 1:
            return (
                f"Error: Found {count} occurrences of the specified old_string, but expected 1. "
                "Change your old_string to uniquely identify the target text, "
                f"or set expected_replacements={count} to replace all occurrences."
            )
        modified = original.replace(old, new)
        self.files[relative] = modified
        diff = "".join(
            difflib.unified_diff(
                original.splitlines(keepends=True),
                modified.splitlines(keepends=True),
                f"{file_path} (original)",
                f"{file_path} (modified)",
            )
        )
        return (
            f"Successfully edited file: {file_path} (1 replacements applied)\n\n"
            f"```diff\n{diff}```\n"
        )

    def _preview(self, args: Json) -> Json:
        stack = str(args["stack_name"])
        project = "project"
        for line in self.files.get(
            self._relative(posixpath.join(args["local_pulumi_dir"], "Pulumi.yaml")), ""
        ).splitlines():
            if line.startswith("name:"):
                project = line.partition(":")[2].strip()
        logs = (
            f"Previewing update ({project}/{stack})\n\n"
            " ~  aws:ec2:Instance web-server update [diff: ~instanceType]\n\n"
            "Resources:\n    ~ 1 to update\n    4 unchanged\n"
        )
        return pulumi_result(
            status="succeeded", logs=logs, project=project, stack=stack, summary="~ 1 to update"
        )


def _glob(pattern: str, name: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern)
