"""The scripted agent: accepts user events and plays Neo's turns, deterministically.

A turn is planned in full when the user event is accepted (every random draw happens then, in
request order, so a seed fixes ids, PR numbers, token counts and texts), then played by a daemon
thread that sleeps `pace` seconds before each event. Cancelling a turn stops it between two
events: the thread re-checks, under the store's lock, that its turn is still the task's turn
before each event, so not one event of a cancelled turn lands after the cancellation.

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

The current shape (`api="current"`) plays the same turns with every backend event kind of the
live service, in the live order:

- every `assistant_message` carries `token_usage` with the four counters (`input_tokens`,
  `output_tokens`, `cache_creation_input_tokens`, `cache_read_input_tokens`), the task's first
  one for two models; the task's `tokensUsed` adds them up and `contextUsedTokens` grows with
  them (`_shapes.ContextMeter`). Once the context passes `contextCompactionThresholdPercent` of
  `contextWindowTokens`, a `context_compression_event` `compressing` and a `compressed` one (with
  `context_summary` and `tail_length`) follow and the context shrinks;
- tool calls carry `execution_mode: cloud`; `exec_tool_call` carries `execution_mode` and `args`;
  `pulumi_preview` and `pulumi_up` report three `exec_tool_call_progress` events (`status`
  `running`, `metadata` with the phase and resource counts); `tool_response` has `is_error`;
- `provide_pulumi_access_token` (an opaque encrypted blob) comes once per task, right before its
  first Pulumi operation;
- an approval is a `user_approval_request` (`approval_type` `tool_permission`, `source` `agent`,
  `buttons`, `context` with `tool_call_id` and `tool_name` of the call it gates, `git_diff` of
  three files, one ~200 lines long, and `last_approval_diff` from the task's previous approval),
  then a final `assistant_message` and `awaiting_approvals`. Opening a pull request is `regular`
  (auto-approved in `balanced` and `auto`); a message asking to deploy (`deploy`, `pulumi up`,
  without a pull request) asks to run `pulumi up`, which is `sensitive` (only `auto` approves it
  by itself) and then runs `pulumi_up`;
- with `planMode: true` at creation, or the magic word `plan-mode`, the first turn presents a
  plan and asks a `plan_exit` approval (`sensitive`, `context.plan_description` in markdown);
  approving it leaves plan mode (`planMode` false) and does the work;
- with `toolExecutionMode: cli` (or `worker`), the request plays a session in the client's
  workspace with the real local tools (`_local_turn.py`): each turn ends with an
  `assistant_message` (`is_final`) whose tool calls have `execution_mode: cli`, and the next one
  starts from the `tool_result` the client posts.

Magic words (whole words, any case) for tests and demos:

| word | effect |
|---|---|
| `simulate-error` | the turn ends with an `error` event right after the opening message |
| `warn` | a `warning` event before the turn's end |
| `surprise` | an event of a type no client knows (`neo_future_event`) |
| `malformed` | a malformed approval request: seed, cut-short `arguments`; current, no `message` |
| `thorough` | three tool uses (`get_stack_resources`, `search_code`, `pulumi_preview`), not one |
| `plan-mode` | current shape: a `plan_exit` approval first, as with `planMode: true` |

Two options shape how confirmations are received (for approval tests): `confirmation_delay`
(seconds between the 202 and the `user_confirmation` event landing, as the live service records
it asynchronously; the task is `running` meanwhile and counts it in `pendingInputCount`) and
`echo_confirmations` (False: a user's confirmation is acted on but never listed).
"""

from __future__ import annotations

import logging
import re
import threading
import time

from . import _content as content
from ._errors import BUSY, ApiError
from ._local_turn import LocalTurns
from ._shapes import (
    ApiShape,
    ContextMeter,
    Json,
    approval_bodies,
    assistant_message,
    console_event,
    exec_tool_call,
    exec_tool_call_progress,
    new_token,
    new_uuid,
    provide_pulumi_access_token,
    pull_request_entity,
    pull_request_url,
    repository_entity,
    rfc3339,
    tokens_billed,
    tool_call,
    tool_response,
)
from ._store import Step, Store, TaskState, Turn, entity_key
from ._validation import entity_diff

logger = logging.getLogger("neo_notebook.emulator")

DEFAULT_STACK = ("platform", "dev")
LONG_TOOLS = ("pulumi_preview", "pulumi_up")
"""Tools that report `exec_tool_call_progress` (current shape)."""
_MAGIC = re.compile(
    r"\b(simulate-error|warn|surprise|malformed|thorough|plan-mode)\b", re.IGNORECASE
)
_DEPLOY = re.compile(r"\b(deploy|pulumi up)\b", re.IGNORECASE)
_PULL_REQUEST = re.compile(r"\b(prs?|pull[ -]requests?)\b", re.IGNORECASE)
_SIZES = ("t3.medium", "t3.small", "t3.micro")


class ScriptedAgent:
    """Accepts user events for the tasks in `store` and plays the agent's turns."""

    def __init__(
        self,
        store: Store,
        *,
        org: str,
        pace: float,
        stop: threading.Event,
        user: Json,
        confirmation_delay: float = 0.0,
        echo_confirmations: bool = True,
    ) -> None:
        self.store = store
        self.api: ApiShape = store.api
        self.org = org
        self.pace = pace
        self.user = user
        self.confirmation_delay = confirmation_delay
        self.echo_confirmations = echo_confirmations
        self._stop = stop
        self._next_pull_request = 100 + store.rng.randrange(300)
        self.local = LocalTurns(self)

    def create_task(self, message: Json, settings: Json) -> TaskState:
        """Create a task from a checked create request and start its first turn."""
        # The seed shape returns the other settings as they came; the current one as fields.
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
                role=settings.get("role"),
                tool_execution_mode=settings.get("toolExecutionMode", "cloud"),
                source=settings.get("source", "api"),
                agent_definition_id=settings.get("agentDefinitionId"),
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
            self.local.check(task, event)
            adds, removes = entity_diff(event.get("entity_diff"), where="event.entity_diff")
            self._change_entities(task, adds, removes)
            stored = {**event, "timestamp": event.get("timestamp") or rfc3339(time.time())}
            self.store.record_posted(task.id, event)
            actor = self.user if self.api == "current" else None
            deferred = kind == "user_confirmation" and (
                self.confirmation_delay > 0 or not self.echo_confirmations
            )
            if deferred:
                self._confirm(task, event, received=stored)
                return
            self.store.append(
                task,
                console_event(self.api, "userInput", new_uuid(self.store.rng), stored, actor=actor),
            )
            if kind == "user_message":
                self._supersede(task)
                self.start(task, self._plan_message(task, event["content"]))
            elif kind == "user_confirmation":
                self._confirm(task, event)
            elif kind == "user_cancel":
                self._cancel(task)
            elif kind == "exec_tool_call":
                self.local.started(task, event)
            elif kind == "tool_result":
                self.local.reported(task, event["tool_results"])

    def force_cancel(self, task: TaskState) -> None:
        """`POST .../cancel`: end the running turn without telling the agent (no event)."""
        with self.store.cond:
            if task.turn is not None:
                task.turn.cancelled.set()
            task.turn = None
            task.status = "idle"
            task.pending_inputs = 0
            self.local.stop(task)
            if task.runtime_phase is not None:
                task.runtime_phase = "ready"
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

    def _confirm(self, task: TaskState, event: Json, *, received: Json | None = None) -> None:
        """Act on a confirmation; `received` is its event when it lands later or never."""
        approval_id = event["approval_request_id"]
        approved = event.get("ok", True)
        task.pending_approval = None
        task.closed_approvals[approval_id] = "approved" if approved else "declined"
        action = task.approval_actions.pop(approval_id, {"do": "pull_request"})
        if approved:
            steps = self._approved(task, action)
        else:
            if action["do"] == "plan":
                text = "Understood, I'll stay in plan mode. Tell me what to change in the plan."
            elif action["do"] == "local":
                text = self.local.declined(task, event.get("instructions"))
            else:
                text = content.declined(event.get("instructions"))
            steps = [
                Step(assistant_message(self.api, text, is_final=True, usage=self._usage(task)))
            ]
        delay = 0.0
        if received is not None:
            task.pending_inputs += 1
            delay = self.confirmation_delay
            first = Step(received, kind="userInput", hidden=not self.echo_confirmations)
            first.received = True
            steps.insert(0, first)
        self.start(task, steps, delay=delay)

    def _approved(
        self, task: TaskState, action: Json, meter: ContextMeter | None = None
    ) -> list[Step]:
        """What the agent does once approval `action` is granted (`meter`: the turn's so far)."""
        if action["do"] == "plan":
            task.plan_mode = False
            return self._plan_work(task, action["message"], set(action["magic"]), meter)
        if action["do"] == "update":
            return self._plan_update(task, action["call_id"], meter)
        if action["do"] == "local":
            return self.local.approved(task, action, meter)
        return self._plan_pull_request(task, action.get("call_id"), meter)

    def _cancel(self, task: TaskState) -> None:
        was_running = task.turn is not None
        if task.turn is not None:
            task.turn.cancelled.set()
            task.turn = None
        task.pending_inputs = 0
        self._supersede(task)
        self.local.stop(task)
        if self.api == "current":
            body: Json = {"type": "cancelled", "operation_was_running": was_running}
        else:
            body = assistant_message(self.api, "Cancelled.")
        self._apply(task, Step(body))
        task.status = "idle"
        if task.runtime_phase is not None:
            task.runtime_phase = "ready"
        self.store.cond.notify_all()

    # -- planning turns (store lock held: every random draw happens here) -------------------

    def meter(self, task: TaskState) -> ContextMeter:
        return ContextMeter(self.store.rng, task.context_used_tokens, task.compaction_threshold())

    def _usage(self, task: TaskState) -> Json | None:
        """A lone message's token usage (current shape), for turns without a meter."""
        if self.api != "current":
            return None
        meter = self.meter(task)
        return meter.call(self.store.rng.randint(200, 800))

    def say(
        self,
        task: TaskState,
        meter: ContextMeter | None,
        text: str,
        *,
        added: int,
        tool_calls: list[Json] | None = None,
        is_final: bool = False,
        helper: bool = False,
    ) -> list[Step]:
        """An `assistant_message`, and the compression that follows when the context is full."""
        if meter is None:
            return [
                Step(assistant_message(self.api, text, tool_calls=tool_calls, is_final=is_final))
            ]
        usage = meter.call(added, helper=helper)
        steps = [
            Step(
                assistant_message(
                    self.api, text, tool_calls=tool_calls, is_final=is_final, usage=usage
                ),
                context=meter.used,
            )
        ]
        if meter.over:
            project, stack = self.stack(task)
            summary = content.context_summary(project, stack, self.store.rng.randint(6, 30))
            steps += [Step(body, context=meter.used) for body in meter.compress(summary)]
            steps[-1].context = meter.used
        return steps

    def _plan_message(self, task: TaskState, message: str) -> list[Step]:
        api = self.api
        # Attached data is read, never taken for the question (nor for its magic words).
        message, attached = content.split_attachments(message)
        magic = {m.lower() for m in _MAGIC.findall(message)}
        project, stack = self.stack(task)
        resources = self.store.rng.randint(12, 80)
        meter = self.meter(task) if api == "current" else None
        rng = self.store.rng
        steps: list[Step] = []
        first = not task.named
        if first:
            steps.append(Step({"type": "set_task_name", "name": content.task_name(message)}))
        opening = content.analysis(project, stack, resources)
        if api == "current" and task.tool_execution_mode != "cloud":
            opening = content.local_opening(message)
        if attached:
            opening = f"{content.attachments_read(attached)}\n\n{opening}"
        steps += self.say(
            task,
            meter,
            opening,
            added=rng.randint(300, 1500) if meter else 0,
            helper=first,
        )
        if "surprise" in magic:
            future = {"type": "neo_future_event", "detail": {"note": "a type no client knows"}}
            steps.append(Step(future))
        if "simulate-error" in magic:
            error = (
                f"The preview of {project}/{stack} failed: the stack's cloud credentials expired"
            )
            steps.append(Step({"type": "error", "message": error}))
            return steps
        if api == "current" and (task.plan_mode or "plan-mode" in magic):
            return steps + self._plan_exit(task, message, magic, meter)
        return steps + self._plan_work(task, message, magic, meter, resources=resources)

    def _plan_exit(
        self, task: TaskState, message: str, magic: set[str], meter: ContextMeter | None
    ) -> list[Step]:
        """Plan mode: present the plan and ask to leave plan mode before any work."""
        project, stack = self.stack(task)
        approval_id = new_token(self.store.rng, "req_")
        steps = self.say(
            task, meter, content.plan_ready(project, stack), added=self.store.rng.randint(400, 1200)
        )
        bodies = approval_bodies(
            self.api,
            approval_id=approval_id,
            call_id="",
            description=f"Approve the plan for {project}/{stack} and leave plan mode",
            approval_type="plan_exit",
            sensitivity="sensitive",
            context={"plan_description": content.plan_description(project, stack, message)},
            usage=meter.call(self.store.rng.randint(100, 300)) if meter else None,
        )
        action: Json = {"do": "plan", "message": message, "magic": sorted(magic)}
        return steps + self.ask(task, approval_id, bodies, action, sensitive=True, meter=meter)

    def _plan_work(
        self,
        task: TaskState,
        message: str,
        magic: set[str],
        meter: ContextMeter | None = None,
        *,
        resources: int | None = None,
    ) -> list[Step]:
        """The tools, then the answer or the approval a change needs."""
        if meter is None and self.api == "current":
            meter = self.meter(task)
        project, stack = self.stack(task)
        if resources is None:
            resources = self.store.rng.randint(12, 80)
        tools = ["pulumi_preview"]
        if "thorough" in magic:
            tools = ["get_stack_resources", "search_code", "pulumi_preview"]
        if self.api == "current" and task.tool_execution_mode != "cloud":
            return self.local.begin(task, message, meter)
        steps: list[Step] = []
        for tool in tools:
            output = content.tool_output(tool, self.org, project, stack, resources - 2)
            steps += self.tool_use(task, tool, {"stack": f"{project}/{stack}"}, output, meter)
        return steps + self._plan_after_tools(task, message, magic, meter)

    def _plan_after_tools(
        self, task: TaskState, message: str, magic: set[str], meter: ContextMeter | None
    ) -> list[Step]:
        project, stack = self.stack(task)
        steps: list[Step] = []
        if "warn" in magic:
            warning = f"The stack {project}/{stack} has 3 resources with pending replacements"
            steps.append(Step({"type": "warning", "message": warning}))
        if content.asks_for_change(message):
            deploy = bool(_DEPLOY.search(message)) and not _PULL_REQUEST.search(message)
            steps += self._plan_approval(
                task, malformed="malformed" in magic, meter=meter, deploy=deploy
            )
        else:
            steps += self.say(
                task,
                meter,
                content.answer(project, stack),
                added=self.store.rng.randint(300, 900) if meter else 0,
                is_final=True,
            )
        return steps

    def _plan_approval(
        self,
        task: TaskState,
        *,
        malformed: bool,
        meter: ContextMeter | None = None,
        deploy: bool = False,
    ) -> list[Step]:
        project, stack = self.stack(task)
        repository = self._repository(task)
        approval_id = new_token(self.store.rng, "req_")
        call_id = new_token(self.store.rng, "call_")
        if self.api != "current":
            bodies = approval_bodies(
                self.api,
                approval_id=approval_id,
                call_id=call_id,
                description=content.change_description(
                    project, stack, f"{repository['org']}/{repository['name']}"
                ),
                malformed=malformed,
            )
            action: Json = {"do": "pull_request"}
            return self.ask(task, approval_id, bodies, action, sensitive=False)
        tool = "pulumi_up" if deploy else "create_pull_request"
        size = _SIZES[len(task.closed_approvals) % len(_SIZES)]
        diff = content.git_diff(project, stack, size)
        context: Json = {"tool_call_id": call_id, "tool_name": tool, "git_diff": diff}
        if task.last_git_diff is not None:
            context["last_approval_diff"] = task.last_git_diff
        task.last_git_diff = diff
        description = (
            content.update_description(project, stack)
            if deploy
            else content.change_description(
                project, stack, f"{repository['org']}/{repository['name']}"
            )
        )
        bodies = approval_bodies(
            self.api,
            approval_id=approval_id,
            call_id=call_id,
            description=description,
            malformed=malformed,
            approval_type="tool_permission",
            sensitivity="sensitive" if deploy else "regular",
            context=context,
            usage=meter.call(self.store.rng.randint(200, 600)) if meter else None,
        )
        action = {"do": "update" if deploy else "pull_request", "call_id": call_id}
        return self.ask(task, approval_id, bodies, action, sensitive=deploy, meter=meter)

    def ask(
        self,
        task: TaskState,
        approval_id: str,
        bodies: list[Json],
        action: Json,
        *,
        sensitive: bool,
        meter: ContextMeter | None = None,
    ) -> list[Step]:
        """Wait for approval `approval_id`, or grant it at once as the approval mode says."""
        auto = task.approval_mode == "auto" or (task.approval_mode == "balanced" and not sensitive)
        if not auto:
            task.approval_actions[approval_id] = action
            steps = [Step(bodies[0], pending_approval=approval_id)]
            return steps + [Step(body) for body in bodies[1:]]
        # Auto-approval: the waiting message of the current shape would end the turn early.
        confirmation = {"type": "user_confirmation", "approval_request_id": approval_id, "ok": True}
        return [
            Step(bodies[0], pending_approval=approval_id),
            Step(
                confirmation, kind="userInput", synthetic=True, resolves=(approval_id, "approved")
            ),
            *self._approved(task, action, meter),
        ]

    def _plan_pull_request(
        self, task: TaskState, call_id: str | None = None, meter: ContextMeter | None = None
    ) -> list[Step]:
        project, stack = self.stack(task)
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
        if meter is None and self.api == "current":
            meter = self.meter(task)
        steps = self.tool_use(
            task,
            "create_pull_request",
            args,
            f"Created pull request #{number}: {url}",
            meter,
            call_id=call_id,
        )
        if self.api == "current":
            changes = {"type": "change_entities", "changes": {"add": [entity], "remove": []}}
            steps.append(Step(changes, add_entity=entity))
        else:
            steps[-1].add_entity = entity
        text = content.pull_request_opened(number, url, project, stack)
        return steps + self.say(
            task, meter, text, added=self.store.rng.randint(100, 400) if meter else 0, is_final=True
        )

    def _plan_update(
        self, task: TaskState, call_id: str, meter: ContextMeter | None = None
    ) -> list[Step]:
        project, stack = self.stack(task)
        meter = meter or self.meter(task)
        output = content.tool_output("pulumi_up", self.org, project, stack, 40)
        steps = self.tool_use(
            task, "pulumi_up", {"stack": f"{project}/{stack}"}, output, meter, call_id=call_id
        )
        return steps + self.say(
            task,
            meter,
            content.update_done(project, stack),
            added=self.store.rng.randint(200, 600),
            is_final=True,
        )

    def tool_use(
        self,
        task: TaskState,
        tool: str,
        args: Json,
        output: str,
        meter: ContextMeter | None,
        *,
        call_id: str | None = None,
    ) -> list[Step]:
        call_id = call_id or new_token(self.store.rng, "call_")
        intro = f"Running `{tool}` on `{args.get('stack', args.get('repository', ''))}`."
        if tool == "todo__TodoWrite":
            intro = "Here is my plan for this request."
        if self.api != "current" or meter is None:
            call = tool_call(self.api, call_id, tool, args)
            return [
                Step(assistant_message(self.api, intro, tool_calls=[call])),
                Step(exec_tool_call(call_id, tool)),
                Step(tool_response(self.api, call_id, tool, output)),
            ]
        rng = self.store.rng
        call = tool_call(self.api, call_id, tool, args, execution_mode="cloud")
        steps = self.say(task, meter, intro, added=rng.randint(2500, 9000), tool_calls=[call])
        if tool.startswith("pulumi_") and not task.sent_pulumi_token:
            task.sent_pulumi_token = True
            steps.append(Step(provide_pulumi_access_token(rng)))
        steps.append(Step(exec_tool_call(call_id, tool, execution_mode="cloud", args=args)))
        if tool in LONG_TOOLS:
            total = rng.randint(20, 90)
            for done, phase in ((0, "starting"), (total // 2, "running"), (total, "finishing")):
                metadata = {"phase": phase, "resources_done": done, "resources_total": total}
                steps.append(Step(exec_tool_call_progress(call_id, "running", metadata)))
        steps.append(Step(tool_response(self.api, call_id, tool, output)))
        return steps

    @staticmethod
    def stack(task: TaskState) -> tuple[str, str]:
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

    def start(self, task: TaskState, steps: list[Step], *, delay: float = 0.0) -> None:
        turn = Turn()
        task.turn = turn
        task.status = "running"
        self.store.cond.notify_all()
        thread = threading.Thread(
            target=self._play,
            args=(task, turn, steps, delay),
            name=f"neo-turn-{task.id[:8]}",
            daemon=True,
        )
        thread.start()

    def _play(self, task: TaskState, turn: Turn, steps: list[Step], delay: float) -> None:
        if delay > 0 and turn.cancelled.wait(delay):
            return
        for i, step in enumerate(steps):
            if self.pace > 0 and not (i == 0 and step.received) and turn.cancelled.wait(self.pace):
                return
            with self.store.cond:
                if task.turn is not turn or self._stop.is_set():
                    return
                self._apply(task, step)
        with self.store.cond:
            if task.turn is turn:
                task.turn = None
                task.status = "idle"
                task.runtime_phase = "ready"
                self.store.cond.notify_all()

    def _apply(self, task: TaskState, step: Step) -> None:
        body = {**step.body, "timestamp": step.body.get("timestamp") or rfc3339(time.time())}
        if step.received:
            body["timestamp"] = rfc3339(time.time())
            task.pending_inputs = max(0, task.pending_inputs - 1)
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
        if "token_usage" in body:
            task.tokens_used += tokens_billed(body["token_usage"])
        if step.context is not None:
            task.context_used_tokens = step.context
        if task.runtime_phase is not None:
            task.runtime_phase = "running"
        if step.parks is not None:
            # The hand-off ends the turn as it lands: the client may answer at once.
            task.cli_calls = dict(step.parks)
            task.turn = None
            task.status = "idle"
            if task.runtime_phase is not None:
                task.runtime_phase = "ready"
        if step.hidden:
            self.store.cond.notify_all()
            return
        actor = self.user if step.kind == "userInput" and not step.synthetic else None
        if self.api != "current":
            actor = None
        event = console_event(
            self.api,
            step.kind,
            new_uuid(self.store.rng),
            body,
            synthetic=step.synthetic,
            actor=actor,
        )
        self.store.append(task, event)
