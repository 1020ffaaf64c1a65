"""The scripted agent: accepts user events and plays Neo's turns, deterministically.

A turn is planned in full when the user event is accepted (every random draw happens then, in
request order, so a seed fixes ids, PR numbers and texts), then played by a daemon thread that
sleeps `pace` seconds before each event. Cancelling a turn stops it between two events: the
thread re-checks, under the store's lock, that its turn is still the task's turn before each
event, so not one event of a cancelled turn lands after the cancellation.

A turn for a user message (the task's first message included):

1. `set_task_name` (first message only), then an `assistant_message` in markdown;
2. a tool use: an `assistant_message` with a `pulumi_preview` tool call on the task's stack
   (`platform/dev` without one), `exec_tool_call`, `tool_response` with the preview output;
3. if the message asks for a change (change, fix, update, optimize, apply, deploy, create,
   upgrade, pr, pull request, approve): an approval request, then the task idles waiting for a
   `user_confirmation`; otherwise a final `assistant_message`.

In `approvalMode` `balanced` or `auto` the approval is granted at once by a synthetic
`user_confirmation` (`isSynthetic: true`), as the service's auto-approval handler does.
A confirmation with `ok` true (the default in the seed shape) opens a pull request: a
`create_pull_request` tool use, a `pull_request` entity on the task (plus a `change_entities`
event in the current shape) and a final "Opened pull request #N" message. With `ok` false the
agent acknowledges the decline, following `instructions` if given. `user_cancel` stops the turn
at once and says so (`assistant_message` "Cancelled." in the seed shape, `cancelled` with
`operation_was_running` in the current one); a pending approval is superseded by a cancel or by
any new user message.

Magic words (whole words, any case) for tests and demos:

| word | effect |
|---|---|
| `simulate-error` | the turn ends with an `error` event right after the opening message |
| `warn` | a `warning` event before the turn's end |
| `surprise` | an event of a type no client knows (`neo_future_event`) |
| `malformed` | a malformed approval request: seed, cut-short `arguments`; current, no `message` |
| `thorough` | three tool uses (`get_stack_resources`, `search_code`, `pulumi_preview`), not one |
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

from . import _content as content
from ._errors import ApiError
from ._shapes import (
    ApiShape,
    Json,
    approval_bodies,
    assistant_message,
    console_event,
    exec_tool_call,
    new_token,
    new_uuid,
    pull_request_entity,
    pull_request_url,
    repository_entity,
    rfc3339,
    tool_call,
    tool_response,
)
from ._store import Store, TaskState, Turn, entity_key
from ._validation import entity_diff

logger = logging.getLogger("neo_notebook.emulator")

BUSY = "cannot respond while a request is still ongoing"
DEFAULT_STACK = ("platform", "dev")
_MAGIC = re.compile(r"\b(simulate-error|warn|surprise|malformed|thorough)\b", re.IGNORECASE)


@dataclass
class _Step:
    """One event of a planned turn, with the task changes that land together with it."""

    body: Json
    kind: str = "agentResponse"
    synthetic: bool = False
    add_entity: Json | None = None
    pending_approval: str | None = None
    resolves: tuple[str, str] | None = None


class ScriptedAgent:
    """Accepts user events for the tasks in `store` and plays the agent's turns."""

    def __init__(
        self, store: Store, *, org: str, pace: float, stop: threading.Event, user: Json
    ) -> None:
        self.store = store
        self.api: ApiShape = store.api
        self.org = org
        self.pace = pace
        self.user = user
        self._stop = stop
        self._next_pull_request = 100 + store.rng.randrange(300)

    def create_task(self, message: Json, settings: Json) -> TaskState:
        """Create a task from a checked create request and start its first turn."""
        interpreted = ("approvalMode", "planMode", "permissionMode")
        with self.store.cond:
            task = TaskState(
                id=new_uuid(self.store.rng),
                name=content.task_name(message["content"]),
                created_at=rfc3339(time.time()),
                created_by=dict(self.user),
                approval_mode=settings.get("approvalMode", "manual"),
                plan_mode=settings.get("planMode", False),
                permission_mode=settings.get("permissionMode", "default"),
                extra={k: v for k, v in settings.items() if k not in interpreted},
            )
            self.store.add_task(task)
            self.respond(task, message)
            return task

    def respond(self, task: TaskState, event: Json) -> None:
        """Accept a checked user event for `task`, or raise the 400/409 that refuses it."""
        kind = event["type"]
        with self.store.cond:
            if kind != "user_cancel" and task.status == "running":
                raise ApiError(409, BUSY)
            if kind == "user_confirmation":
                self._check_pending(task, event["approval_request_id"])
            adds, removes = entity_diff(event.get("entity_diff"), where="event.entity_diff")
            self._change_entities(task, adds, removes)
            stored = {**event, "timestamp": event.get("timestamp") or rfc3339(time.time())}
            self.store.append(
                task, console_event(self.api, "userInput", new_uuid(self.store.rng), stored)
            )
            self.store.record_posted(task.id, event)
            if kind == "user_message":
                self._supersede(task)
                self._start(task, self._plan_message(task, event["content"]))
            elif kind == "user_confirmation":
                self._confirm(task, event)
            else:
                self._cancel(task)

    def force_cancel(self, task: TaskState) -> None:
        """`POST .../cancel`: end the running turn without telling the agent (no event)."""
        with self.store.cond:
            if task.turn is not None:
                task.turn.cancelled.set()
            task.turn = None
            task.status = "idle"
            self.store.cond.notify_all()

    def stop_all(self) -> None:
        """Stop every running turn (the emulator is stopping)."""
        with self.store.cond:
            for task in self.store.tasks.values():
                if task.turn is not None:
                    task.turn.cancelled.set()
            self.store.cond.notify_all()

    # -- accepting user events (store lock held) --------------------------------------------

    def _check_pending(self, task: TaskState, approval_id: str) -> None:
        if approval_id == task.pending_approval:
            return
        outcome = task.closed_approvals.get(approval_id)
        if outcome is None:
            raise ApiError(400, f"unknown approval_request_id {approval_id!r} for this task")
        if outcome == "superseded":
            raise ApiError(
                400,
                f"approval request {approval_id!r} is no longer pending: a later message or "
                "cancel superseded it",
            )
        raise ApiError(400, f"approval request {approval_id!r} was already answered ({outcome})")

    def _change_entities(self, task: TaskState, adds: list[Json], removes: list[Json]) -> None:
        gone = {entity_key(e) for e in removes}
        task.entities = [e for e in task.entities if entity_key(e) not in gone]
        for entity in adds:
            self._add_entity(task, entity)

    @staticmethod
    def _add_entity(task: TaskState, entity: Json) -> None:
        if entity_key(entity) not in {entity_key(e) for e in task.entities}:
            task.entities.append(dict(entity))

    @staticmethod
    def _supersede(task: TaskState) -> None:
        if task.pending_approval is not None:
            task.closed_approvals[task.pending_approval] = "superseded"
            task.pending_approval = None

    def _confirm(self, task: TaskState, event: Json) -> None:
        approval_id = event["approval_request_id"]
        approved = event.get("ok", True)
        task.pending_approval = None
        task.closed_approvals[approval_id] = "approved" if approved else "declined"
        if approved:
            steps = self._plan_pull_request(task)
        else:
            text = content.declined(event.get("instructions"))
            steps = [_Step(assistant_message(self.api, text, is_final=True))]
        self._start(task, steps)

    def _cancel(self, task: TaskState) -> None:
        was_running = task.turn is not None
        if task.turn is not None:
            task.turn.cancelled.set()
            task.turn = None
        self._supersede(task)
        if self.api == "current":
            body: Json = {"type": "cancelled", "operation_was_running": was_running}
        else:
            body = assistant_message(self.api, "Cancelled.")
        self._apply(task, _Step(body))
        task.status = "idle"
        self.store.cond.notify_all()

    # -- planning turns (store lock held: every random draw happens here) -------------------

    def _plan_message(self, task: TaskState, message: str) -> list[_Step]:
        api = self.api
        magic = {m.lower() for m in _MAGIC.findall(message)}
        project, stack = self._stack(task)
        resources = self.store.rng.randint(12, 80)
        steps: list[_Step] = []
        if not task.named:
            steps.append(_Step({"type": "set_task_name", "name": content.task_name(message)}))
        steps.append(_Step(assistant_message(api, content.analysis(project, stack, resources))))
        if "surprise" in magic:
            future = {"type": "neo_future_event", "detail": {"note": "a type no client knows"}}
            steps.append(_Step(future))
        if "simulate-error" in magic:
            error = (
                f"The preview of {project}/{stack} failed: the stack's cloud credentials expired"
            )
            steps.append(_Step({"type": "error", "message": error}))
            return steps
        tools = ["pulumi_preview"]
        if "thorough" in magic:
            tools = ["get_stack_resources", "search_code", "pulumi_preview"]
        for tool in tools:
            output = content.tool_output(tool, self.org, project, stack, resources - 2)
            steps += self._tool_use(tool, {"stack": f"{project}/{stack}"}, output)
        if "warn" in magic:
            warning = f"The stack {project}/{stack} has 3 resources with pending replacements"
            steps.append(_Step({"type": "warning", "message": warning}))
        if content.asks_for_change(message):
            steps += self._plan_approval(task, malformed="malformed" in magic)
        else:
            final = assistant_message(api, content.answer(project, stack), is_final=True)
            steps.append(_Step(final))
        return steps

    def _plan_approval(self, task: TaskState, *, malformed: bool) -> list[_Step]:
        project, stack = self._stack(task)
        repository = self._repository(task)
        approval_id = new_token(self.store.rng, "req_")
        bodies = approval_bodies(
            self.api,
            approval_id=approval_id,
            call_id=new_token(self.store.rng, "call_"),
            description=content.change_description(
                project, stack, f"{repository['org']}/{repository['name']}"
            ),
            malformed=malformed,
        )
        if task.approval_mode == "manual":
            steps = [_Step(bodies[0], pending_approval=approval_id)]
            return steps + [_Step(body) for body in bodies[1:]]
        # Auto-approval: the waiting message of the current shape would end the turn early.
        confirmation = {"type": "user_confirmation", "approval_request_id": approval_id, "ok": True}
        return [
            _Step(bodies[0], pending_approval=approval_id),
            _Step(
                confirmation, kind="userInput", synthetic=True, resolves=(approval_id, "approved")
            ),
            *self._plan_pull_request(task),
        ]

    def _plan_pull_request(self, task: TaskState) -> list[_Step]:
        project, stack = self._stack(task)
        repository = self._repository(task)
        number = self._next_pull_request
        self._next_pull_request += 1
        url = pull_request_url(repository, number)
        entity = pull_request_entity(self.api, number, repository)
        args = {
            "repository": f"{repository['org']}/{repository['name']}",
            "title": f"Right-size web-server in {project}/{stack}",
            "base": "main",
        }
        steps = self._tool_use(
            "create_pull_request", args, f"Created pull request #{number}: {url}"
        )
        if self.api == "current":
            changes = {"type": "change_entities", "changes": {"add": [entity], "remove": []}}
            steps.append(_Step(changes, add_entity=entity))
        else:
            steps[-1].add_entity = entity
        text = content.pull_request_opened(number, url, project, stack)
        steps.append(_Step(assistant_message(self.api, text, is_final=True)))
        return steps

    def _tool_use(self, tool: str, args: Json, output: str) -> list[_Step]:
        call_id = new_token(self.store.rng, "call_")
        call = tool_call(self.api, call_id, tool, args)
        intro = f"Running `{tool}` on `{args.get('stack', args.get('repository', ''))}`."
        return [
            _Step(assistant_message(self.api, intro, tool_calls=[call])),
            _Step(exec_tool_call(call_id, tool)),
            _Step(tool_response(self.api, call_id, tool, output)),
        ]

    @staticmethod
    def _stack(task: TaskState) -> tuple[str, str]:
        for entity in task.entities:
            if entity.get("type") == "stack":
                return str(entity["project"]), str(entity["name"])
        return DEFAULT_STACK

    def _repository(self, task: TaskState) -> Json:
        for entity in task.entities:
            if entity.get("type") == "repository":
                return {"forge": "github", **entity}
        return repository_entity("infrastructure", self.org)

    # -- playing turns ----------------------------------------------------------------------

    def _start(self, task: TaskState, steps: list[_Step]) -> None:
        turn = Turn()
        task.turn = turn
        task.status = "running"
        self.store.cond.notify_all()
        thread = threading.Thread(
            target=self._play, args=(task, turn, steps), name=f"neo-turn-{task.id[:8]}", daemon=True
        )
        thread.start()

    def _play(self, task: TaskState, turn: Turn, steps: list[_Step]) -> None:
        for step in steps:
            if self.pace > 0 and turn.cancelled.wait(self.pace):
                return
            with self.store.cond:
                if task.turn is not turn or self._stop.is_set():
                    return
                self._apply(task, step)
        with self.store.cond:
            if task.turn is turn:
                task.turn = None
                task.status = "idle"
                self.store.cond.notify_all()

    def _apply(self, task: TaskState, step: _Step) -> None:
        body = {**step.body, "timestamp": rfc3339(time.time())}
        if body["type"] == "set_task_name":
            task.name = body["name"]
            task.named = True
        if step.add_entity is not None:
            self._add_entity(task, step.add_entity)
        if step.pending_approval is not None:
            task.pending_approval = step.pending_approval
        if step.resolves is not None:
            approval_id, outcome = step.resolves
            task.closed_approvals[approval_id] = outcome
            if task.pending_approval == approval_id:
                task.pending_approval = None
        for usage in body.get("token_usage", {}).values():
            task.tokens_used += usage.get("input_tokens", 0) + usage.get("output_tokens", 0)
        event = console_event(
            self.api, step.kind, new_uuid(self.store.rng), body, synthetic=step.synthetic
        )
        self.store.append(task, event)
