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

import argparse
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import traitlets as t
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ._attachments import compose, resolve
from ._client import NeoClient
from ._entities import entity_diff
from ._errors import ConfigurationError, NeoError
from ._local_tools import ToolRunner, Workspace
from ._session import TaskSession

__all__ = ["COMMANDS", "MagicUsageError", "NeoMagics", "interpolate"]

_PLACEHOLDER = re.compile(
    r"(\{\{|\{)([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)(\}\}|\})"
)
_MISSING = object()


#: Whole replies that mean yes, exactly as the Pulumi CLI's ``pulumi neo`` reads a typed
#: answer (pulumi/pulumi ``pkg/cmd/pulumi/neo/approval_classify.go``); anything else declines.
APPROVAL_PHRASES = frozenset(
    {
        "yes",
        "y",
        "ok",
        "okay",
        "approve",
        "approved",
        "confirm",
        "confirmed",
        "proceed",
        "go ahead",
        "go for it",
        "do it",
        "ship it",
        "lgtm",
        "go on",
        "all right",
        "alright",
    }
)


def is_approval_phrase(text: str) -> bool:
    """Whether a whole reply is one of the :data:`APPROVAL_PHRASES`, case and extra spaces
    ignored, as the CLI reads it; anything else is instructions, not a yes.

    >>> is_approval_phrase("  Go   Ahead "), is_approval_phrase("yes, but use m5.large")
    (True, False)
    """
    return " ".join(text.lower().split()) in APPROVAL_PHRASES


#: ``%neo mode`` values, as the console names them, and the API's.
_APPROVAL_MODES = {"review": "manual", "manual": "manual", "balanced": "balanced", "auto": "auto"}
_SWITCH = {"on": True, "off": False, "true": True, "false": False, "yes": True, "no": False}


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


_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_WORD = re.compile(r"\w+")


def _gist(markdown: str, limit: int = 160) -> str:
    """The first block of a message (heading, paragraph, list item, code) as plain text, clipped.

    Markdown is parsed, not pattern-matched, so identifiers, code spans and links survive:

    >>> _gist("## Running `pulumi_preview` on **infra/prod**\n\nDetails follow.")
    'Running pulumi_preview on infra/prod'
    >>> _gist("- See [the docs](https://example.com/a_b) for __init__ and a*b")
    'See the docs (https://example.com/a_b) for __init__ and a*b'
    """
    text = ""
    for token in _MARKDOWN.parse(markdown):
        if token.type == "inline":
            text = _plain(token.children or [])
        elif token.type in ("fence", "code_block"):
            text = next((ln for ln in token.content.splitlines() if ln.strip()), "")
        if text.strip():
            break
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(children: list[Token]) -> str:
    """Inline tokens as the text a reader sees; a link keeps its address."""
    parts: list[str] = []
    links: list[tuple[int, str]] = []  # where each open link's text starts, and its address
    skip = 0
    for i, token in enumerate(children):
        if skip:
            skip -= 1
        elif token.type in ("text", "code_inline", "html_inline", "image"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type in ("em_open", "strong_open") and token.markup.startswith("_"):
            # CommonMark reads `__init__` as a bold "init"; in an agent's prose about code a
            # lone word between underscores is an identifier far more often than emphasis.
            inside = children[i + 1 : i + 3]
            if [t.type for t in inside] == ["text", token.type.replace("_open", "_close")] and (
                _WORD.fullmatch(inside[0].content)
            ):
                parts.append(f"{token.markup}{inside[0].content}{token.markup}")
                skip = 2
        elif token.type == "link_open":
            links.append((len(parts), str(token.attrs.get("href", ""))))
        elif token.type == "link_close" and links:
            start, href = links.pop()
            label = "".join(parts[start:])
            if label not in (href, href.removeprefix("mailto:")):  # autolinks show once
                parts.append(f" ({href})")
    return "".join(parts)


@magics_class
class NeoMagics(Magics):
    """``%%neo`` sends the cell to Neo; ``%neo COMMAND`` works with the current task."""

    org = t.Unicode(None, allow_none=True, help="Pulumi organization (default: PULUMI_ORG).").tag(
        config=True
    )
    wait_timeout = t.Float(600.0, help="Seconds %%neo --wait waits for Neo by default.").tag(
        config=True
    )

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
    @argument(
        "--with",
        dest="attach",
        action="append",
        default=[],
        metavar="NAME",
        help="Attach a notebook variable for Neo to read (a DataFrame, NAME[col1,col2] for "
        "some columns, a dict or list, a text, a pathlib.Path); repeat for more.",
    )
    @argument(
        "--decline",
        action="store_true",
        help="While Neo waits for an approval: decline it, with the cell as instructions.",
    )
    @argument(
        "--local",
        nargs="?",
        const=".",
        default=None,
        metavar="DIR",
        help="Let Neo run its tools here, on this machine, in DIR (default: the kernel's "
        "working directory): a new task runs in CLI tool-execution mode.",
    )
    @argument(
        "--allow",
        default="read",
        metavar="KINDS",
        help="With --local: what runs without asking, comma-separated from read, write, "
        "shell, preview, up (default: read).",
    )
    def _cell_parser(self, line: str) -> None:
        """%%neo [options], then the message to Neo in the cell body."""

    @magic_arguments()
    @argument("command", nargs="?", default="help", help="What to do (see %%neo help).")
    @argument(
        "value",
        nargs="?",
        help="A task id (events, use), an approval request id (approve, decline) or a "
        "setting (mode, readonly, plan).",
    )
    @argument("--org", help="Pulumi organization (default: %%config NeoMagics.org or PULUMI_ORG).")
    @argument("--message", metavar="TEXT", default="", help="For decline: what Neo should do.")
    def _line_parser(self, line: str) -> None:
        """%neo COMMAND [VALUE]: the commands of ``COMMANDS``."""

    @no_var_expand
    @line_cell_magic
    def neo(self, line: str, cell: str | None = None) -> Any:
        """Talk to Pulumi Neo. ``%%neo [options]`` sends the cell; ``%neo help`` for commands."""
        try:
            if {"-h", "--help"} & set(line.split()):
                print(self._help())
                return None
            if cell is None:
                return self._line(line)
            return self._cell(line, cell)
        except MagicUsageError:
            raise
        except (UsageError, ConfigurationError) as exc:  # argparse's, or a bad entity
            raise MagicUsageError(str(exc)) from None

    def _cell(self, line: str, cell: str) -> None:
        args = parse_argstring(self._cell_parser, line)
        if args.new and args.task:
            raise MagicUsageError("Use either --new or --task ID, not both.")
        namespace = self.shell.user_ns if self.shell else {}
        if not args.raw:  # the same {name} rule for option values as for the message
            args.stack = [interpolate(value, namespace) for value in args.stack]
            args.repo = [interpolate(value, namespace) for value in args.repo]
            args.task = args.task and interpolate(args.task, namespace)
            args.org = args.org and interpolate(args.org, namespace)
            args.local = args.local and interpolate(args.local, namespace)
        text = cell if args.raw else interpolate(cell, namespace)
        if not text.strip():
            raise MagicUsageError(
                "The %%neo cell is empty: write your message to Neo below the %%neo line."
            )
        entities = [*args.stack, *args.repo]
        client = self.client(args.org)
        entity_diff(add=entities)  # refuse bad entities before anything is sent
        attached = resolve(args.attach, namespace)
        if attached:
            message = compose(text, attached)  # over the hard cap: refused, nothing sent
            for attachment in attached:
                large = (
                    " (large: check it is what Neo needs)" if attachment.needs_confirmation else ""
                )
                print(f"Attaching {attachment.summary}{large}")
        else:
            message = text
        workspace = self._workspace(args)
        if args.task:
            self.current_task = args.task
        elif args.new:
            self.current_task = None
        task_id = self.current_task
        session = client.session(task_id) if task_id else None
        answered = session is not None and self._answers_approval(
            session, text, decline=args.decline
        )
        if args.decline and not answered:
            raise MagicUsageError(
                "--decline answers a pending approval, and Neo is not waiting for one. "
                "Nothing was sent."
            )
        runs_before = 0  # the local runs made before this cell, not printed by --wait
        if task_id is None or session is None:
            if workspace is not None and not args.quiet:
                # The panel shown below starts the runner as the one who asks, so the first
                # call it does not allow is asked about, not refused before it shows.
                task = client.create_task(
                    message, entities=entities, tool_execution_mode="cli", source="cli"
                )
            else:
                task = client.create_task(message, entities=entities, workspace=workspace)
            task_id = self.current_task = task.id
            session, before = client.session(task_id), 0
        else:
            before = session.event_count
            if workspace is not None:
                local = client.runner(task_id, workspace)
                runs_before = len(local.runs)
                if not args.quiet:
                    client.chat(task_id).supervise(local)  # asks before it can refuse
                local.start()
            if answered:
                pass  # the cell was the answer to Neo's request: nothing else is sent
            elif (task_id, text) in self._sent and not args.resend:
                print(
                    f"Already sent this cell to task {task_id} in this session; showing the "
                    "conversation. Add --resend to send it again."
                )
            else:
                client.send_message(task_id, message, add=entities)
                session.refresh_soon()
        self._sent.add((task_id, text))
        if not args.quiet:
            # With --local the panel asks about what --allow does not cover; with --quiet
            # nobody is asked and such calls are refused.
            display(client.chat(task_id, workspace=workspace))
        if args.wait:
            runs = (client.runner(task_id, workspace), runs_before) if workspace else None
            self._wait(
                session,
                args.timeout if args.timeout is not None else self.wait_timeout,
                quiet=args.quiet,
                since=before,
                runs=runs,
            )
        return None

    @staticmethod
    def _workspace(args: argparse.Namespace) -> Workspace | None:
        """The workspace of ``--local [DIR] --allow KINDS`` (checked before anything is sent)."""
        if args.local is None:
            if args.allow != "read":
                raise MagicUsageError(
                    "--allow says what Neo's tools may do on this machine, so it goes with "
                    "--local: %%neo --local --allow read,write. Nothing was sent."
                )
            return None
        return Workspace(_unquote(args.local), allow=args.allow)

    def _answers_approval(self, session: TaskSession, text: str, *, decline: bool) -> bool:
        """While Neo waits for an approval, a cell answers it rather than becoming a message.

        A cell that is exactly an approval phrase (``yes``, ``lgtm``, ``ship it``, ...)
        approves, and ``--decline`` declines with the cell as instructions: True. Any other
        text raises, naming the request and the choices, and nothing is sent. False when
        nothing is pending. The task's session knows its events; only what is new is read.
        """
        session.refresh(raise_errors=True)
        pending = session.pending_approval
        if pending is None or pending.id is None:
            return False
        if decline:
            session.decline(pending.id, instructions=text.strip())
            print(f"Declined {pending.id}; Neo has your instructions.")
        elif is_approval_phrase(text):
            session.approve(pending.id)
            print(f"Approved {pending.id}.")
        else:
            raise MagicUsageError(
                f"Neo is waiting for your answer to approval request {pending.id} "
                f"({_gist(pending.description, 80)}), so this cell was not sent. Approve in "
                "the panel or with %neo approve (or a cell that says just 'yes'), or add "
                "--decline to decline with this cell as instructions."
            )
        return True

    def _wait(
        self,
        session: TaskSession,
        timeout: float,
        *,
        quiet: bool,
        since: int,
        runs: tuple[ToolRunner, int] | None = None,
    ) -> None:
        """Wait for Neo (and the tools it runs here), then print what it said after event
        number ``since``. ``runs``: the task's runner and how many of its runs came before
        this cell; each later one gets a line, printed from this cell (not the runner's
        thread) as its result reaches Neo."""
        printed = runs[1] if runs else 0

        def print_runs(_: object = None) -> None:
            nonlocal printed
            if runs is None:
                return
            made = runs[0].runs
            for run in made[printed:]:
                print(f"Ran {run.summary}")
            printed = len(made)

        try:
            finished = session.wait(timeout, on_events=print_runs)
        except KeyboardInterrupt:
            print(
                f"Stopped waiting. Neo keeps working on task {session.task_id}; "
                "%neo cancel stops it."
            )
            return
        finally:
            print_runs()
        if not finished:
            raise NeoError(
                f"Neo was still working after {timeout:g}s (task {session.task_id}). "
                "Wait longer with --timeout, or stop it with %neo cancel."
            )
        if not quiet:
            # One line per message: the panel above shows them in full.
            for event in session.events_since(since):
                if event.type == "assistant_message" and event.content:
                    print(f"Neo: {_gist(event.content)}")
            pending = session.pending_approval
            if pending:
                print(
                    f"Neo asks for approval: {_gist(pending.description)}\n"
                    "Approve in the panel, or run %neo approve."
                )

    def _line(self, line: str) -> Any:
        args = parse_argstring(self._line_parser, line)
        command = COMMANDS.get(args.command)
        if command is None:
            raise MagicUsageError(
                f"%neo has no command {args.command!r}; choose from {', '.join(COMMANDS)} "
                "(%neo help says what each does)."
            )
        # help needs no Pulumi login, so the client is made only for commands that use it
        client = self.client(args.org) if command.needs_client else None
        return command.run(self, client, args)

    # -- the %neo commands (see COMMANDS) ------------------------------------------------------

    def _tasks(self, client: NeoClient, args: argparse.Namespace) -> Any:
        return client.tasks_frame()

    def _events(self, client: NeoClient, args: argparse.Namespace) -> Any:
        return client.events_frame(self._task(args.value))

    def _use(self, client: NeoClient, args: argparse.Namespace) -> None:
        if not args.value:
            raise MagicUsageError("%neo use needs a task id: %neo use TASK_ID")
        self.current_task = client.get_task(args.value).id
        print(f"Current task: {self.current_task}")

    def _new(self, client: NeoClient, args: argparse.Namespace) -> None:
        self.current_task = None
        print("The next %%neo cell starts a new task.")

    def _approve(self, client: NeoClient, args: argparse.Namespace) -> None:
        print(f"Approved {client.approve(self._task(), args.value)}.")

    def _decline(self, client: NeoClient, args: argparse.Namespace) -> None:
        declined = client.decline(self._task(), args.value, instructions=_unquote(args.message))
        print(f"Declined {declined}.")

    def _cancel(self, client: NeoClient, args: argparse.Namespace) -> None:
        client.session(self._task()).cancel()
        print(f"Asked Neo to stop task {self._task()}.")

    def _status(self, client: NeoClient, args: argparse.Namespace) -> None:
        session = client.session(self._task())
        session.refresh(raise_errors=True)
        task, pending = session.task, session.pending_approval
        waiting = session.waiting_tool_calls
        name = (task.name if task else "") or session.log.name or "(unnamed)"
        print(
            f"{session.task_id}: {name}, {_STATUS_WORDS.get(session.status, session.status)}"
            + (f"; waiting for approval: {pending.description}" if pending else "")
            + (f"; {len(waiting)} tool call(s) to run on this machine" if waiting else "")
        )

    def _chat(self, client: NeoClient, args: argparse.Namespace) -> Any:
        return client.chat(self._task())

    def _inbox(self, client: NeoClient, args: argparse.Namespace) -> Any:
        return client.inbox()

    def _help_command(self, client: NeoClient | None, args: argparse.Namespace) -> None:
        print(self._help())

    def _settings(self, client: NeoClient, args: argparse.Namespace) -> None:
        """``%neo mode|readonly|plan [VALUE]``: show the task's setting, or change it (through
        its session, so an open panel's header follows)."""
        command, value = args.command, args.value
        task_id = self._task()
        if value is None:
            task = client.get_task(task_id)
        elif command == "mode":
            mode = _APPROVAL_MODES.get(value.lower())
            if mode is None:
                raise MagicUsageError(f"%neo mode takes review, balanced or auto, not {value!r}.")
            task = client.session(task_id).update_task(approval_mode=mode)
        else:
            flag = _SWITCH.get(value.lower())
            if flag is None:
                raise MagicUsageError(f"%neo {command} takes on or off, not {value!r}.")
            session = client.session(task_id)
            if command == "plan":
                task = session.update_task(plan_mode=flag)
            else:
                task = session.update_task(permission_mode="read-only" if flag else "default")
        mode = {"manual": "review"}.get(task.approval_mode or "", task.approval_mode or "unknown")
        read_only = "on" if task.permission_mode == "read-only" else "off"
        plan = "on" if task.plan_mode else "off"
        print(f"Task {task_id}: approvals {mode}, read-only {read_only}, plan mode {plan}.")

    def _help(self) -> str:
        cell = self._cell_parser.parser
        width = 26
        lines = [
            "%%neo [OPTIONS]",
            "MESSAGE",
            "    Send the cell to Neo: the first %%neo cell starts a task, later ones continue",
            "    it. {name} and {name.attr} are filled in from the notebook's variables.",
            "",
            "Options:",
            *_option_lines(cell, width),
            "",
            "%neo COMMAND",
            "    Work with the current task (the one the last %%neo cell talked to).",
            "",
            "Commands:",
        ]
        for name, command in COMMANDS.items():
            lines.append(_help_line(f"{name} {command.arguments}".strip(), command.help, width))
        lines += ["", "Options:", *_option_lines(self._line_parser.parser, width)]
        return "\n".join(lines)


@dataclass(frozen=True)
class Command:
    """A ``%neo`` command: how its arguments read, what it does, and the method that runs it."""

    arguments: str
    help: str
    run: Callable[[NeoMagics, Any, argparse.Namespace], Any]
    needs_client: bool = True


#: ``%neo COMMAND``, in the order help lists them: a new command is a row here.
COMMANDS: dict[str, Command] = {
    "tasks": Command("", "List the organization's tasks, as a DataFrame.", NeoMagics._tasks),
    "events": Command(
        "[ID]",
        "List a task's events, as a DataFrame (default: the current task).",
        NeoMagics._events,
    ),
    "status": Command(
        "", "Show the current task's status and what Neo waits for.", NeoMagics._status
    ),
    "chat": Command("", "Show the current task's chat panel.", NeoMagics._chat),
    "inbox": Command(
        "",
        "Show every task that needs you (approvals first), live; open one for its chat.",
        NeoMagics._inbox,
    ),
    "use": Command("ID", "Make task ID the current task.", NeoMagics._use),
    "new": Command("", "Make the next %%neo cell start a new task.", NeoMagics._new),
    "approve": Command(
        "[REQUEST_ID]",
        "Approve what Neo asks for (default: its pending request).",
        NeoMagics._approve,
    ),
    "decline": Command(
        "[REQUEST_ID]",
        "Decline it; --message TEXT tells Neo what to do instead.",
        NeoMagics._decline,
    ),
    "cancel": Command(
        "",
        "Ask Neo to stop working on the current task (and any tool it runs here).",
        NeoMagics._cancel,
    ),
    "mode": Command(
        "[MODE]",
        "Show or set how Neo asks for approval: review, balanced or auto.",
        NeoMagics._settings,
    ),
    "readonly": Command(
        "[on|off]",
        "Show or set read-only: Neo may look but not change anything.",
        NeoMagics._settings,
    ),
    "plan": Command(
        "[on|off]",
        "Show or set plan mode: Neo plans first and asks you to approve.",
        NeoMagics._settings,
    ),
    "help": Command("", "Show this help.", NeoMagics._help_command, needs_client=False),
}

_STATUS_WORDS = {
    "running": "working",
    "awaiting_approval": "waiting for approval",
    "awaiting_tools": "waiting for your tools",
}


def _option_lines(parser: argparse.ArgumentParser, width: int) -> list[str]:
    """One line per option of a magic's parser: how to write it, and what it does."""
    lines = []
    for action in parser._actions:
        if not action.option_strings:
            continue
        invocation = ", ".join(action.option_strings)
        if action.nargs != 0:
            invocation += f" {action.metavar or action.dest.upper()}"
        lines.append(_help_line(invocation, (action.help or "").replace("%%", "%"), width))
    return lines


def _help_line(term: str, description: str, width: int) -> str:
    if len(term) > width - 4:
        return f"  {term}\n{' ' * width}{description}"
    return f"  {term:<{width - 2}}{description}"
