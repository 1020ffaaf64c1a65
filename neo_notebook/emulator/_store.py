"""Tasks and their event logs: the emulator's whole state, behind one condition variable.

Events are stored already JSON-encoded (one `bytes` per event). Pages and stream frames are then
joins of stored bytes, so a 1000-event page costs no encoding, and a 100 000-event task costs
about half the memory of keeping dicts. `Store.cond` guards every field of every task; the
scripted agent, the HTTP handlers and the stream loops all wait on it for new events.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ._errors import ApiError
from ._shapes import (
    COMPACTION_THRESHOLD_PERCENT,
    CONTEXT_WINDOW,
    ZERO_TIME,
    ApiShape,
    Json,
    encode,
    new_uuid,
    rfc3339,
)
from ._validation import ROLES as ROLE_NAMES


class PostedEvent(NamedTuple):
    """One user event the emulator accepted (task creation messages included), in order."""

    task_id: str
    event: Json


@dataclass
class Step:
    """One event of a planned turn, with the task changes that land together with it."""

    body: Json
    kind: str = "agentResponse"
    synthetic: bool = False
    add_entity: Json | None = None
    pending_approval: str | None = None
    resolves: tuple[str, str] | None = None
    context: int | None = None
    """The task's `contextUsedTokens` once this event landed (current shape)."""
    hidden: bool = False
    """Acted on but never listed (a confirmation with `echo_confirmations=False`)."""
    received: bool = False
    """A user input the agent picks up now: one fewer `pendingInputCount`."""
    parks: dict[str, Json] | None = None
    """CLI calls (id -> `{name, args}`) this message hands to the client: once it lands the turn
    has ended and the task waits for their results (see `_local_turn.py`)."""


@dataclass(eq=False)
class Turn:
    """One run of the scripted agent; `cancelled` stops it between two events."""

    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass(eq=False)
class TaskState:
    """A task: what GET returns, its event log, and the agent's bookkeeping."""

    id: str
    name: str
    created_at: str
    created_by: Json
    entities: list[Json] = field(default_factory=list)
    status: str = "idle"
    is_shared: bool = False
    shared_at: str = ZERO_TIME
    approval_mode: str = "manual"
    plan_mode: bool = False
    permission_mode: str = "default"
    extra: Json = field(default_factory=dict)
    """Create-request fields the emulator does not interpret, returned as they came."""
    tokens_used: int = 0
    task_type: str = "sync"
    async_trigger_type: str | None = None
    role: str | None = None
    runtime_phase: str | None = "booting"
    """`booting` until the first event, `running` during a turn, `ready` after; None (null) once
    the idle runtime was torn down (seeded history)."""
    last_event_at: str = ""
    """Timestamp of the newest event: `sortBy=lastEvent` and an idle task's `lastHeartbeat`."""
    context_used_tokens: int = 0
    context_window_tokens: int = CONTEXT_WINDOW
    context_threshold_percent: int = COMPACTION_THRESHOLD_PERCENT
    tool_execution_mode: str = "cloud"
    source: str = "api"
    source_automation_id: str | None = None
    agent_definition_id: str | None = None
    vcs_provider: str | None = "github"
    pending_inputs: int = 0
    """Accepted user events the agent has not recorded yet (`confirmation_delay`)."""
    named: bool = False
    events: list[bytes] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    id_index: dict[str, int] | None = None
    """Event id -> position, built on the first `Last-Event-ID` lookup, then kept up to date."""
    pending_approval: str | None = None
    closed_approvals: dict[str, str] = field(default_factory=dict)
    """Approval id -> `approved`, `declined` or `superseded`."""
    turn: Turn | None = None
    approval_actions: dict[str, Json] = field(default_factory=dict)
    """Approval id -> what the agent does once it is approved (open a PR, run an update...)."""
    last_git_diff: dict[str, str] | None = None
    """The diff of the task's previous approval: the next one's `last_approval_diff`."""
    sent_pulumi_token: bool = False
    cli_calls: dict[str, Json] = field(default_factory=dict)
    """CLI calls (id -> `{name, args, started}`) handed to the client and not yet reported by a
    `tool_result`: while there are any, the task is parked."""

    def compaction_threshold(self) -> int:
        """Context tokens past which the agent compresses its context."""
        return self.context_window_tokens * self.context_threshold_percent // 100

    def to_json(self, api: ApiShape) -> Json:
        """The task as operations 2 and 3 return it."""
        task: Json = {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "createdAt": self.created_at,
            "entities": [dict(e) for e in self.entities],
            "isShared": self.is_shared,
            "sharedAt": self.shared_at,
            "createdBy": dict(self.created_by),
            "approvalMode": self.approval_mode,
            "planMode": self.plan_mode,
        }
        if api == "current":
            running = self.status == "running"
            task.update(
                taskType=self.task_type,
                asyncTriggerType=self.async_trigger_type,
                permissionMode=self.permission_mode,
                role=self.role,
                roleName=ROLE_NAMES.get(self.role) if self.role else None,
                runtimePhase=self.runtime_phase,
                lastHeartbeat=rfc3339(time.time()) if running else self.last_event_at or None,
                contextUsedTokens=self.context_used_tokens,
                contextWindowTokens=self.context_window_tokens,
                contextCompactionThresholdPercent=self.context_threshold_percent,
                tokensUsed=self.tokens_used,
                toolExecutionMode=self.tool_execution_mode,
                source=self.source,
                sourceAutomationID=self.source_automation_id,
                agentDefinitionId=self.agent_definition_id,
                pendingInputCount=self.pending_inputs,
                vcsProvider=self.vcs_provider,
            )
        for key, value in self.extra.items():
            task.setdefault(key, value)
        return task

    def position_after(self, event_id: str) -> int:
        """Where a stream resumed with `Last-Event-ID: event_id` starts (0 if the id is unknown)."""
        if self.id_index is None:
            self.id_index = {eid: i for i, eid in enumerate(self.event_ids)}
        index = self.id_index.get(event_id)
        return 0 if index is None else index + 1


def entity_key(entity: Json) -> tuple[Any, ...]:
    """What makes two entities the same one, for `entity_diff` adds and removes."""
    kind = entity.get("type")
    if kind == "stack":
        return (kind, entity.get("project"), entity.get("name"))
    if kind == "repository":
        return (kind, entity.get("org"), entity.get("name"), entity.get("forge"))
    if kind == "policy_issue":
        return (kind, entity.get("id"))
    if kind == "pull_request":
        repo = entity.get("repo") or entity.get("repository") or {}
        return (kind, repo.get("org"), repo.get("name"), entity.get("number"))
    return (kind, json.dumps(entity, sort_keys=True))


class Store:
    """All tasks of the emulated organization, newest first."""

    def __init__(self, *, api: ApiShape, rng: random.Random) -> None:
        self.api: ApiShape = api
        self.rng = rng
        """Draws ids; shared with the scripted agent so a seed fixes every id."""
        self.cond = threading.Condition(threading.RLock())
        self.tasks: dict[str, TaskState] = {}
        self.order: list[str] = []
        """Task ids, newest first (createdAt descending)."""
        self.posted: list[PostedEvent] = []

    def add_history(self, tasks: list[TaskState]) -> None:
        """Add seeded tasks, which are all older than any task created through the API."""
        with self.cond:
            for task in sorted(tasks, key=lambda t: t.created_at, reverse=True):
                self.tasks[task.id] = task
                self.order.append(task.id)

    def add_task(self, task: TaskState) -> None:
        """Add a task created now: it is the newest."""
        with self.cond:
            self.tasks[task.id] = task
            self.order.insert(0, task.id)

    def task(self, task_id: str) -> TaskState:
        """The task, or a 404."""
        task = self.tasks.get(task_id)
        if task is None:
            raise ApiError(404, f"task {task_id!r} not found")
        return task

    def append(self, task: TaskState, event: Json) -> Json:
        """Append a console event (an id is drawn if it has none) and wake every waiter."""
        with self.cond:
            if not event.get("id"):
                event = {**event, "id": new_uuid(self.rng)}
            task.events.append(encode(event))
            task.event_ids.append(str(event["id"]))
            body = event.get("eventBody")
            stamp = body.get("timestamp") if isinstance(body, dict) else None
            task.last_event_at = stamp if isinstance(stamp, str) else rfc3339(time.time())
            if task.id_index is not None:
                task.id_index[str(event["id"])] = len(task.events) - 1
            self.cond.notify_all()
            return event

    def record_posted(self, task_id: str, body: Json) -> None:
        """Remember an accepted user event for `NeoEmulator.posted`."""
        with self.cond:
            self.posted.append(PostedEvent(task_id, json.loads(encode(body))))
