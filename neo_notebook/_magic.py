"""The ``%%neo`` cell magic and the ``%neo`` line magic.

``%load_ext neo_notebook``, then a cell that starts with ``%%neo`` becomes a message to Neo
and the chat panel shows what follows below it. ``%neo`` runs commands on the current task
(``%neo help`` lists them). Defaults are ``%config``-able::

    %config NeoMagics.org = "acme"
    %config NeoMagics.wait_timeout = 900

Errors fail the cell (so Run All, papermill and nbval stop) with one actionable line. That
is why a bad option raises :class:`MagicUsageError` and not IPython's ``UsageError``: IPython
prints a ``UsageError`` to stderr without an ``error`` message, and nbval, which only fails a
cell on an ``error`` message, would let the notebook pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import traitlets as t
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from ._client import NeoClient
from ._entities import entity_diff
from ._errors import ConfigurationError, NeoError
from ._widget import NeoChat

__all__ = ["MagicUsageError", "NeoMagics", "interpolate"]

_PLACEHOLDER = re.compile(
    r"(\{\{|\{)([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)(\}\}|\})"
)
_MISSING = object()


class MagicUsageError(ConfigurationError):
    """A ``%%neo``/``%neo`` line or cell that cannot be used as written; nothing was sent."""

    def _render_traceback_(self) -> list[str]:
        return [f"UsageError: {self}"]


def interpolate(text: str, namespace: Mapping[str, Any]) -> str:
    """Replace ``{name}`` and ``{name.attr}`` from ``namespace``; leave every other brace.

    Prompts hold code full of braces (TypeScript, JSON, HCL), so nothing but a bare
    identifier (with at most one attribute) in single braces is touched. ``{{name}}`` stays
    as the literal ``{name}``. An unknown name raises, so nothing half-filled is sent.

    >>> interpolate('Resize {size} in {"a": {b}}', {"size": "m5", "b": 1})
    'Resize m5 in {"a": 1}'
    """

    def replace(match: re.Match[str]) -> str:
        opening, path, closing = match.groups()
        if opening == "{{" and closing == "}}":
            return "{" + path + "}"
        if (opening == "{{") != (closing == "}}"):
            return match.group(0)
        name, _, attr = path.partition(".")
        value = namespace.get(name, _MISSING)
        if value is _MISSING:
            raise MagicUsageError(
                f"{{{name}}} is not defined in the notebook. Define it, write {{{{{path}}}}} for "
                f"a literal {{{path}}}, or use %%neo --raw to send the cell as it is. "
                "Nothing was sent."
            )
        if attr:
            try:
                value = getattr(value, attr)
            except AttributeError:
                raise MagicUsageError(
                    f"{{{path}}}: {name} has no attribute {attr!r}. Nothing was sent."
                ) from None
        return str(value)

    return _PLACEHOLDER.sub(replace, text)


def _unquote(text: str) -> str:
    # IPython splits magic lines without POSIX rules, so quotes arrive with the value.
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _gist(markdown: str, limit: int = 160) -> str:
    """The first line of a message with its markdown marks dropped, clipped."""
    line = next((ln for ln in markdown.splitlines() if ln.strip()), "")
    line = re.sub(r"^[#>*\-\s]+|[*`_]", "", line).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


@magics_class
class NeoMagics(Magics):
    """``%%neo`` sends the cell to Neo; ``%neo COMMAND`` works with the current task."""

    org = t.Unicode(None, allow_none=True, help="Pulumi organization (default: PULUMI_ORG).").tag(
        config=True
    )
    wait_timeout = t.Float(600.0, help="Seconds %%neo --wait waits for Neo by default.").tag(
        config=True
    )
    page_size = t.Int(1000, help="Page size for %neo tasks and %neo events.").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._clients: dict[str | None, NeoClient] = {}
        self.current_task: str | None = None
        self._sent: set[tuple[str, str]] = set()

    # -- helpers ---------------------------------------------------------------------------

    def client(self, org: str | None = None) -> NeoClient:
        """The client for an org (created once, from the environment and Pulumi's login)."""
        key = org or self.org
        if key not in self._clients:
            self._clients[key] = NeoClient(key)
        return self._clients[key]

    def _task(self, given: str | None = None) -> str:
        task = given or self.current_task
        if not task:
            raise MagicUsageError(
                "No current Neo task: start one with a %%neo cell, or pick one with %neo use ID "
                "(%neo tasks lists them)."
            )
        return task

    # -- the magic ---------------------------------------------------------------------------

    @magic_arguments()
    @argument("--new", action="store_true", help="Start a new task instead of continuing.")
    @argument("--task", metavar="ID", help="Send to this task (it becomes the current one).")
    @argument("--org", help="Pulumi organization (default: %%config NeoMagics.org or PULUMI_ORG).")
    @argument(
        "--stack",
        action="append",
        default=[],
        metavar="PROJECT/STACK",
        help="Attach a stack; repeat for more.",
    )
    @argument(
        "--repo",
        action="append",
        default=[],
        metavar="FORGE:ORG/NAME",
        help="Attach a repository (e.g. github:acme/infra); repeat for more.",
    )
    @argument(
        "--wait", action="store_true", help="Block until Neo is idle, then print what it said."
    )
    @argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="How long --wait waits (default: %%config NeoMagics.wait_timeout).",
    )
    @argument("--quiet", action="store_true", help="Do not display the chat panel.")
    @argument(
        "--raw",
        action="store_true",
        help="Send the cell and options as written: no {name} filling.",
    )
    @argument(
        "--resend",
        action="store_true",
        help="Send even if this cell already sent the same text to this task.",
    )
    def _cell_parser(self, line: str) -> None:
        """%%neo [options], then the message to Neo in the cell body."""

    @magic_arguments()
    @argument(
        "command",
        nargs="?",
        default="help",
        choices=[
            "tasks",
            "events",
            "use",
            "new",
            "approve",
            "decline",
            "cancel",
            "status",
            "chat",
            "help",
        ],
        help="What to do.",
    )
    @argument("value", nargs="?", help="A task id (events, use) or approval request id.")
    @argument("--org", help="Pulumi organization.")
    @argument("--message", default="", help="For decline: what Neo should do instead.")
    def _line_parser(self, line: str) -> None:
        """%neo COMMAND [VALUE]: tasks, events [ID], use ID, new, approve [REQUEST_ID],
        decline [REQUEST_ID] [--message TEXT], cancel, status, chat, help."""

    @no_var_expand
    @line_cell_magic
    def neo(self, line: str, cell: str | None = None) -> Any:
        """Talk to Pulumi Neo. ``%%neo [options]`` sends the cell; ``%neo help`` for commands."""
        try:
            if cell is None:
                return self._line(line)
            return self._cell(line, cell)
        except MagicUsageError:
            raise
        except (UsageError, ConfigurationError) as exc:  # argparse's, or a bad entity
            raise MagicUsageError(str(exc)) from None

    def _cell(self, line: str, cell: str) -> NeoChat | None:
        args = parse_argstring(self._cell_parser, line)
        if args.new and args.task:
            raise MagicUsageError("Use either --new or --task ID, not both.")
        namespace = self.shell.user_ns if self.shell else {}
        if not args.raw:  # the same {name} rule for option values as for the message
            args.stack = [interpolate(value, namespace) for value in args.stack]
            args.repo = [interpolate(value, namespace) for value in args.repo]
            args.task = args.task and interpolate(args.task, namespace)
            args.org = args.org and interpolate(args.org, namespace)
        text = cell if args.raw else interpolate(cell, namespace)
        if not text.strip():
            raise MagicUsageError(
                "The %%neo cell is empty: write your message to Neo below the %%neo line."
            )
        entities = [*args.stack, *args.repo]
        client = self.client(args.org)
        entity_diff(add=entities)  # refuse bad entities before anything is sent
        if args.task:
            self.current_task = args.task
        elif args.new:
            self.current_task = None
        task_id = self.current_task
        before = 0
        if task_id and (task_id, text) in self._sent and not args.resend:
            chat = client.chat(task_id)
            print(
                f"Already sent this cell to task {task_id} in this session; showing the "
                "conversation. Add --resend to send it again."
            )
        elif task_id:
            chat = client.chat(task_id)
            before = chat.event_count
            client.send_message(task_id, text, add=entities)
            chat.refresh_soon()
        else:
            task = client.create_task(text, entities=entities)
            task_id = self.current_task = task.id
            chat = client.chat(task_id)
        self._sent.add((task_id, text))
        if not args.quiet:
            display(chat)
        if args.wait:
            self._wait(
                chat,
                args.timeout if args.timeout is not None else self.wait_timeout,
                quiet=args.quiet,
                since=before,
            )
        return None

    def _wait(self, chat: NeoChat, timeout: float, *, quiet: bool, since: int) -> None:
        """Wait for Neo, then print what it said after event number ``since``."""
        try:
            finished = chat.wait(timeout)
        except KeyboardInterrupt:
            print(
                f"Stopped waiting. Neo keeps working on task {chat.task_id}; %neo cancel stops it."
            )
            return
        if not finished:
            raise NeoError(
                f"Neo was still working after {timeout:g}s (task {chat.task_id}). "
                "Wait longer with --timeout, or stop it with %neo cancel."
            )
        if not quiet:
            # One line per message: the panel above shows them in full.
            for event in chat.events[since:]:
                if event.type == "assistant_message" and event.content:
                    print(f"Neo: {_gist(event.content)}")
            pending = chat.pending_approval
            if pending:
                print(
                    f"Neo asks for approval: {pending.description}\n"
                    "Approve in the panel, or run %neo approve."
                )

    def _line(self, line: str) -> Any:
        args = parse_argstring(self._line_parser, line)
        client = self.client(args.org)
        command = args.command
        if command == "help":
            print(self._help())
        elif command == "tasks":
            return client.tasks_frame()
        elif command == "events":
            return client.events_frame(self._task(args.value))
        elif command == "use":
            if not args.value:
                raise MagicUsageError("%neo use needs a task id: %neo use TASK_ID")
            self.current_task = client.get_task(args.value).id
            print(f"Current task: {self.current_task}")
        elif command == "new":
            self.current_task = None
            print("The next %%neo cell starts a new task.")
        elif command == "approve":
            approved = client.approve(self._task(), args.value)
            print(f"Approved {approved}.")
            client.chat(self._task()).refresh_soon()
        elif command == "decline":
            declined = client.decline(self._task(), args.value, instructions=_unquote(args.message))
            print(f"Declined {declined}.")
            client.chat(self._task()).refresh_soon()
        elif command == "cancel":
            client.cancel(self._task())
            print(f"Asked Neo to stop task {self._task()}.")
        elif command == "status":
            task = client.get_task(self._task())
            pending = client.pending_approval(task.id)
            print(
                f"{task.id}: {task.name or '(unnamed)'}, {task.status}"
                + (f"; waiting for approval: {pending.description}" if pending else "")
            )
        elif command == "chat":
            return client.chat(self._task())
        return None

    def _help(self) -> str:
        cell = self._cell_parser.__doc__ or ""
        lines = self._line_parser.__doc__ or ""
        return f"%%neo: send the cell to Neo.\n{cell}\n%neo: commands.\n{lines}"
