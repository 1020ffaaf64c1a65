from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from neo_notebook import Event, Task, ToolCall, approval_requests
from neo_notebook._models import parse_timestamp


def seed_find_pending_approval(events: list[dict[str, Any]]) -> str | None:
    """The contract's reference implementation, verbatim in behaviour."""
    for event in reversed(events):
        if event.get("type") == "agentResponse":
            for call in event.get("eventBody", {}).get("tool_calls", []):
                if call.get("function", {}).get("name") == "approval_request":
                    return json.loads(call["function"]["arguments"]).get("approval_request_id")
    return None


def agent_approval(
    event_id: str, req: str | None, *, arguments: str | None = None
) -> dict[str, Any]:
    args = (
        arguments
        if arguments is not None
        else json.dumps({"approval_request_id": req, "description": f"Create PR {req}"})
    )
    return {
        "type": "agentResponse",
        "id": event_id,
        "eventBody": {
            "type": "assistant_message",
            "content": "May I?",
            "timestamp": "2025-01-15T10:32:00Z",
            "tool_calls": [
                {
                    "id": f"call_{event_id}",
                    "type": "function",
                    "function": {"name": "approval_request", "arguments": args},
                }
            ],
        },
    }


def user(event_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "userInput",
        "id": event_id,
        "eventBody": {"timestamp": "2025-01-15T10:35:00Z", **body},
    }


def states(raw: list[dict[str, Any]]) -> list[tuple[str | None, str]]:
    return [(a.id, a.state) for a in approval_requests([Event.from_json(e) for e in raw])]


def test_seed_reference_returns_an_answered_request_and_we_do_not() -> None:
    raw = [
        agent_approval("e1", "req_1"),
        user("e2", {"type": "user_confirmation", "approval_request_id": "req_1"}),
    ]
    assert seed_find_pending_approval(raw) == "req_1"  # the seed's bug
    assert states(raw) == [("req_1", "approved")]


def test_seed_reference_raises_on_malformed_arguments_and_we_keep_it() -> None:
    raw = [agent_approval("e1", None, arguments="{not json")]
    with pytest.raises(json.JSONDecodeError):
        seed_find_pending_approval(raw)
    (request,) = approval_requests([Event.from_json(e) for e in raw])
    assert request.malformed and request.id is None and request.state == "pending"
    assert "{not json" in request.description


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        ({"type": "user_confirmation", "approval_request_id": "req_1", "ok": True}, "approved"),
        ({"type": "user_confirmation", "approval_request_id": "req_1", "ok": False}, "declined"),
        ({"type": "user_confirmation", "approval_request_id": "req_other"}, "pending"),
        ({"type": "user_message", "content": "actually, do X"}, "superseded"),
        ({"type": "user_cancel"}, "superseded"),
    ],
)
def test_what_ends_a_pending_request(follow_up: dict[str, Any], expected: str) -> None:
    assert states([agent_approval("e1", "req_1"), user("e2", follow_up)]) == [("req_1", expected)]


def test_a_later_request_stays_pending_after_an_earlier_is_superseded() -> None:
    raw = [
        agent_approval("e1", "req_1"),
        user("e2", {"type": "user_message", "content": "no"}),
        agent_approval("e3", "req_2"),
    ]
    assert states(raw) == [("req_1", "superseded"), ("req_2", "pending")]
    assert seed_find_pending_approval(raw) == "req_2"


def test_current_spec_approval_event_and_agent_cancel() -> None:
    raw = [
        {
            "type": "agentResponse",
            "id": "e1",
            "isSynthetic": False,
            "eventBody": {
                "type": "user_approval_request",
                "id": "ap_1",
                "message": "Run up?",
                "approval_type": "general",
                "source": "agent",
                "timestamp": "2025-01-15T10:32:00Z",
            },
        },
    ]
    (request,) = approval_requests([Event.from_json(e) for e in raw])
    assert (request.id, request.description, request.approval_type) == (
        "ap_1",
        "Run up?",
        "general",
    )
    raw.append(
        {
            "type": "agentResponse",
            "id": "e2",
            "eventBody": {"type": "cancelled", "operation_was_running": True},
        }
    )
    assert states(raw) == [("ap_1", "superseded")]


def test_tool_calls_in_both_shapes() -> None:
    seed = ToolCall.from_json(
        {
            "id": "c1",
            "type": "function",
            "function": {"name": "pulumi_preview", "arguments": '{"a": 1}'},
        }
    )
    current = ToolCall.from_json({"id": "c2", "name": "pulumi_preview", "args": {"a": 1}})
    assert seed.arguments == current.arguments == {"a": 1}
    assert seed.name == current.name == "pulumi_preview"
    broken = ToolCall.from_json({"id": "c3", "function": {"name": "x", "arguments": "[1,"}})
    assert broken.malformed and broken.raw_arguments == "[1,"
    assert ToolCall.from_json({"id": "c4", "function": {"arguments": "[1, 2]"}}).malformed


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"type": None},
        {"eventBody": "text"},
        {"eventBody": {"tool_calls": "no"}},
        {"eventBody": {"tool_calls": [1, None, {"function": 3}]}},
        {"type": "agentResponse", "eventBody": {"type": "brand_new_thing", "x": {"y": 1}}},
    ],
)
def test_odd_events_never_raise_and_keep_raw(raw: dict[str, Any]) -> None:
    event = Event.from_json(raw)
    assert event.raw is raw
    assert isinstance(event.approval_requests, tuple)


def test_unknown_event_type_is_kept() -> None:
    event = Event.from_json(
        {
            "type": "agentResponse",
            "id": "e9",
            "eventBody": {"type": "context_compression_event", "status": "compressed"},
        }
    )
    assert event.type == "context_compression_event"
    assert event.body["status"] == "compressed"


def test_task_fields_zero_time_and_pass_through() -> None:
    task = Task.from_json(
        {
            "id": "task_1",
            "name": "n",
            "status": "idle",
            "createdAt": "2025-01-15T00:00:00Z",
            "entities": [{"type": "stack", "name": "prod", "project": "infra"}, "junk"],
            "isShared": False,
            "sharedAt": "0001-01-01T00:00:00Z",
            "createdBy": {"name": "U", "githubLogin": "u"},
            "approvalMode": "balanced",
            "planMode": True,
            "somethingNew": [1, 2],
        }
    )
    assert task.created_at == datetime(2025, 1, 15, tzinfo=timezone.utc)
    assert task.shared_at is None and task.approval_mode == "balanced" and task.plan_mode is True
    assert len(task.entities) == 1 and task.raw["somethingNew"] == [1, 2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-15T10:32:00Z", datetime(2025, 1, 15, 10, 32, tzinfo=timezone.utc)),
        (
            "2025-01-15T10:32:00.5+02:00",
            datetime(2025, 1, 15, 8, 32, 0, 500000, tzinfo=timezone.utc),
        ),
        (
            "2025-01-15T10:32:00.123456789Z",
            datetime(2025, 1, 15, 10, 32, 0, 123456, tzinfo=timezone.utc),
        ),
        ("0001-01-01T00:00:00Z", None),
        ("yesterday", None),
        (None, None),
        (17, None),
    ],
)
def test_parse_timestamp(text: Any, expected: datetime | None) -> None:
    assert parse_timestamp(text) == expected
