"""Seeded history: past tasks with realistic event streams, for analysis demos and benchmarks.

`build_history` makes `count` idle tasks created over the ~6 months before `end`, reproducibly
from `seed`. Each is a series of turns like the live agent's: user messages, `set_task_name`,
markdown answers, tool uses (`pulumi_preview`, `pulumi_up`, `get_stack_resources`,
`search_code`, `read_file`, `create_pull_request`), approval requests answered seconds to hours
later (approved, declined, or superseded by a new message), pull request entities, and the odd
irregularity a client must survive: a malformed approval (`arguments` that are not JSON in the
seed shape), `context_compression_event`s, `warning`s and `error`s. Timestamps increase strictly
within a task.

With `events_per_task=None` a task holds its turns' natural length (about 10 to 60 events);
with an int it holds exactly that many (the last turn is cut short), for benchmarks. Events are
encoded to JSON once, here: 100 000 events take about a second.
"""

from __future__ import annotations

import random
import time

from . import _content as content
from ._shapes import (
    ApiShape,
    Json,
    approval_bodies,
    assistant_message,
    console_event,
    encode,
    exec_tool_call,
    new_token,
    new_uuid,
    pull_request_entity,
    pull_request_url,
    repository_entity,
    rfc3339,
    stack_entity,
    tool_call,
    tool_response,
)
from ._store import TaskState

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

    def tick(self, low: int, high: int) -> None:
        """Let `low`..`high` seconds pass (a few seconds when the task is huge)."""
        self.clock += self.rng.randint(1, 3) if self.compact else self.rng.randint(low, high)

    def emit(self, kind: str, body: Json, *, synthetic: bool = False) -> None:
        """Stamp and append one event; raises `_Full` once the exact count is reached."""
        task = self.task
        if self.limit is not None and len(task.events) >= self.limit:
            raise _Full
        self.clock += 1
        body["timestamp"] = rfc3339(self.clock)
        event_id = new_uuid(self.rng)
        event = console_event(self.api, kind, event_id, body, synthetic=synthetic)
        task.events.append(encode(event))
        task.event_ids.append(event_id)

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
    return [_task(rng, api, org, end, events_per_task) for _ in range(count)]


def _task(rng: random.Random, api: ApiShape, org: str, end: float, exact: int | None) -> TaskState:
    project, stack = rng.choice(_PROJECTS), rng.choice(_STACKS)
    repository = repository_entity(rng.choice(_REPOSITORIES), org)
    length = exact if exact is not None else rng.randint(10, 60)
    youngest = min(_HALF_YEAR // 2, max(3600, length * 4))
    created = end - rng.uniform(youngest, _HALF_YEAR)
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
    )
    writer = _Writer(task, api, rng, created, exact)
    first = rng.choice(_CHANGES if rng.random() < 0.6 else _QUESTIONS).format(p=project, s=stack)
    task.name = content.task_name(first)
    message = first
    entities = [stack_entity(project, stack), repository]
    turn = 0
    try:
        while True:
            next_message = _turn(writer, org, project, stack, repository, message, entities, turn)
            turn += 1
            if next_message is None and exact is None and len(task.events) >= length:
                break
            if next_message is None:
                template = rng.choice(_FOLLOW_UPS + _CHANGES + _QUESTIONS)
                next_message = template.format(p=project, s=rng.choice(_STACKS))
            message, entities = next_message, []
    except _Full:
        pass
    task.tokens_used = len(task.events) * 950
    return task


def _turn(
    w: _Writer,
    org: str,
    project: str,
    stack: str,
    repository: Json,
    message: str,
    entities: list[Json],
    index: int,
) -> str | None:
    """Write one turn starting with `message`; returns the message that superseded its approval."""
    rng, api, task = w.rng, w.api, w.task
    body: Json = {"type": "user_message", "content": message}
    if entities:
        body["entity_diff"] = {"add": entities, "remove": []}
        task.entities.extend(dict(e) for e in entities)
    w.user(body, 600, 40000)
    if task.pending_approval is not None:
        task.closed_approvals[task.pending_approval] = "superseded"
        task.pending_approval = None
    if index == 0:
        w.agent({"type": "set_task_name", "name": task.name}, 1, 3)
    if rng.random() < 0.06:
        w.agent({"type": "context_compression_event", "status": "compressed"}, 1, 4)
    resources = rng.randint(12, 80)
    w.agent(assistant_message(api, content.analysis(project, stack, resources)), 3, 20)
    for _ in range(rng.randint(1, 3)):
        tool = rng.choice(_TOOLS)
        output = content.tool_output(tool, org, project, stack, resources - 2)
        _tool_use(w, tool, {"stack": f"{project}/{stack}"}, output)
    roll = rng.random()
    if roll < 0.04:
        w.agent({"type": "error", "message": "The agent runtime lost its connection"}, 1, 30)
        return None
    if roll < 0.08:
        w.agent({"type": "warning", "message": f"{project}/{stack} has pending operations"})
    if not content.asks_for_change(message):
        w.agent(assistant_message(api, content.answer(project, stack), is_final=True), 5, 40)
        return None
    return _approval(w, org, project, stack, repository)


def _approval(w: _Writer, org: str, project: str, stack: str, repository: Json) -> str | None:
    rng, api, task = w.rng, w.api, w.task
    approval_id = new_token(rng, "req_")
    runs_update = rng.random() < 0.35
    description = (
        f"Run pulumi up on {project}/{stack}"
        if runs_update
        else content.change_description(project, stack, f"{org}/{repository['name']}")
    )
    bodies = approval_bodies(
        api,
        approval_id=approval_id,
        call_id=new_token(rng, "call_"),
        description=description,
        malformed=api == "seed" and rng.random() < 0.03,
    )
    task.pending_approval = approval_id
    for body in bodies:
        w.agent(body, 2, 15)
    outcome = rng.random()
    if outcome < 0.04 and w.limit is None:
        raise _Full  # never answered: the task ends with its approval pending
    if outcome < 0.14:
        return "Actually, hold off on that and show me the plan first"
    approved = outcome >= 0.28
    confirmation: Json = {"type": "user_confirmation", "approval_request_id": approval_id}
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
        w.agent(assistant_message(api, text, is_final=True), 2, 10)
        return None
    if runs_update:
        output = content.tool_output("pulumi_up", org, project, stack, 40)
        _tool_use(w, "pulumi_up", {"stack": f"{project}/{stack}"}, output)
        w.agent(assistant_message(api, "The update succeeded: 1 resource changed.", is_final=True))
        return None
    number = rng.randint(10, 2400)
    url = pull_request_url(repository, number)
    args = {"repository": f"{org}/{repository['name']}", "title": "Right-size web-server"}
    _tool_use(w, "create_pull_request", args, f"Created pull request #{number}: {url}")
    entity = pull_request_entity(api, number, repository)
    task.entities.append(entity)
    if api == "current":
        w.agent({"type": "change_entities", "changes": {"add": [entity], "remove": []}}, 1, 2)
    text = content.pull_request_opened(number, url, project, stack)
    w.agent(assistant_message(api, text, is_final=True), 2, 10)
    return None


def _tool_use(w: _Writer, tool: str, args: Json, output: str) -> None:
    call_id = new_token(w.rng, "call_")
    call = tool_call(w.api, call_id, tool, args)
    w.agent(assistant_message(w.api, f"Running `{tool}`.", tool_calls=[call]), 2, 15)
    w.agent(exec_tool_call(call_id, tool), 1, 2)
    w.agent(tool_response(w.api, call_id, tool, output), 3, 90)


def default_end() -> float:
    """Where seeded history ends by default: the start of the current UTC day."""
    now = time.time()
    return now - now % 86400
