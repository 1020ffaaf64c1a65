"""Pulumi's own generated SDK (`pulumi-cloud-sdk`) against the emulator, over real HTTP.

The SDK's models are strict: an unknown event kind or enum value, or a missing required field,
raises. So this test fails the day the emulator invents a kind or a shape the live service does
not have. (The `surprise` magic word emits an unknown kind on purpose; no task here uses it.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from pulumi_cloud_sdk import models
from pulumi_cloud_sdk.api_client import ApiClient
from pulumi_cloud_sdk.apis.ai_agents_api_ import AI_AgentsApi
from pulumi_cloud_sdk.configuration import Configuration

from neo_notebook.emulator import NeoEmulator
from neo_notebook.emulator._cli_tools import Workspace

from .test_local_turn import WEBAPP

WEBAPP_FILES = {f"webapp/{p.name}": p.read_text() for p in WEBAPP.iterdir() if p.is_file()}

ORG = "acme"
BACKEND_KINDS = {
    "assistant_message",
    "awaiting_approvals",
    "change_entities",
    "context_compression_event",
    "error",
    "exec_tool_call",
    "exec_tool_call_progress",
    "provide_pulumi_access_token",
    "set_task_name",
    "tool_response",
    "user_approval_request",
    "warning",
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[NeoEmulator]:
    with NeoEmulator(org=ORG, api="current", history=60, seed=5) as emu:
        yield emu


@pytest.fixture(scope="module")
def sdk(emulator: NeoEmulator) -> AI_AgentsApi:
    cfg = Configuration()
    cfg.host = emulator.url
    cfg.access_token = emulator.token
    return AI_AgentsApi(ApiClient(cfg))


def all_tasks(sdk: AI_AgentsApi) -> list[models.AgentTask]:
    tasks: list[models.AgentTask] = []
    token = None
    while True:
        page = sdk.list_tasks(ORG, page_size=7, continuation_token=token)
        assert isinstance(page, models.ListAgentTasksResponse)
        tasks += page.tasks
        token = page.continuation_token
        if not token:
            return tasks


def all_events(sdk: AI_AgentsApi, task_id: str) -> list[models.AgentConsoleEvent]:
    events: list[models.AgentConsoleEvent] = []
    token = None
    while True:
        page = sdk.get_task_events(ORG, task_id, page_size=25, continuation_token=token)
        assert isinstance(page, models.ListAgentTaskEventsResponse)
        events += page.events
        token = page.continuation_token
        if not token:
            return events


def concrete(event: Any) -> str:
    """The event's body kind, checking it deserialized into a concrete SDK class."""
    assert type(event) in (
        models.AgentConsoleEventAgentResponse,
        models.AgentConsoleEventUserInput,
        models.AgentConsoleEventTriggerUserInput,
    ), type(event)
    body = event.event_body
    base = (
        models.AgentBackendEvent
        if isinstance(event, models.AgentConsoleEventAgentResponse)
        else models.AgentUserEvent
    )
    assert isinstance(body, base) and type(body) is not base, type(body)
    kind: str = type(body).__DISCRIMINATOR_VALUE__
    return kind


def test_every_seeded_task_and_event_reads_into_sdk_models(sdk: AI_AgentsApi) -> None:
    tasks = all_tasks(sdk)
    assert len(tasks) == 60 and all(isinstance(t, models.AgentTask) for t in tasks)
    assert {t.source for t in tasks} >= {
        models.AgentTaskSource.Console,
        models.AgentTaskSource.Schedule,
        models.AgentTaskSource.Github,
        models.AgentTaskSource.Cli,
    }
    backend: set[str] = set()
    user: set[str] = set()
    for task in tasks:
        assert sdk.get_task(ORG, task.id).id == task.id
        for event in all_events(sdk, task.id):
            kind = concrete(event)
            if isinstance(event, models.AgentConsoleEventAgentResponse):
                backend.add(kind)
            else:
                user.add(kind)
            if isinstance(event, models.AgentConsoleEventTriggerUserInput):
                assert all(isinstance(t, models.AgentTriggerEvent) for t in event.trigger_events)
    assert backend == BACKEND_KINDS
    assert user == {"user_message", "user_confirmation", "exec_tool_call", "tool_result"}


def test_a_task_through_its_whole_life(emulator: NeoEmulator, sdk: AI_AgentsApi) -> None:
    now = datetime.now(timezone.utc)
    request = models.CreateAgentTaskRequest(
        message=models.AgentUserEventMessage(
            timestamp=now, content="Please optimize the instance sizes and open a pull request"
        )
    )
    created = sdk.create_tasks(ORG, request)
    assert isinstance(created, models.CreateAgentTaskResponse)
    task_id = created.task_id
    deadline = time.monotonic() + 10
    approval = None
    while approval is None and time.monotonic() < deadline:
        for event in all_events(sdk, task_id):
            if isinstance(event.event_body, models.AgentBackendEventUserApprovalRequest):
                approval = event.event_body
        time.sleep(0.02)
    assert approval is not None
    assert approval.context.git_diff and approval.sensitivity == models.Sensitivity.Regular
    assert emulator.agent_done(task_id)

    confirmation = models.AgentUserEventConfirmation(
        timestamp=now, approval_request_id=approval.id, ok=True
    )
    sdk.respond_to_task(ORG, task_id, models.AgentRespondToTaskRequest(event=confirmation))
    assert emulator.agent_done(task_id)
    kinds = [concrete(e) for e in all_events(sdk, task_id)]
    assert "change_entities" in kinds and kinds.count("user_confirmation") == 1

    updated = sdk.update_task(
        ORG,
        task_id,
        models.UpdateTaskRequest(name="Right-size", approval_mode=models.NeoApprovalMode.Auto),
    )
    assert isinstance(updated, models.AgentTask)
    assert updated.name == "Right-size" and updated.approval_mode == models.NeoApprovalMode.Auto
    assert any(isinstance(e, models.AgentEntityPR) for e in updated.entities)

    sdk.respond_to_task(
        ORG,
        task_id,
        models.AgentRespondToTaskRequest(
            event=models.AgentUserEventMessage(timestamp=now, content="And the staging stack?")
        ),
    )
    cancel = models.AgentUserEventCancel(timestamp=now)
    sdk.respond_to_task(ORG, task_id, models.AgentRespondToTaskRequest(event=cancel))
    sdk.cancel_task(ORG, task_id, models.CancelAgentTaskRequest(force=True))
    task = sdk.get_task(ORG, task_id)
    assert task.status == models.AgentTaskStatus.Idle
    kinds = [concrete(e) for e in all_events(sdk, task_id)]
    assert kinds[-2:] == ["user_cancel", "cancelled"]


def test_list_filters_through_the_sdk(sdk: AI_AgentsApi) -> None:
    page = sdk.list_tasks(
        ORG,
        page_size=100,
        sort_by=models.AgentTaskSortField.TokensUsed,
        sort_direction=models.AgentTaskSortDirection.Asc,
        task_type=models.AgentTaskType.Sync,
        exclude_sources=[models.AgentTaskSource.Cli, models.AgentTaskSource.Slack],
    )
    tokens = [t.tokens_used for t in page.tasks]
    assert page.tasks and tokens == sorted(tokens)
    assert all(t.task_type == models.AgentTaskType.Sync for t in page.tasks)
    assert not {t.source for t in page.tasks} & {
        models.AgentTaskSource.Cli,
        models.AgentTaskSource.Slack,
    }


def test_a_cli_task_driven_with_the_sdk_models(emulator: NeoEmulator, sdk: AI_AgentsApi) -> None:
    now = datetime.now(timezone.utc)
    request = models.CreateAgentTaskRequest(
        message=models.AgentUserEventMessage(
            timestamp=now, content="Right-size web-server in this program"
        ),
        tool_execution_mode=models.ToolExecutionMode.Cli,
        approval_mode=models.NeoApprovalMode.Auto,
    )
    task_id = sdk.create_tasks(ORG, request).task_id
    workspace = Workspace("/home/ada/work", WEBAPP_FILES)
    names: list[str] = []
    for _ in range(10):
        assert emulator.agent_done(task_id)
        last = all_events(sdk, task_id)[-1].event_body
        assert isinstance(last, models.AgentBackendEventAssistantMessage) and last.is_final
        calls = [c for c in last.tool_calls or [] if c.execution_mode == "cli"]
        if not calls:
            break
        assert sdk.get_task(ORG, task_id).status == models.AgentTaskStatus.Idle
        items = []
        for call in calls:
            assert isinstance(call, models.AgentBackendEventToolCall)
            names.append(call.name)
            started = models.AgentUserEventExecToolCall(
                timestamp=now, tool_call_id=call.id, name=call.name
            )
            sdk.respond_to_task(ORG, task_id, models.AgentRespondToTaskRequest(event=started))
            content, is_error = workspace.run(call.name, call.args)
            items.append(
                models.AgentUserEventToolResultItem(
                    tool_call_id=call.id, name=call.name, content=content, is_error=is_error
                )
            )
        result = models.AgentUserEventToolResult(timestamp=now, tool_results=items)
        sdk.respond_to_task(ORG, task_id, models.AgentRespondToTaskRequest(event=result))
    assert names == [
        "filesystem__directory_tree",
        "filesystem__read",
        "filesystem__read",
        "filesystem__grep",
        "filesystem__edit",
        "pulumi__pulumi_preview",
    ]
    events = all_events(sdk, task_id)
    kinds = [concrete(e) for e in events]
    assert kinds.count("tool_result") == 5 and kinds.count("tool_response") == 7
    echoes = [
        e.event_body
        for e in events
        if isinstance(e.event_body, models.AgentBackendEventExecToolCall)
        and e.event_body.execution_mode == models.ToolExecutionMode.Cli
    ]
    assert [e.name for e in echoes] == names and all(e.args for e in echoes)
    assert "t3.large" in events[-1].event_body.content
