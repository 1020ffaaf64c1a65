"""What a tool run gives back (:class:`ToolOutcome`), the one error a tool raises
(:class:`ToolError`), and the argument readers every tool shares.

A tool raises :class:`ToolError` for anything the agent should hear as ``{"error": ...}``;
:func:`~neo_notebook._local_tools.run_tool` turns it into an ``is_error`` outcome, so no
tool-level problem ever escapes as an exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from .._redaction import JsonValue

__all__ = ["MAX_OUTPUT_BYTES", "JsonValue", "ToolError", "ToolOutcome"]

MAX_OUTPUT_BYTES = 1 << 20
"""The cap on shell stdout, shell stderr, grep and content_replace output (1 MiB), as the CLI's."""


class ToolError(Exception):
    """A tool failed in a way the agent should be told: the message becomes ``{"error": ...}``."""


@dataclass(frozen=True)
class ToolOutcome:
    """One tool run: what is sent to Neo (`content`, `is_error`) and extras for a UI.

    Attributes:
        content: the result content, exactly as the CLI sends it (an object for most tools, a
            bare string for ``filesystem__edit``).
        is_error: whether the item is sent with ``is_error: true``.
        diff: the unified diff of a write, edit or content_replace that changed files (not
            sent; the edit tool's own text already holds one).
        exit_code: the shell command's or the pulumi CLI's exit code.
        timed_out: the command ran past its timeout and was killed.
        cancelled: the run was cancelled through the ``cancel`` event and killed.
        truncated: some output was cut at the 1 MiB cap.
    """

    content: JsonValue
    is_error: bool = False
    diff: str | None = None
    exit_code: int | None = None
    timed_out: bool = False
    cancelled: bool = False
    truncated: bool = False

    @classmethod
    def error(cls, message: str) -> ToolOutcome:
        """The CLI's shape for a failed tool: ``{"error": message}``, ``is_error``."""
        return cls({"error": message}, is_error=True)


# --- arguments ---------------------------------------------------------------------------------


def arguments(args: object) -> Mapping[str, object]:
    if args is None:
        return {}
    if not isinstance(args, Mapping):
        raise ToolError(f"arguments must be a JSON object, not {_json_type(args)}")
    return args


def string(args: Mapping[str, object], name: str, default: str | None = None) -> str:
    value = args.get(name, default)
    if value is None:
        raise ToolError(f"argument {name!r} is required")
    if not isinstance(value, str):
        raise ToolError(f"argument {name!r} must be a string, not {_json_type(value)}")
    return value


def integer(args: Mapping[str, object], name: str, default: int) -> int:
    value = args.get(name)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToolError(f"argument {name!r} must be an integer, not {_json_type(value)}")
    return value


def number(args: Mapping[str, object], name: str, default: float) -> float:
    value = args.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ToolError(f"argument {name!r} must be a number, not {_json_type(value)}")
    return float(value)


def boolean(args: Mapping[str, object], name: str) -> bool:
    value = args.get(name, False)
    if not isinstance(value, bool):
        raise ToolError(f"argument {name!r} must be true or false, not {_json_type(value)}")
    return value


def go_quote(text: str) -> str:
    """`text` quoted as Go's ``%q`` quotes it in the CLI's messages (near enough: JSON's
    escapes)."""
    return json.dumps(text, ensure_ascii=False)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
