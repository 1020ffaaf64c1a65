"""`api="current"`: every backend event kind of the live service, in its order and shape."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from neo_notebook.emulator import NeoEmulator

from .conftest import CHANGE, QUESTION, Http

COUNTERS = {
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
}
HUNK = re.compile(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", re.MULTILINE)


def types(bodies: list[dict[str, Any]]) -> list[str]:
    return [b["type"] for b in bodies]


def test_a_question_turn_in_the_live_order(chttp: Http) -> None:
    task_id = chttp.create(QUESTION)
    events = chttp.events(task_id)
    bodies = [e["eventBody"] for e in events]
    assert types(bodies) == [
        "user_message",
        "set_task_name",
        "assistant_message",
        "assistant_message",
        "provide_pulumi_access_token",
        "exec_tool_call",
        "exec_tool_call_progress",
        "exec_tool_call_progress",
        "exec_tool_call_progress",
        "tool_response",
        "assistant_message",
    ]
    assert events[0]["actor"] == chttp.emu_user()
    call = bodies[3]["tool_calls"][0]
    assert bodies[5] == {
        "type": "exec_tool_call",
        "tool_call_id": call["id"],
        "name": "pulumi_preview",
        "execution_mode": "cloud",
        "args": {"stack": "platform/dev"},
        "timestamp": bodies[5]["timestamp"],
    }
    progress = bodies[6:9]
    assert {p["tool_call_id"] for p in progress} == {call["id"]}
    assert all(p["status"] == "running" and isinstance(p["metadata"], dict) for p in progress)
    assert [p["metadata"]["phase"] for p in progress] == ["starting", "running", "finishing"]
    assert bodies[9]["is_error"] is False and bodies[9]["tool_call_id"] == call["id"]
    blob = bodies[4]["encrypted_pulumi_access_token"]
    assert len(base64.b64decode(blob, validate=True)) == 240


def test_token_usage_has_four_counters_and_adds_up(chttp: Http) -> None:
    task_id = chttp.create(QUESTION)
    messages = [b for b in chttp.bodies(task_id) if b["type"] == "assistant_message"]
    for message in messages:
        assert message["token_usage"]
        for counters in message["token_usage"].values():
            assert set(counters) == COUNTERS and all(v >= 0 for v in counters.values())
    assert len(messages[0]["token_usage"]) == 2  # the first message also used the small model
    total = sum(sum(c.values()) for m in messages for c in m["token_usage"].values())
    task = chttp.task(task_id)
    assert task["tokensUsed"] == total
    assert 0 < task["contextUsedTokens"] < task["contextWindowTokens"]
    chttp.message(task_id, "And what about staging?")
    assert chttp.task(task_id)["contextUsedTokens"] > task["contextUsedTokens"]
    # Every call reads the context so far from the cache: the reads grow.
    reads = [m["token_usage"]["claude-sonnet-4-5"]["cache_read_input_tokens"] for m in messages]
    assert reads == sorted(reads)


def test_a_long_session_compresses_its_context(chttp: Http) -> None:
    task_id = chttp.create("thorough look at my stack")
    for _ in range(12):
        chttp.message(task_id, "thorough check again")
    bodies = chttp.bodies(task_id)
    kinds = types(bodies)
    first = kinds.index("context_compression_event")
    compressing, compressed = bodies[first], bodies[first + 1]
    assert compressing["status"] == "compressing"
    assert compressed["status"] == "compressed"
    assert compressed["context_summary"].startswith("Summary of")
    assert isinstance(compressed["tail_length"], int) and compressed["tail_length"] > 0
    task = chttp.task(task_id)
    threshold = task["contextWindowTokens"] * task["contextCompactionThresholdPercent"] // 100
    assert task["contextUsedTokens"] <= threshold


def test_approval_context_diffs_and_a_second_approval(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create(CHANGE)
    bodies = chttp.bodies(task_id)
    request = bodies[-3]
    assert types(bodies[-3:]) == [
        "user_approval_request",
        "assistant_message",
        "awaiting_approvals",
    ]
    context = request["context"]
    assert context["tool_name"] == "create_pull_request"
    assert context["tool_call_id"].startswith("call_")
    assert "last_approval_diff" not in context
    diff = context["git_diff"]
    assert len(diff) >= 3 and all(HUNK.search(text) for text in diff.values())
    assert max(len(text.splitlines()) for text in diff.values()) >= 200
    assert chttp.confirm(task_id, request["id"], ok=True).status_code == 202
    assert current.agent_done(task_id)
    after = chttp.bodies(task_id)[len(bodies) :]
    exec_call = next(b for b in after if b["type"] == "exec_tool_call")
    assert exec_call["tool_call_id"] == context["tool_call_id"]  # the call it gated

    chttp.message(task_id, "Now fix the staging stack too and update the PR")
    second = next(
        b for b in reversed(chttp.bodies(task_id)) if b["type"] == "user_approval_request"
    )
    assert second["context"]["last_approval_diff"] == diff
    assert second["context"]["git_diff"] != diff


def test_regular_approvals_are_automatic_in_balanced_mode(chttp: Http) -> None:
    task_id = chttp.create(CHANGE, approvalMode="balanced")
    events = chttp.events(task_id)
    kinds = types([e["eventBody"] for e in events])
    assert "awaiting_approvals" not in kinds
    confirmation = events[kinds.index("user_confirmation")]
    assert confirmation["isSynthetic"] is True and "actor" not in confirmation
    assert "change_entities" in kinds


def test_a_deploy_is_sensitive_and_waits_in_balanced_mode(
    current: NeoEmulator, chttp: Http
) -> None:
    task_id = chttp.create("Please deploy the fix to my stack", approvalMode="balanced")
    bodies = chttp.bodies(task_id)
    request = bodies[-3]
    assert request["sensitivity"] == "sensitive"
    assert request["context"]["tool_name"] == "pulumi_up"
    assert bodies[-1]["type"] == "awaiting_approvals"
    assert chttp.confirm(task_id, request["id"], ok=True).status_code == 202
    assert current.agent_done(task_id)
    after = chttp.bodies(task_id)[len(bodies) :]
    assert [b["name"] for b in after if b["type"] == "exec_tool_call"] == ["pulumi_up"]
    # The Pulumi token was handed over once, before the task's first Pulumi operation.
    assert types(chttp.bodies(task_id)).count("provide_pulumi_access_token") == 1


def test_a_deploy_is_automatic_in_auto_mode(chttp: Http) -> None:
    task_id = chttp.create("Please deploy the fix to my stack", approvalMode="auto")
    kinds = types(chttp.bodies(task_id))
    assert "awaiting_approvals" not in kinds and kinds.count("user_confirmation") == 1


@pytest.mark.parametrize("how", [{"planMode": True}, {"message": {"content": "plan-mode: fix"}}])
def test_plan_mode_asks_to_leave_the_plan_first(
    current: NeoEmulator, chttp: Http, how: dict[str, Any]
) -> None:
    task_id = chttp.create(CHANGE, approvalMode="balanced", **how)
    bodies = chttp.bodies(task_id)
    request = bodies[-3]
    assert request["approval_type"] == "plan_exit" and request["sensitivity"] == "sensitive"
    assert request["context"]["plan_description"].startswith("## Plan for")
    assert "tool_response" not in types(bodies)  # nothing ran yet
    assert chttp.confirm(task_id, request["id"], ok=True).status_code == 202
    assert current.agent_done(task_id)
    assert chttp.task(task_id)["planMode"] is False
    after = types(chttp.bodies(task_id)[len(bodies) :])
    assert "tool_response" in after and "change_entities" in after


def test_declining_a_plan_stays_in_plan_mode(current: NeoEmulator, chttp: Http) -> None:
    task_id = chttp.create(CHANGE, planMode=True)
    request = chttp.bodies(task_id)[-3]
    assert chttp.confirm(task_id, request["id"], ok=False).status_code == 202
    assert current.agent_done(task_id)
    assert chttp.task(task_id)["planMode"] is True
    assert "plan mode" in chttp.bodies(task_id)[-1]["content"]


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ({"type": "tool_result", "tool_results": []}, "non-empty list"),
        ({"type": "tool_result", "tool_results": [{"name": "x", "content": 1}]}, "tool_call_id"),
        ({"type": "tool_result", "tool_results": [{"tool_call_id": "c", "name": "x"}]}, "content"),
        ({"type": "exec_tool_call", "name": "x"}, "tool_call_id is required"),
    ],
)
def test_bad_cli_user_events_are_400(chttp: Http, event: dict[str, Any], says: str) -> None:
    task_id = chttp.create()
    r = chttp.send(task_id, event)
    assert r.status_code == 400 and says in r.json()["message"]


def test_surprise_still_emits_an_unknown_kind(chttp: Http) -> None:
    task_id = chttp.create("surprise me")
    assert "neo_future_event" in types(chttp.bodies(task_id))
