"""CLI tool-execution mode: Neo works in the client's workspace through tools the client runs.

A task created with `toolExecutionMode: "cli"` (current shape) plays a workspace session driven by
the results the client posts, with the real tools of `_cli_tools.py`:

1. `filesystem__directory_tree` of `.` (depth 2), to find the program (a `Pulumi.yaml`);
2. `filesystem__read` of `Pulumi.yaml` and the program's entry file (`index.ts`, `__main__.py`,
   ...), both in one batch;
3. `filesystem__grep` in the program: `instanceType|instance_type` when the message asks for a
   change, the resource declarations otherwise;
4. a change only: `filesystem__edit` of the first matched line holding an instance type, one
   size down (`t3.xlarge` -> `t3.large`), `old_string` being that line as the client read it;
5. `pulumi__pulumi_preview` with `local_pulumi_dir` the program's absolute directory (taken from
   the grep result's absolute paths) and `stack_name` the task's stack entity's name, or `dev`.
   In `manual` approval mode it is gated first: a `user_approval_request` (`tool_permission`,
   `sensitivity` `regular`, `context.tool_name` `pulumi__pulumi_preview`), answered with a
   `user_confirmation`; `balanced` and `auto` preview without asking;
6. a final markdown answer: what it found, what it changed and what the preview said (a failed
   preview is reported as such, e.g. the Pulumi CLI not being installed).

A message that starts with `run:` (`run: sleep 30`, `Run: pytest -q`) skips all that: Neo asks the
client for one `shell__shell_execute` of the rest of the message (no `cwd`: the workspace root),
then answers with its exit code and the end of its output, or says it was stopped, timed out or
refused (the `error` of an error result). It is the way to make Neo run a given command.

Every error result (`is_error`, or an edit answering `Error: ...`) and every empty one (no
program, no match) ends the session with an answer that says so. The first turn also writes
Neo's to-do list with `todo__TodoWrite`, a `cloud` call the client must not run.

The protocol (shared/neo-cli-mode.md, pulumi/pulumi `pkg/cmd/pulumi/neo/session.go`): an
`assistant_message` whose tool calls carry `execution_mode: "cli"` ends the turn (`is_final`) and
parks the task. For each call the client posts the user event `exec_tool_call {tool_call_id,
name}`; it is recorded (a `userInput`) and echoed by an agent `exec_tool_call` with
`execution_mode: "cli"` and the call's `args` (the service's backend event that shows the call
running). Then one `tool_result` with an item per call: it must cover every waiting call of the
batch, and name only waiting calls, else 400. A covering `tool_result` is recorded and the agent
resumes: a `tool_response` per call (the item's `content` and `is_error`), then its next step.
So one call reads, in order: `assistant_message` (tool_calls), user `exec_tool_call`, agent
`exec_tool_call`, user `tool_result`, `tool_response`.

While parked, `user_message` and `user_cancel` answer 409 "cannot respond while a request is
still ongoing" (the live service's text; the CLI retries its cancel until the result is posted).
The task reads `status: idle` (the turn ended, `runtimePhase` `ready`, `pendingInputCount` 0):
the live service has no field for a parked task, and `pulumi neo` learns it from the events
alone (a final message with cli calls and no `tool_response` yet). A force cancel
(`POST .../cancel`) unparks the task: results posted after it are 400.
"""

from __future__ import annotations

import posixpath
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _content as content
from ._cli_tools import call_args, directory_entries, grep_matches
from ._errors import BUSY, ApiError
from ._shapes import (
    ContextMeter,
    Json,
    approval_bodies,
    console_event,
    exec_tool_call,
    new_token,
    new_uuid,
    rfc3339,
    tool_call,
    tool_response,
)
from ._store import Step, TaskState

if TYPE_CHECKING:
    from ._agent import ScriptedAgent

PREVIEW = "pulumi__pulumi_preview"
DEFAULT_STACK_NAME = "dev"
ENTRY_FILES = ("index.ts", "index.js", "__main__.py", "main.go", "Program.cs", "Main.java")
SIZE_PATTERN = "instanceType|instance_type"
SHELL = "shell__shell_execute"
RUN_PREFIX = re.compile(r"^\s*run:\s*", re.IGNORECASE)
RESOURCE_PATTERN = r"\b[a-z][\w-]*\.[a-z]\w*\.[A-Z]\w*\("
"""A resource declaration in TypeScript or Python: `aws.ec2.Instance(`."""
_INSTANCE_TYPE = re.compile(
    r"""(["'])([a-z][a-z0-9]*\.)(nano|micro|small|medium|large|\d*xlarge)\1"""
)
_SIZES = ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge")
_MISSING_CLI = re.compile(
    r"executable file not found|command not found|not installed|no such file or directory: "
    r"'?pulumi",
    re.IGNORECASE,
)

Result = tuple[str, Json, Any, bool]
"""One reported call: `(name, args, content, is_error)`."""


@dataclass
class Move:
    """What the agent does next: says `text` and hands `calls` to the client, or ends."""

    text: str
    calls: list[tuple[str, Json]] = field(default_factory=list)
    gated: bool = False
    """The calls run a Pulumi preview: a `manual` task asks for approval first."""


@dataclass
class LocalSession:
    """What Neo learned of the client's workspace while serving one request."""

    message: str
    change: bool
    stack: str
    stage: str = "survey"
    program_dir: str = "."
    program_files: list[str] = field(default_factory=list)
    """Files directly in the program directory, relative to the workspace."""
    texts: dict[str, str] = field(default_factory=dict)
    project: str = ""
    runtime: str = ""
    absolute_dir: str = ""
    edit: Json | None = None
    """`{file, line, old, new, from, to}` once a change was chosen."""
    edited: bool = False
    resources: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)
    """The workspace's entries, when no program was found."""
    failure: str = ""
    preview: Any = None
    """The preview's result `content`."""
    command: str = ""
    """A `run: <command>` request: the one command to run."""
    ran: Any = None
    """The command's result `content` (and whether it was an error)."""

    def start(self) -> Move:
        """The first move: look at the workspace (or run the command asked for)."""
        if self.command:
            self.stage = "shell"
            return Move(
                f"Running `{self.command}` in your workspace.",
                [(SHELL, call_args(SHELL, command=self.command))],
            )
        args = call_args("filesystem__directory_tree", path=".", depth=2)
        return Move(
            "I'll work in your workspace: first a look at its files to find the Pulumi program.",
            [("filesystem__directory_tree", args)],
        )

    def advance(self, results: list[Result]) -> Move | None:
        """The next move once `results` came back; None means `finish` answers now."""
        failed = [(name, body) for name, _, body, error in results if error]
        if failed and self.stage not in (
            "preview",
            "shell",
        ):  # a failed preview is reported as such
            name, body = failed[0]
            self.stage = "failed"
            self.failure = f"`{name}` failed: {_error_text(body)}"
            return None
        step = getattr(self, f"_after_{self.stage}")
        move: Move | None = step(results)
        return move

    # -- each stage reads the results of the one before ------------------------------------

    def _after_shell(self, results: list[Result]) -> Move | None:
        self.ran = (results[0][2], results[0][3])
        self.stage = "ran"
        return None

    def _after_survey(self, results: list[Result]) -> Move | None:
        entries = directory_entries(results[0][2])
        projects = sorted(
            (n for n, is_dir in entries if not is_dir and posixpath.basename(n) == "Pulumi.yaml"),
            key=lambda n: (n.count("/"), n),
        )
        if not projects:
            self.stage = "no_program"
            self.listed = [n for n, _ in entries]
            return None
        self.program_dir = posixpath.dirname(projects[0]) or "."
        prefix = "" if self.program_dir == "." else self.program_dir + "/"
        self.program_files = [
            n
            for n, is_dir in entries
            if not is_dir and n.startswith(prefix) and "/" not in n[len(prefix) :]
        ]
        entry = next(
            (prefix + f for f in ENTRY_FILES if prefix + f in self.program_files),
            None,
        )
        to_read = [projects[0]] + ([entry] if entry else [])
        self.stage = "read"
        where = "the workspace root" if self.program_dir == "." else f"`{self.program_dir}/`"
        names = " and ".join(f"`{posixpath.basename(f)}`" for f in to_read)
        return Move(
            f"There is a Pulumi program in {where}. Reading {names}.",
            [("filesystem__read", call_args("filesystem__read", file_path=f)) for f in to_read],
        )

    def _after_read(self, results: list[Result]) -> Move | None:
        for _, args, body, _ in results:
            if isinstance(body, dict) and isinstance(body.get("content"), str):
                self.texts[args["file_path"]] = body["content"]
        for line in next(iter(self.texts.values()), "").splitlines():
            key, _, value = line.partition(":")
            value = value.strip().strip("\"'")
            if key == "name" and value:
                self.project = value
            elif key == "runtime" and value:
                self.runtime = value
        include = {"nodejs": "*.ts", "python": "*.py", "go": "*.go"}.get(self.runtime, "*")
        if include == "*.ts" and not any(f.endswith(".ts") for f in self.texts):
            include = "*.js"
        self.stage = "search"
        if self.change:
            text = "Looking for the instance sizes the program sets."
            pattern = SIZE_PATTERN
        else:
            text = "Listing the resources the program declares."
            pattern = RESOURCE_PATTERN
        args = call_args(
            "filesystem__grep", pattern=pattern, path=self.program_dir, include=include
        )
        return Move(text, [("filesystem__grep", args)])

    def _after_search(self, results: list[Result]) -> Move | None:
        matches = grep_matches(results[0][2])
        if not matches:
            self.stage = "no_match"
            return None
        self.absolute_dir = self._absolute_dir([path for path, _, _ in matches])
        if not self.change:
            self.resources = [_resource(line) for _, _, line in matches]
            return self._preview("Now a preview of the stack, to see what it would change.")
        for path, number, line in matches:
            found = _INSTANCE_TYPE.search(line)
            smaller = _one_size_down(found.group(3)) if found else None
            if found is None or smaller is None:
                continue
            relative = self._relative(path)
            read = self.texts.get(relative, "").splitlines()
            old = read[number - 1] if 0 < number <= len(read) else line
            family = found.group(2)
            before, after = family + found.group(3), family + smaller
            self.edit = {
                "file": relative,
                "line": number,
                "old": old,
                "new": old.replace(before, after, 1),
                "from": before,
                "to": after,
            }
            self.stage = "edit"
            args = call_args(
                "filesystem__edit", file_path=relative, old_string=old, new_string=self.edit["new"]
            )
            return Move(
                f"`{relative}` line {number} sets the instance type to `{before}`. That is more "
                f"than this web server needs: I'll move it one size down, to `{after}`.",
                [("filesystem__edit", args)],
            )
        self.stage = "smallest"
        return None

    def _after_edit(self, results: list[Result]) -> Move | None:
        answer = results[0][2]
        if not (isinstance(answer, str) and answer.startswith("Success")):
            self.stage = "failed"
            self.failure = f"the edit did not apply: {_error_text(answer)}"
            return None
        self.edited = True
        return self._preview("Edited. Now a preview of the stack, to check the change.")

    def _preview(self, text: str) -> Move:
        self.stage = "preview"
        args = call_args(PREVIEW, stack_name=self.stack, local_pulumi_dir=self.absolute_dir)
        return Move(text, [(PREVIEW, args)], gated=True)

    def _after_preview(self, results: list[Result]) -> Move | None:
        self.preview = results[0][2]
        self.stage = "previewed"
        return None

    # -- answers ----------------------------------------------------------------------------

    def finish(self, *, declined: str | None = None) -> str:
        """The final answer, in markdown, once the session ends (`declined`: no preview)."""
        stage = self.stage
        if stage == "ran":
            return _shell_report(self.command, *self.ran)
        found = self._found()
        if stage == "no_program":
            listed = ", ".join(f"`{n}`" for n in self.listed[:8]) or "nothing"
            return (
                "I found no Pulumi program in this workspace: no `Pulumi.yaml` among "
                f"{listed}. Start me in the program's directory, or tell me where it is."
            )
        if stage == "failed":
            return f"{found}I stopped there: {self.failure}. Nothing else was changed."
        if stage == "no_match":
            what = "instance size" if self.change else "resource declaration"
            return f"{found}I found no {what} in the program, so there is nothing to change."
        if stage == "smallest":
            return (
                f"{found}Its instance types are already the smallest of their families, so "
                "I changed nothing."
            )
        changed = self._changed()
        if declined is not None:
            extra = f" Next: {declined}" if declined else ""
            return (
                f"{found}{changed}Understood, I didn't run the preview. Run `pulumi preview "
                f"--stack {self.stack}` in `{self.absolute_dir}` to see its effect.{extra}"
            )
        return f"{found}{changed}{self._preview_report()}"

    def _found(self) -> str:
        if not self.texts:
            return ""
        files = ", ".join(f"`{f}`" for f in self.texts)
        about = f"`{self.project}` ({self.runtime or 'unknown runtime'})"
        text = f"### What I found\n\nThe program {about}, read from {files}.\n\n"
        if self.resources:
            text += "It declares:\n\n" + "".join(f"- {r}\n" for r in self.resources[:12]) + "\n"
        return text

    def _changed(self) -> str:
        if not self.edited or self.edit is None:
            return ""
        e = self.edit
        return (
            "### What I changed\n\n"
            f"- `{e['file']}` line {e['line']}: instance type `{e['from']}` → `{e['to']}`\n\n"
        )

    def _preview_report(self) -> str:
        body = self.preview
        status = body.get("status") if isinstance(body, dict) else None
        logs = str(body.get("logs", "")) if isinstance(body, dict) else ""
        if status == "succeeded":
            counts = [
                line.strip()
                for line in logs.splitlines()
                if re.match(r"\s*[+~-]\s+\d+ to|\s*\d+ unchanged", line)
            ]
            shown = "".join(f"- {c}\n" for c in counts) or f"```\n{logs.strip()}\n```\n"
            return (
                f"### Preview of `{self.stack}`\n\nThe preview succeeded:\n\n{shown}\n"
                "Nothing is deployed until you run `pulumi up`."
            )
        return f"### Preview of `{self.stack}`\n\n{_preview_failure(body)}"

    # -- paths ------------------------------------------------------------------------------

    def _absolute_dir(self, paths: list[str]) -> str:
        """The program's absolute directory, from the absolute paths grep reported."""
        for path in paths:
            for known in self.program_files:
                if path.endswith("/" + known) or path.endswith("\\" + known.replace("/", "\\")):
                    root = path[: -len(known) - 1]
                    if self.program_dir == ".":
                        return root
                    return f"{root}/{self.program_dir}"
        return posixpath.dirname(paths[0])

    def _relative(self, path: str) -> str:
        """`path` (absolute, from grep) relative to the workspace, when it is a known file."""
        for known in self.program_files:
            if path.endswith("/" + known) or path == known:
                return known
        return path


_DECLARATION = re.compile(r"""([a-z][\w-]*\.[a-z]\w*\.[A-Z]\w*)\(\s*(["'])([^"']+)\2""")


def _resource(line: str) -> str:
    """`name` (`type`) of a declaration line grep found, else the line itself."""
    found = _DECLARATION.search(line)
    return f"`{found.group(3)}` (`{found.group(1)}`)" if found else f"`{line.strip()}`"


def _shell_report(command: str, body: Any, is_error: bool) -> str:
    """Neo's answer once the command it asked for came back."""
    if not isinstance(body, dict):
        return f"`{command}` came back with an unexpected result: `{str(body)[:200]}`."
    tail = "\n".join(
        (str(body.get("stdout") or "") + str(body.get("stderr") or "")).splitlines()[-10:]
    )
    shown = f"\n\n```\n{tail}\n```" if tail.strip() else ""
    if body.get("timed_out"):
        return f"`{command}` timed out and was killed.{shown}"
    if is_error:
        return f"`{command}` did not finish: {_error_text(body)}.{shown}"
    return f"`{command}` exited with code {body.get('exit_code')}.{shown}"


def _one_size_down(size: str) -> str | None:
    index = _SIZES.index(size) if size in _SIZES else -1
    return _SIZES[index - 1] if index > 0 else None


def _error_text(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "logs", "stderr", "content"):
            if body.get(key):
                return str(body[key]).strip().splitlines()[0]
        return "no details"
    return str(body).strip().splitlines()[0] if str(body).strip() else "no details"


def _preview_failure(body: Any) -> str:
    message = _error_text(body)
    if _MISSING_CLI.search(message):
        return (
            "The preview could not run: the Pulumi CLI is not installed on your machine "
            f"(`{message}`). Install it from https://www.pulumi.com/docs/install/ and run "
            "`pulumi preview` to check the change."
        )
    return (
        f"The preview failed:\n\n```\n{message}\n```\n\n"
        "Fix that and preview again; any change I made stays in place."
    )


class LocalTurns:
    """Plays CLI-mode sessions for `agent` and enforces the tool-execution protocol."""

    def __init__(self, agent: ScriptedAgent) -> None:
        self.agent = agent

    # -- accepting the client's user events (store lock held) -------------------------------

    def check(self, task: TaskState, event: Json) -> None:
        """Raise the 400 or 409 that refuses `event`, if any (before it is recorded)."""
        kind = event["type"]
        waiting = task.cli_calls
        if kind in ("user_message", "user_cancel") and waiting:
            raise ApiError(409, BUSY)
        if kind == "exec_tool_call":
            self._waiting_call(task, event["tool_call_id"], event["name"], where="exec_tool_call")
        elif kind == "tool_result":
            ids = [r["tool_call_id"] for r in event["tool_results"]]
            for i, result in enumerate(event["tool_results"]):
                where = f"tool_results[{i}]"
                self._waiting_call(task, result["tool_call_id"], result["name"], where=where)
            if len(set(ids)) != len(ids):
                raise ApiError(400, "tool_results names a tool_call_id more than once")
            missing = [f"{i} ({c['name']})" for i, c in waiting.items() if i not in ids]
            if missing:
                raise ApiError(
                    400,
                    "tool_result must cover every waiting call of the batch, failed ones "
                    f"included (is_error: true); missing: {', '.join(missing)}",
                )

    @staticmethod
    def _waiting_call(task: TaskState, call_id: str, name: str, *, where: str) -> None:
        call = task.cli_calls.get(call_id)
        if call is None:
            raise ApiError(
                400,
                f"{where}: tool call {call_id!r} is not waiting for a result on this task"
                + (
                    f" (waiting: {', '.join(task.cli_calls)})"
                    if task.cli_calls
                    else " (no call is waiting)"
                ),
            )
        if call["name"] != name:
            raise ApiError(400, f"{where}: tool call {call_id!r} is {call['name']!r}, not {name!r}")

    def started(self, task: TaskState, event: Json) -> None:
        """A checked `exec_tool_call` was recorded: echo it as the agent's (once per call)."""
        call = task.cli_calls[event["tool_call_id"]]
        if call.get("started"):
            return
        call["started"] = True
        body = exec_tool_call(
            event["tool_call_id"], call["name"], execution_mode=call["mode"], args=call["args"]
        )
        body["timestamp"] = rfc3339(time.time())
        rng = self.agent.store.rng
        echo = console_event("current", "agentResponse", new_uuid(rng), body)
        self.agent.store.append(task, echo)

    def reported(self, task: TaskState, results: list[Json]) -> None:
        """A checked, covering `tool_result` was recorded: answer each call, then go on."""
        calls = task.cli_calls
        task.cli_calls = {}
        steps = [
            Step(
                tool_response(
                    "current",
                    call_id,
                    call["name"],
                    item["content"],
                    is_error=item.get("is_error", False),
                )
            )
            for call_id, call in calls.items()
            for item in results
            if item["tool_call_id"] == call_id
        ]
        session = task.local
        if session is None:
            self.agent.start(task, steps)
            return
        by_id = {r["tool_call_id"]: r for r in results}
        reported: list[Result] = [
            (
                call["name"],
                call["args"],
                by_id[call_id]["content"],
                bool(by_id[call_id].get("is_error", False)),
            )
            for call_id, call in calls.items()
        ]
        meter = self.agent.meter(task)
        steps += self._play(task, session, session.advance(reported), meter)
        self.agent.start(task, steps)

    # -- playing the session (store lock held) ----------------------------------------------

    def begin(self, task: TaskState, message: str, meter: ContextMeter | None) -> list[Step]:
        """The first steps of a CLI-mode request: the to-do list, then the first local call."""
        project, stack = self.agent.stack(task)
        stack_name = stack if any(e.get("type") == "stack" for e in task.entities) else "dev"
        run = RUN_PREFIX.match(message)
        session = LocalSession(
            message=message,
            change=content.asks_for_change(message),
            stack=stack_name,
            command=message[run.end() :].strip() if run else "",
        )
        session.project = project
        task.local = session
        if session.command:
            return self._play(task, session, session.start(), meter)
        todos = [
            {"content": "Find the Pulumi program in the workspace", "status": "in_progress"},
            {"content": "Read the program and find what to look at", "status": "pending"},
        ]
        if session.change:
            todos.append({"content": "Edit the program", "status": "pending"})
        todos.append({"content": "Preview the stack", "status": "pending"})
        items: list[Json] = [{**t, "priority": "medium", "index": i} for i, t in enumerate(todos)]
        steps = self.agent.tool_use(
            task, "todo__TodoWrite", {"todos": items}, "Todo list updated", meter
        )
        return steps + self._play(task, session, session.start(), meter)

    def _play(
        self, task: TaskState, session: LocalSession, move: Move | None, meter: ContextMeter | None
    ) -> list[Step]:
        agent = self.agent
        rng = agent.store.rng
        if move is None:
            task.local = None
            return agent.say(
                task, meter, session.finish(), added=rng.randint(300, 900), is_final=True
            )
        if move.gated and task.approval_mode == "manual":
            return self._gate(task, session, move, meter)
        return self._hand_over(task, move, meter)

    def _hand_over(self, task: TaskState, move: Move, meter: ContextMeter | None) -> list[Step]:
        """The message that ends the turn with `move`'s calls for the client."""
        rng = self.agent.store.rng
        mode = task.tool_execution_mode
        calls, parked = [], {}
        for name, args in move.calls:
            call_id = new_token(rng, "call_")
            calls.append(tool_call("current", call_id, name, args, execution_mode=mode))
            parked[call_id] = {"name": name, "args": args, "mode": mode}
        message, *compression = self.agent.say(
            task, meter, move.text, added=rng.randint(200, 900), tool_calls=calls, is_final=True
        )
        # A full context is compressed before the hand-off, so the message that parks the task
        # is the turn's last event.
        if compression:
            message.context = compression[-1].context
        message.parks = parked
        return [*compression, message]

    def _gate(
        self, task: TaskState, session: LocalSession, move: Move, meter: ContextMeter | None
    ) -> list[Step]:
        """`manual` mode: ask before handing a Pulumi preview to the client."""
        rng = self.agent.store.rng
        approval_id = new_token(rng, "req_")
        call_id = new_token(rng, "call_")
        args = move.calls[0][1]
        bodies = approval_bodies(
            "current",
            approval_id=approval_id,
            call_id=call_id,
            description=(
                f"Run `pulumi preview` on stack `{args['stack_name']}` in "
                f"`{args['local_pulumi_dir']}` on your machine"
            ),
            approval_type="tool_permission",
            sensitivity="regular",
            context={"tool_call_id": call_id, "tool_name": move.calls[0][0]},
            usage=meter.call(rng.randint(100, 400)) if meter else None,
        )
        action: Json = {"do": "local", "text": move.text, "calls": move.calls}
        return self.agent.ask(task, approval_id, bodies, action, sensitive=False, meter=meter)

    def approved(self, task: TaskState, action: Json, meter: ContextMeter | None) -> list[Step]:
        """The gated move, once approved: hand its calls to the client."""
        move = Move(action["text"], [(n, a) for n, a in action["calls"]])
        return self._hand_over(task, move, meter or self.agent.meter(task))

    def declined(self, task: TaskState, instructions: str | None) -> str:
        """The answer when the gated preview is declined; the session ends."""
        session = task.local
        task.local = None
        if session is None:
            return content.declined(instructions)
        return session.finish(declined=instructions or "")

    def stop(self, task: TaskState) -> None:
        """The task was cancelled: no call waits any more and the session is over."""
        task.cli_calls = {}
        task.local = None
