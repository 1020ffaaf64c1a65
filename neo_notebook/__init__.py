"""neo_notebook: Pulumi Neo in Jupyter.

Talk to Neo from a cell, watch it work, approve its changes with a click, and analyse what
it did with pandas.

>>> from neo_notebook import NeoClient                        # doctest: +SKIP
>>> client = NeoClient("acme")                                # doctest: +SKIP
>>> task = client.create_task("Why is prod drifting?", entities=["infra/prod"])  # doctest: +SKIP
>>> client.chat(task.id)                                      # doctest: +SKIP

In IPython, ``%load_ext neo_notebook`` adds the ``%%neo`` cell magic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._attachments import Attachment, AttachmentError, attach
from ._client import NeoClient
from ._entities import (
    Entity,
    PolicyIssue,
    PullRequest,
    Repository,
    Stack,
    UnknownEntity,
    parse_entity,
)
from ._errors import (
    ApprovalError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    NeoAPIError,
    NeoConnectionError,
    NeoError,
    NeoTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from ._eventlog import EventLog, ToolRun, approval_requests
from ._events import Answer, ApprovalRequest, Event, FileDiff, TokenUsage, TriggerEvent
from ._local_tools import LocalRun, ToolOutcome, ToolRunner, Workspace
from ._models import Task, ToolCall
from ._session import TaskSession
from ._tail import EventTail

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from ._frames import events_frame, tasks_frame, tool_calls_frame
    from ._history import ExportSummary, History
    from ._sync import SyncSummary
    from ._widget import NeoChat

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "ApprovalError",
    "ApprovalRequest",
    "Attachment",
    "AttachmentError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "Entity",
    "Event",
    "EventLog",
    "EventTail",
    "ExportSummary",
    "FileDiff",
    "History",
    "LocalRun",
    "NeoAPIError",
    "NeoChat",
    "NeoClient",
    "NeoConnectionError",
    "NeoError",
    "NeoInbox",
    "NeoTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "PolicyIssue",
    "PullRequest",
    "RateLimitError",
    "Repository",
    "ResponseValidationError",
    "ServerError",
    "Stack",
    "SyncSummary",
    "Task",
    "TaskSession",
    "TokenUsage",
    "ToolCall",
    "ToolOutcome",
    "ToolRun",
    "ToolRunner",
    "TriggerEvent",
    "UnknownEntity",
    "Workspace",
    "approval_requests",
    "attach",
    "events_frame",
    "load_ipython_extension",
    "parse_entity",
    "tasks_frame",
    "tool_calls_frame",
]

_LAZY = {
    # Imported on first use: the widget pulls in anywidget, the frames pandas.
    "NeoChat": "._widget",
    "NeoInbox": "._inbox_widget",
    "ExportSummary": "._history",
    "History": "._history",
    "SyncSummary": "._sync",
    "events_frame": "._frames",
    "tasks_frame": "._frames",
    "tool_calls_frame": "._frames",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'neo_notebook' has no attribute {name!r}")


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext neo_notebook``: register the ``%%neo`` and ``%neo`` magics."""
    from ._magic import NeoMagics

    ipython.register_magics(NeoMagics)
