"""pulumi__pulumi_preview and pulumi__pulumi_up: the stack's preview or update, run by the
``pulumi`` CLI in the project's directory.

Why the CLI and not the Automation API: the Automation API (``pulumi`` on PyPI) drives the very
same CLI binary through a subprocess, so it adds a large dependency and no capability; and the
CLI's own ``--event-log`` writes exactly the NDJSON engine events the CLI's Neo tool writes to
``events_file``. The CLI is invoked as the Automation API invokes it: ``pulumi preview|up
--stack S --non-interactive --color never --event-log F`` (``up`` with ``--yes --skip-preview``:
the service's approval already gated it).

The result has the CLI tool's keys: ``deployment_id``, ``console_url``, ``logs``, ``status``,
``branch_name``, ``project_name``, ``stack_name``, and ``update_summary`` / ``events_file``
when known (the CLI leaves those two out when empty). ``logs`` is ``summary: 1 create, ...``
then the warnings and errors; a failure starts it with ``error: ``. Where the CLI leaves
``console_url`` empty, the URL the pulumi CLI prints (``View in Browser``) is passed on.

Secrets: ``environment_variables`` values of the form ``{"secret": value}`` reach the process
only through its environment; every text this module hands on (logs, summary, the events
file, the live output) has them replaced with ``[redacted: secret]``.

A cancel sends SIGINT first, as a person's Ctrl-C would: the CLI then stops its update
cleanly instead of leaving the stack locked with pending operations; SIGKILL follows after
:data:`INTERRUPT_GRACE` seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

from .._redaction import redact_text
from ._outcome import ToolError, ToolOutcome, string
from ._paths import Roots
from ._process import OnOutput, run_process

__all__ = ["INSTALL_URL", "INTERRUPT_GRACE", "pulumi_run"]

INSTALL_URL = "https://www.pulumi.com/docs/install/"
INTERRUPT_GRACE = 10.0
"""Seconds between the SIGINT of a cancel and the SIGKILL that follows if the CLI is still up."""

# The CLI tool's order of operations in a summary (OpSortRank).
_RANK = {
    "create": 0,
    "create-replacement": 0,
    "update": 1,
    "replace": 2,
    "delete": 3,
    "delete-replaced": 3,
    "read": 4,
    "read-replacement": 4,
    "refresh": 5,
    "import": 6,
    "import-replacement": 6,
    "same": 9,
}
_COLOR = re.compile(r"<\{%[^%]*%\}>")
_CONSOLE = re.compile(r"View (?:in Browser|Live)[^:\n]*:\s*(https?://\S+)")


def pulumi_run(
    roots: Roots,
    args: Mapping[str, object],
    *,
    up: bool,
    cancel: threading.Event | None = None,
    on_output: OnOutput | None = None,
) -> ToolOutcome:
    stack = _optional(args, "stack_name")
    project = _optional(args, "project_name")
    try:
        secrets, env_vars = _environment(args.get("environment_variables"))
        if not stack:
            raise ToolError("stack_name is required")
        local_dir = _optional(args, "local_pulumi_dir")
        if not local_dir:
            raise ToolError("local_pulumi_dir is required")
        if not os.path.isabs(local_dir):
            raise ToolError("local_pulumi_dir must be an absolute path")
        directory = roots.resolve(local_dir, allow_missing=False, only_root=True)
        if not (directory / "Pulumi.yaml").is_file():
            raise ToolError(f"local_pulumi_dir {json.dumps(local_dir)}: Pulumi.yaml not found")
    except ToolError as exc:
        return _failed(project, stack, str(exc))
    project = _project_name(directory) or project
    env = {**os.environ, **env_vars, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    pulumi = shutil.which("pulumi", path=env.get("PATH"))
    if pulumi is None:
        return _failed(
            project,
            stack,
            f"the pulumi CLI was not found on PATH: install it ({INSTALL_URL}) and try again",
        )

    def scrub(text: str) -> str:
        return redact_text(text, known=secrets)[0] if secrets else text

    events_fd, events_file = tempfile.mkstemp(prefix="pulumi-neo-events-", suffix=".ndjson")
    os.close(events_fd)
    with tempfile.TemporaryDirectory(prefix="neo-pulumi-") as private:
        raw_events = Path(private) / "events.ndjson"
        argv = [pulumi, "up" if up else "preview", "--stack", stack, "--non-interactive"]
        argv += ["--color", "never", "--event-log", str(raw_events)]
        if up:
            argv += ["--yes", "--skip-preview"]
        started = time.monotonic()
        done = run_process(
            argv,
            cwd=directory,
            env=env,
            timeout=None,
            cancel=cancel,
            on_output=_line_buffered(on_output, scrub) if on_output else None,
            interrupt_grace=INTERRUPT_GRACE,
        )
        elapsed = time.monotonic() - started
        changes, diagnostics = _copy_events(raw_events, Path(events_file), secrets)
    if done.cancelled:
        status = "cancelled"
    elif done.exit_code != 0 or done.error:
        status = "failed"
    else:
        status = "succeeded"
    counts = _counts(changes)
    logs = (f"summary: {counts}\n" if counts else "") + "".join(f"{d}\n" for d in diagnostics)
    if status != "succeeded":
        label = "up" if up else "preview"
        logs = f"error: pulumi {label}: {_reason(done.stderr, done.error, done.exit_code)}\n" + logs
    summary = f"stack: {_bare(stack)} ({_go_duration(elapsed)})\nchanges: {counts or 'none'}\n"
    console = _CONSOLE.search(done.stdout)
    content: dict[str, object] = {
        "deployment_id": "",
        "console_url": console.group(1) if console else "",
        "logs": scrub(logs),
        "status": status,
        "branch_name": "",
        "project_name": project,
        "stack_name": _bare(stack),
        "update_summary": scrub(summary),
        "events_file": events_file,
    }
    return ToolOutcome(
        content,  # type: ignore[arg-type]
        is_error=status != "succeeded",
        exit_code=done.exit_code,
        cancelled=done.cancelled,
        truncated=done.truncated,
    )


def _failed(project: str, stack: str, message: str) -> ToolOutcome:
    """The CLI's failedResult: status failed, logs ``error: ...``, nothing run."""
    content: dict[str, object] = {
        "deployment_id": "",
        "console_url": "",
        "logs": f"error: {message}\n",
        "status": "failed",
        "branch_name": "",
        "project_name": project,
        "stack_name": stack,
    }
    return ToolOutcome(content, is_error=True)  # type: ignore[arg-type]


def _optional(args: Mapping[str, object], name: str) -> str:
    try:
        return string(args, name, "")
    except ToolError:
        return ""


def _environment(value: object) -> tuple[list[str], dict[str, str]]:
    """The variables to set, and the values to hide."""
    if value is None:
        return [], {}
    if not isinstance(value, Mapping):
        raise ToolError("environment_variables must be an object")
    secrets: list[str] = []
    env: dict[str, str] = {}
    for name, item in value.items():
        if isinstance(item, str):
            env[str(name)] = item
        elif isinstance(item, Mapping) and set(item) == {"secret"}:
            secret = item["secret"]
            if not isinstance(secret, str) or not secret:
                raise ToolError(
                    'environment_variables secret form requires a non-empty "secret" field'
                )
            env[str(name)] = secret
            secrets.append(secret)
        else:
            raise ToolError('environment_variables value must be a string or {"secret": "..."}')
    return secrets, env


def _project_name(directory: Path) -> str:
    try:
        project = yaml.safe_load((directory / "Pulumi.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return ""
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) else ""


def _bare(stack: str) -> str:
    """``org/project/stack`` -> ``stack``: the agent builds entities from a bare name."""
    return stack.rsplit("/", 1)[-1]


def _copy_events(raw: Path, target: Path, secrets: list[str]) -> tuple[dict[str, int], list[str]]:
    """Copy the CLI's event log to `target` with the secrets hidden; read the change counts
    (the summary event) and the warnings and errors (non-ephemeral diagnostics) on the way."""
    changes: dict[str, int] = {}
    diagnostics: list[str] = []
    # A secret as it appears inside a JSON string.
    hidden = [json.dumps(s)[1:-1] for s in sorted(secrets, key=len, reverse=True)]
    try:
        source = raw.open("rb")
    except OSError:
        return changes, diagnostics
    with source, target.open("w", encoding="utf-8") as out:
        for data in source:
            line = data.decode("utf-8", "replace").rstrip("\n")
            for secret in hidden:
                line = line.replace(secret, "[redacted: secret]")
            if not line.strip():
                continue
            out.write(line + "\n")
            try:
                event = json.loads(line)
            except ValueError:
                continue
            summary = event.get("summaryEvent")
            if isinstance(summary, dict) and isinstance(summary.get("resourceChanges"), dict):
                changes = {str(k): int(v) for k, v in summary["resourceChanges"].items()}
            diag = event.get("diagnosticEvent")
            if (
                isinstance(diag, dict)
                and not diag.get("ephemeral")
                and diag.get("severity") in ("warning", "error")
            ):
                message = _COLOR.sub("", str(diag.get("message", ""))).strip()
                diagnostics.append(f"{diag['severity']}: {message}")
    return changes, diagnostics


def _counts(changes: Mapping[str, int]) -> str:
    """``3 create, 1 update``: the CLI's FormatChangeCounts (``same`` and zeros left out)."""
    kept = [(op, n) for op, n in changes.items() if op != "same" and n]
    kept.sort(key=lambda item: _RANK.get(item[0], 7))
    return ", ".join(f"{n} {op}" for op, n in kept)


def _reason(stderr: str, error: str | None, code: int) -> str:
    if error:
        return error
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.lower().startswith("error:"):
            return line[len("error:") :].strip()
    return lines[-1] if lines else f"exit status {code}"


def _go_duration(seconds: float) -> str:
    """Seconds rounded and written as Go writes a time.Duration: ``0s``, ``5s``, ``1m5s``."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def _line_buffered(on_output: OnOutput, scrub: Callable[[str], str]) -> OnOutput:
    """Live output passed on whole lines at a time, so a secret split across two chunks is
    still seen whole by the redaction."""
    pending = {"stdout": "", "stderr": ""}

    def feed(stream: str, text: str) -> None:
        pending[stream] += text
        head, sep, tail = pending[stream].rpartition("\n")
        if sep:
            pending[stream] = tail
            on_output(stream, scrub(head + "\n"))

    return feed
