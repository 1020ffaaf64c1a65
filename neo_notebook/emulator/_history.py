"""Seeded history: past tasks with realistic event streams, for analysis demos and benchmarks.

`build_history` makes `count` idle tasks created over the ~6 months before `end`, reproducibly
from `seed`. Each is a series of turns like the live agent's: user messages, `set_task_name`,
markdown answers, tool uses (`pulumi_preview`, `pulumi_up`, `get_stack_resources`,
`search_code`, `read_file`, `create_pull_request`), approval requests answered seconds to hours
later (approved, declined, or superseded by a new message), pull request entities, and the odd
irregularity a client must survive: a malformed approval (`arguments` that are not JSON in the
seed shape), `context_compression_event`s, `warning`s and `error`s. Timestamps increase strictly
within a task.

The current shape (`api="current"`) writes the same turns with the live service's events (see
`_agent.py`): `token_usage` with four counters on every message, a context that grows until it
is compressed (`context_compression_event`s), `provide_pulumi_access_token`, `exec_tool_call`
with `execution_mode` and `args`, progress on Pulumi tools, approvals with `git_diff` (and
`last_approval_diff` on a task's second), `awaiting_approvals`, and auto-approvals of regular
requests in `balanced` and `auto` tasks. Its tasks vary the way an organization's do: sources
(`console`, `api`, `cli`, `slack`, `code-review`, and automations), approval and permission
modes, roles, custom agents and token counts. About one task in eight was started by a failed
deployment (a `triggerUserInput` event with `triggerEvents`: `title`, `eventType`,
`reference`, `badgeLabel`, `badgeTone`, `sourceUrl`, `details`, `omittedItemCount`; `taskType`
`async`, `asyncTriggerType` `external_signal`, `source` `github`), one in ten by a schedule
(`triggerInstructions`, `asyncTriggerType` `scheduled`, `source` `schedule`), and one in ten ran
its tools in the CLI (`toolExecutionMode` `cli`): the workspace session of `_local_turn.py` with
the real local tools of `_cli_tools.py`, played against a small program in memory, each call
being an `assistant_message` with `execution_mode: cli` calls, the client's `exec_tool_call`, the
agent's echo, the client's `tool_result` and the agent's `tool_response`, all with one call id.
Seeded tasks are idle with their runtime torn down (`runtimePhase` null).

Waiting for approval right now (current shape, `events_per_task=None`): the two newest seeded
tasks, always, in `manual` mode. The newest (created 10 to 40 minutes before `end`) is a scheduled
drift check (`source` `schedule`, `asyncTriggerType` `scheduled`, a `triggerUserInput` with
`triggerInstructions`); the second (45 to 58 minutes before `end`) fixes a failed deployment
(`source` `github`, `external_signal`, a `triggerUserInput` from the failed deployment). Each
ends with `user_approval_request` (a pull request, `tool_permission`, `git_diff`), the final
`assistant_message` and `awaiting_approvals`; answering with a `user_confirmation` through the
API resumes the agent, which opens the pull request and finishes. Find them as
`emu.task_ids[:2]`, or by their last event, `awaiting_approvals`.

With `events_per_task=None` a task holds its turns' natural length (about 10 to 60 events);
with an int it holds exactly that many (the last turn is cut short), for benchmarks. Events are
encoded to JSON once, here: 100 000 events take about a second.
"""

from __future__ import annotations

import random
import time
from typing import Any

from . import _content as content
from ._cli_tools import Workspace
from ._local_turn import LocalSession, Move
from ._shapes import (
    ApiShape,
    ContextMeter,
    Json,
    approval_bodies,
    assistant_message,
    console_event,
    encode,
    exec_tool_call,
    exec_tool_call_progress,
    new_token,
    new_uuid,
    provide_pulumi_access_token,
    pull_request_entity,
    pull_request_url,
    repository_entity,
    rfc3339,
    stack_entity,
    tokens_billed,
    tool_call,
    tool_response,
    tool_result,
    trigger_event,
)
from ._store import TaskState
from ._validation import ROLES

_HALF_YEAR = 182 * 86400
_PROJECTS = ("payments-api", "web-frontend", "data-pipeline", "platform-network", "ml-training")
_STACKS = ("dev", "staging", "prod")
_REPOSITORIES = ("infrastructure", "payments", "web", "data-platform")
_USERS = (
    ("Ada Lovelace", "ada-l"),
    ("Grace Hopper", "ghopper"),
    ("Alan Turing", "aturing"),
    ("Katherine Johnson", "kjohnson"),
)
_QUESTIONS = (
    "Why did the last deployment of {p}/{s} take so long?",
    "What resources in {p}/{s} are publicly accessible?",
    "Summarize the drift in the {s} stack of {p}",
    "How much does {p} {s} cost per month?",
    "Explain the networking setup of {p}",
    "Which IAM roles in {p}/{s} have admin access?",
)
_CHANGES = (
    "Optimize the instance sizes in {p}/{s}",
    "Fix the failing preview in {p}/{s}",
    "Upgrade the AWS provider to v7 in {p}",
    "Add cost-allocation tags to every resource in {p}/{s} and open a PR",
    "Create a pull request that enables bucket encryption in {p}",
    "Update the EKS cluster in {p}/{s} to Kubernetes 1.31",
)
_FOLLOW_UPS = (
    "Also check the staging stack",
    "Can you explain that table?",
    "What would change in prod?",
    "Use t3.medium instead and update the PR",
    "Apply the same change to {p}/{s}",
    "Thanks, what else should I look at?",
)
_TOOLS = ("pulumi_preview", "get_stack_resources", "search_code", "read_file")


class _Full(Exception):
    """The task reached its exact event count."""


class _Writer:
    """Appends one task's events with strictly increasing timestamps."""

    def __init__(
        self, task: TaskState, api: ApiShape, rng: random.Random, start: float, limit: int | None
    ) -> None:
        self.task, self.api, self.rng = task, api, rng
        self.clock = int(start)
        self.limit = limit
        self.compact = limit is not None and limit > 2000
        self.meter = ContextMeter(rng, 0, task.compaction_threshold()) if api == "current" else None
        self.summaries = 0
        self.waits = False
        """The task ends waiting for its first approval (a waiting task of `WAITING`)."""

    def say(
        self,
        text: str,
        low: int = 2,
        high: int = 25,
        *,
        added: tuple[int, int] = (300, 1500),
        tool_calls: list[Json] | None = None,
        is_final: bool = False,
        helper: bool = False,
    ) -> None:
        """An `assistant_message`; in the current shape with its usage, then any compression."""
        meter = self.meter
        usage = meter.call(self.rng.randint(*added), helper=helper) if meter else None
        body = assistant_message(
            self.api, text, tool_calls=tool_calls, is_final=is_final, usage=usage
        )
        self.agent(body, low, high)
        if meter is not None and usage is not None:
            self.task.tokens_used += tokens_billed(usage)
            self.task.context_used_tokens = meter.used
            if meter.over:
                self.summaries += 1
                project, stack = _stack_of(self.task)
                summary = content.context_summary(project, stack, 6 * self.summaries)
                for event in meter.compress(summary):
                    self.agent(event, 1, 6)
                self.task.context_used_tokens = meter.used

    def tick(self, low: int, high: int) -> None:
        """Let `low`..`high` seconds pass (a few seconds when the task is huge)."""
        self.clock += self.rng.randint(1, 3) if self.compact else self.rng.randint(low, high)

    def emit(self, kind: str, body: Json, *, synthetic: bool = False, **extra: Any) -> None:
        """Stamp and append one event; raises `_Full` once the exact count is reached.

        `extra` goes to `console_event` (`trigger_events`, `trigger_instructions`); a
        `userInput` not `synthetic` carries its `actor` in the current shape.
        """
        task = self.task
        if self.limit is not None and len(task.events) >= self.limit:
            raise _Full
        self.clock += 1
        body["timestamp"] = rfc3339(self.clock)
        event_id = new_uuid(self.rng)
        if kind == "userInput" and not synthetic:
            extra["actor"] = task.created_by
        event = console_event(self.api, kind, event_id, body, synthetic=synthetic, **extra)
        task.events.append(encode(event))
        task.event_ids.append(event_id)
        task.last_event_at = body["timestamp"]

    def wait_for_human(self) -> None:
        """Let the time a person takes to answer an approval pass: seconds to hours."""
        if self.compact:
            self.clock += self.rng.randint(5, 120)
        else:
            self.clock += int(min(6 * 3600, self.rng.lognormvariate(4.0, 1.3))) + 1

    def agent(self, body: Json, low: int = 2, high: int = 25) -> None:
        self.tick(low, high)
        self.emit("agentResponse", body)

    def user(self, body: Json, low: int, high: int) -> None:
        self.tick(low, high)
        self.emit("userInput", body)


def build_history(
    *,
    count: int,
    events_per_task: int | None,
    seed: int,
    api: ApiShape,
    org: str,
    end: float,
) -> list[TaskState]:
    """`count` past tasks, the same for the same arguments."""
    rng = random.Random(f"neo-emulator-history:{seed}")
    waiting: tuple[str, ...] = ()
    if api == "current" and events_per_task is None:
        waiting = WAITING[: min(count, len(WAITING))]
    tasks = [_task(rng, api, org, end, events_per_task) for _ in range(count - len(waiting))]
    return tasks + [_task(rng, api, org, end, None, waiting=kind) for kind in waiting]


WAITING = ("schedule", "deployment")
"""The automations whose tasks wait for an approval at the end of the current-shape history."""


def _task(
    rng: random.Random,
    api: ApiShape,
    org: str,
    end: float,
    exact: int | None,
    *,
    waiting: str | None = None,
) -> TaskState:
    project, stack = rng.choice(_PROJECTS), rng.choice(_STACKS)
    repository = repository_entity(rng.choice(_REPOSITORIES), org)
    length = exact if exact is not None else rng.randint(10, 60)
    youngest = min(_HALF_YEAR // 2, max(3600, length * 4))
    created = end - rng.uniform(youngest, _HALF_YEAR)
    if waiting is not None:
        # Started by the automation in the last hours, and still waiting for a person.
        # Younger than any other seeded task (an hour at least): the two newest.
        minutes = (10, 40) if waiting == "schedule" else (45, 58)
        created = end - rng.uniform(minutes[0] * 60, minutes[1] * 60)
    name, login = rng.choice(_USERS)
    task = TaskState(
        id=new_uuid(rng),
        name="",
        created_at=rfc3339(created),
        created_by={
            "name": name,
            "githubLogin": login,
            "avatarUrl": f"https://avatars.githubusercontent.com/{login}?v=4",
        },
        approval_mode="manual",
        named=True,
        runtime_phase=None,
    )
    trigger = _profile(rng, task, waiting) if api == "current" else None
    writer = _Writer(task, api, rng, created, exact)
    writer.waits = waiting is not None
    first = rng.choice(_CHANGES if rng.random() < 0.6 else _QUESTIONS).format(p=project, s=stack)
    if trigger is not None:
        first = _TRIGGER_MESSAGES[trigger].format(p=project, s=stack)
    task.name = content.task_name(first)
    message = first
    entities = [stack_entity(project, stack), repository]
    turn = 0
    try:
        while True:
            next_message = _turn(
                writer, org, project, stack, repository, message, entities, turn, trigger
            )
            turn += 1
            trigger = None
            if next_message is None and exact is None and len(task.events) >= length:
                break
            if next_message is None:
                template = rng.choice(_FOLLOW_UPS + _CHANGES + _QUESTIONS)
                next_message = template.format(p=project, s=rng.choice(_STACKS))
            message, entities = next_message, []
    except _Full:
        pass
    if api == "seed":
        task.tokens_used = len(task.events) * 950
    return task


_TRIGGER_MESSAGES = {
    "deployment": "Deployment of {p}/{s} failed: find the cause and fix it",
    "schedule": "Check {p}/{s} for drift and update the program if anything changed",
}


def _profile(rng: random.Random, task: TaskState, waiting: str | None = None) -> str | None:
    """Draw what kind of task this is (current shape); returns its trigger, if any.

    `waiting` forces the trigger (`schedule` or `deployment`) of a task waiting for approval,
    in `manual` mode.
    """
    roll = rng.random()
    if waiting is not None:
        roll = 0.0 if waiting == "deployment" else 0.15
    trigger: str | None = None
    if roll < 0.12:
        trigger = "deployment"
        task.task_type, task.async_trigger_type, task.source = "async", "external_signal", "github"
        task.source_automation_id = f"automation-{rng.getrandbits(32):08x}"
    elif roll < 0.22:
        trigger = "schedule"
        task.task_type, task.async_trigger_type, task.source = "async", "scheduled", "schedule"
        task.source_automation_id = f"schedule-{rng.getrandbits(32):08x}"
    elif roll < 0.32:
        task.tool_execution_mode, task.source = "cli", "cli"
    else:
        task.source = rng.choices(
            ("console", "api", "slack", "code-review"), weights=(55, 25, 12, 8)
        )[0]
    task.approval_mode = rng.choices(("manual", "balanced", "auto"), weights=(5, 4, 1))[0]
    if waiting is not None:
        task.approval_mode = "manual"
    if rng.random() < 0.1:
        task.permission_mode = "read-only"
    if rng.random() < 0.15:
        task.role = rng.choice(sorted(ROLES))
    if rng.random() < 0.1:
        task.agent_definition_id = rng.choice(("agentdef-cost-reviewer", "agentdef-drift-fixer"))
    task.vcs_provider = rng.choices(("github", "gitlab", "github_enterprise"), weights=(8, 1, 1))[0]
    if rng.random() < 0.2:
        task.context_window_tokens = 1_000_000
    return trigger


def _trigger_input(
    w: _Writer, kind: str, body: Json, repository: Json, project: str, stack: str
) -> None:
    """The first message of a task an automation started: a `triggerUserInput`."""
    rng, org, repo = w.rng, repository["org"], repository["name"]
    received = rfc3339(w.clock + 1)
    if kind == "deployment":
        number = rng.randint(100, 9000)
        sha = f"{rng.getrandbits(160):040x}"
        url = f"https://github.com/{org}/{repo}/actions/runs/{rng.getrandbits(34)}"
        event = trigger_event(
            new_uuid(rng),
            "github",
            received,
            {"action": "completed", "deployment": {"id": number, "sha": sha, "environment": stack}},
            title=f"Deployment of {project}/{stack} failed",
            eventType="deployment_status.failure",
            reference=f"#{number}",
            badgeLabel="Failed",
            badgeTone="danger",
            sourceUrl=url,
            details=[
                {"label": "Stack", "value": f"{project}/{stack}", "kind": "stack"},
                {"label": "Commit", "value": sha[:7], "kind": "commit"},
                {"label": "Error", "value": "aws:rds:Instance db: InvalidParameterCombination"},
            ],
            omittedItemCount=rng.randint(0, 4),
        )
        w.emit("triggerUserInput", body, synthetic=True, trigger_events=[event])
        return
    cron = rng.choice(("0 9 * * 1", "0 6 * * *", "30 7 1 * *"))
    event = trigger_event(
        new_uuid(rng),
        "schedule",
        received,
        {"cron": cron, "timezone": "UTC"},
        title="Scheduled drift check",
        eventType="schedule.fired",
        reference=cron,
        badgeLabel="Scheduled",
        badgeTone="neutral",
        details=[{"label": "Cron", "value": cron, "kind": "cron"}],
    )
    w.emit(
        "triggerUserInput",
        body,
        synthetic=True,
        trigger_events=[event],
        trigger_instructions=body["content"],
    )


def _turn(
    w: _Writer,
    org: str,
    project: str,
    stack: str,
    repository: Json,
    message: str,
    entities: list[Json],
    index: int,
    trigger: str | None = None,
) -> str | None:
    """Write one turn starting with `message`; returns the message that superseded its approval."""
    rng, api, task = w.rng, w.api, w.task
    body: Json = {"type": "user_message", "content": message}
    if entities:
        body["entity_diff"] = {"add": entities, "remove": []}
        task.entities.extend(dict(e) for e in entities)
    if trigger is not None:
        # An automation's task starts as it is created.
        w.tick(1, 5) if w.waits else w.tick(600, 40000)
        _trigger_input(w, trigger, body, repository, project, stack)
    else:
        w.user(body, 600, 40000)
    if task.pending_approval is not None:
        task.closed_approvals[task.pending_approval] = "superseded"
        task.pending_approval = None
    if index == 0:
        w.agent({"type": "set_task_name", "name": task.name}, 1, 3)
    if rng.random() < 0.06 and api == "seed":
        w.agent({"type": "context_compression_event", "status": "compressed"}, 1, 4)
    if task.tool_execution_mode == "cli":
        w.say(content.local_opening(message), 3, 20, helper=index == 0)
        _local_session(w, project, stack, message)
        return None
    resources = rng.randint(12, 80)
    w.say(content.analysis(project, stack, resources), 3, 20, helper=index == 0)
    for _ in range(rng.randint(1, 3)):
        tool = rng.choice(_TOOLS)
        output = content.tool_output(tool, org, project, stack, resources - 2)
        _tool_use(w, tool, {"stack": f"{project}/{stack}"}, output)
    roll = rng.random()
    if roll < 0.04 and not w.waits:
        w.agent({"type": "error", "message": "The agent runtime lost its connection"}, 1, 30)
        return None
    if roll < 0.08:
        w.agent({"type": "warning", "message": f"{project}/{stack} has pending operations"})
    if not content.asks_for_change(message):
        w.say(content.answer(project, stack), 5, 40, is_final=True)
        return None
    return _approval(w, org, project, stack, repository)


def _approval(w: _Writer, org: str, project: str, stack: str, repository: Json) -> str | None:
    rng, api, task = w.rng, w.api, w.task
    approval_id = new_token(rng, "req_")
    runs_update = rng.random() < 0.35 and not w.waits
    description = (
        f"Run pulumi up on {project}/{stack}"
        if runs_update
        else content.change_description(project, stack, f"{org}/{repository['name']}")
    )
    call_id = new_token(rng, "call_")
    current: Json = {}
    if api == "current":
        tool = "pulumi_up" if runs_update else "create_pull_request"
        diff = content.git_diff(
            project, stack, ("t3.medium", "t3.small")[len(task.closed_approvals) % 2]
        )
        context: Json = {"tool_call_id": call_id, "tool_name": tool, "git_diff": diff}
        if task.last_git_diff is not None:
            context["last_approval_diff"] = task.last_git_diff
        task.last_git_diff = diff
        meter = w.meter
        current = {
            "approval_type": "tool_permission",
            "sensitivity": "sensitive" if runs_update else "regular",
            "context": context,
            "usage": meter.call(rng.randint(200, 600)) if meter else None,
        }
        if current["usage"] is not None:
            task.tokens_used += tokens_billed(current["usage"])
    bodies = approval_bodies(
        api,
        approval_id=approval_id,
        call_id=call_id,
        description=description,
        malformed=api == "seed" and rng.random() < 0.03,
        **current,
    )
    task.pending_approval = approval_id
    automatic = api == "current" and (
        task.approval_mode == "auto" or (task.approval_mode == "balanced" and not runs_update)
    )
    if automatic:
        w.agent(bodies[0], 2, 15)
        confirmation: Json = {
            "type": "user_confirmation",
            "approval_request_id": approval_id,
            "ok": True,
        }
        w.tick(0, 1)
        w.emit("userInput", confirmation, synthetic=True)
        approved = True
    else:
        for body in bodies:
            w.agent(body, 2, 15)
        if w.waits:
            task.approval_actions[approval_id] = {"do": "pull_request", "call_id": call_id}
            raise _Full
        outcome = rng.random()
        if outcome < 0.04 and w.limit is None:
            raise _Full  # never answered: the task ends with its approval pending
        if outcome < 0.14:
            return "Actually, hold off on that and show me the plan first"
        approved = outcome >= 0.28
        confirmation = {"type": "user_confirmation", "approval_request_id": approval_id}
        if api == "current" or not approved:
            confirmation["ok"] = approved
        if not approved and rng.random() < 0.5:
            confirmation["instructions"] = "Only change the dev stack for now"
        w.wait_for_human()
        w.user(confirmation, 0, 0)
    task.pending_approval = None
    task.closed_approvals[approval_id] = "approved" if approved else "declined"
    if not approved:
        text = content.declined(confirmation.get("instructions"))
        w.say(text, 2, 10, is_final=True)
        return None
    gated = call_id if api == "current" else None
    if runs_update:
        output = content.tool_output("pulumi_up", org, project, stack, 40)
        _tool_use(w, "pulumi_up", {"stack": f"{project}/{stack}"}, output, call_id=gated)
        w.say("The update succeeded: 1 resource changed.", is_final=True)
        return None
    number = rng.randint(10, 2400)
    url = pull_request_url(repository, number)
    args = {"repository": f"{org}/{repository['name']}", "title": "Right-size web-server"}
    _tool_use(
        w, "create_pull_request", args, f"Created pull request #{number}: {url}", call_id=gated
    )
    entity = pull_request_entity(api, number, repository)
    task.entities.append(entity)
    if api == "current":
        w.agent({"type": "change_entities", "changes": {"add": [entity], "remove": []}}, 1, 2)
    text = content.pull_request_opened(number, url, project, stack)
    w.say(text, 2, 10, is_final=True)
    return None


def _local_session(w: _Writer, project: str, stack: str, message: str) -> None:
    """A CLI-mode request: the session `_local_turn.py` plays, against a workspace in memory."""
    rng, task = w.rng, w.task
    login = task.created_by["githubLogin"]
    workspace = Workspace(f"/home/{login}/src/{project}", content.sample_program(project, stack))
    session = LocalSession(message=message, change=content.asks_for_change(message), stack=stack)
    session.project = project
    move: Move | None = session.start()
    while move is not None:
        if move.gated and task.approval_mode == "manual":
            approval_id = new_token(rng, "req_")
            call_id = new_token(rng, "call_")
            for body in approval_bodies(
                w.api,
                approval_id=approval_id,
                call_id=call_id,
                description=f"Run `pulumi preview` on stack `{stack}` on your machine",
                approval_type="tool_permission",
                context={"tool_call_id": call_id, "tool_name": move.calls[0][0]},
                usage=w.meter.call(rng.randint(100, 400)) if w.meter else None,
            ):
                w.agent(body, 2, 10)
            w.wait_for_human()
            confirmation = {"type": "user_confirmation", "approval_request_id": approval_id}
            w.user({**confirmation, "ok": True}, 0, 0)
            task.closed_approvals[approval_id] = "approved"
        calls = [(new_token(rng, "call_"), name, args) for name, args in move.calls]
        wire = [tool_call(w.api, i, name, args, execution_mode="cli") for i, name, args in calls]
        w.say(move.text, 2, 15, added=(2000, 9000), tool_calls=wire, is_final=True)
        items, results = [], []
        for call_id, name, args in calls:
            w.user(exec_tool_call(call_id, name), 0, 2)
            w.agent(exec_tool_call(call_id, name, execution_mode="cli", args=args), 0, 1)
            output, is_error = workspace.run(name, args)
            items.append(
                {"tool_call_id": call_id, "name": name, "content": output, "is_error": is_error}
            )
            results.append((name, args, output, is_error))
        w.user(tool_result(items), 1, 60)
        for call_id, name, _ in calls:
            item = next(i for i in items if i["tool_call_id"] == call_id)
            w.agent(tool_response(w.api, call_id, name, item["content"], is_error=item["is_error"]))
        move = session.advance(results)
    w.say(session.finish(), 5, 40, is_final=True)


def _tool_use(
    w: _Writer, tool: str, args: Json, output: str, *, call_id: str | None = None
) -> None:
    call_id = call_id or new_token(w.rng, "call_")
    if w.api == "seed":
        call = tool_call(w.api, call_id, tool, args)
        w.agent(assistant_message(w.api, f"Running `{tool}`.", tool_calls=[call]), 2, 15)
        w.agent(exec_tool_call(call_id, tool), 1, 2)
        w.agent(tool_response(w.api, call_id, tool, output), 3, 90)
        return
    task, rng = w.task, w.rng
    call = tool_call(w.api, call_id, tool, args, execution_mode="cloud")
    w.say(f"Running `{tool}`.", 2, 15, added=(5000, 18000), tool_calls=[call])
    if tool.startswith("pulumi_") and not task.sent_pulumi_token:
        task.sent_pulumi_token = True
        w.agent(provide_pulumi_access_token(rng), 0, 1)
    w.agent(exec_tool_call(call_id, tool, execution_mode="cloud", args=args), 1, 2)
    if tool in ("pulumi_preview", "pulumi_up"):
        total = rng.randint(20, 90)
        for done, phase in ((0, "starting"), (total // 2, "running"), (total, "finishing")):
            metadata = {"phase": phase, "resources_done": done, "resources_total": total}
            w.agent(exec_tool_call_progress(call_id, "running", metadata), 2, 20)
    w.agent(tool_response(w.api, call_id, tool, output), 3, 90)


def _stack_of(task: TaskState) -> tuple[str, str]:
    for entity in task.entities:
        if entity.get("type") == "stack":
            return str(entity["project"]), str(entity["name"])
    return "platform", "dev"


def default_end() -> float:
    """Where seeded history ends by default: the start of the current UTC day."""
    now = time.time()
    return now - now % 86400
