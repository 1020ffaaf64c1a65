"""`api="current"`: the newer shapes of Pulumi's current OpenAPI spec."""

from __future__ import annotations

from neo_notebook.emulator import NeoEmulator

from .conftest import CHANGE, QUESTION, Http


def test_question_turn_in_the_current_shape(chttp: Http) -> None:
    task_id = chttp.create(QUESTION)
    events = chttp.events(task_id)
    assert all(e["isSynthetic"] is False for e in events)
    messages = [e["eventBody"] for e in events if e["eventBody"]["type"] == "assistant_message"]
    assert [m["is_final"] for m in messages] == [False, False, True]
    assert all("token_usage" in m for m in messages)
    (call,) = messages[1]["tool_calls"]
    assert call == {
        "id": call["id"],
        "name": "pulumi_preview",
        "args": {"stack": "platform/dev"},
        "execution_mode": "cloud",
    }
    response = events[-2]["eventBody"]
    assert response["type"] == "tool_response" and isinstance(response["content"], dict)
    assert response["is_error"] is False
    task = chttp.task(task_id)
    assert task["taskType"] == "sync" and task["tokensUsed"] > 0
    assert task["permissionMode"] == "default"


def test_approval_is_its_own_event_and_ok_is_required(current: NeoEmulator, chttp: Http) -> None:
    repo = {"type": "repository", "name": "web", "org": "acme", "forge": "gitlab"}
    task_id = chttp.create(CHANGE, message={"entity_diff": {"add": [repo]}})
    bodies = chttp.bodies(task_id)
    request, waiting, marker = bodies[-3:]
    assert request["type"] == "user_approval_request"
    assert request["id"].startswith("req_")
    assert request["approval_type"] == "tool_permission" and request["source"] == "agent"
    assert request["sensitivity"] == "regular" and request["buttons"] == ["Approve", "Reject"]
    assert marker == {"type": "awaiting_approvals", "timestamp": marker["timestamp"]}
    assert "pull request" in request["message"]
    assert waiting["type"] == "assistant_message" and waiting["is_final"] is True
    assert not any(
        c.get("name") == "approval_request" for b in bodies for c in b.get("tool_calls", [])
    )

    r = chttp.confirm(task_id, request["id"])
    assert r.status_code == 400 and "ok is required" in r.json()["message"]
    assert chttp.confirm(task_id, request["id"], ok=True).status_code == 202
    assert current.agent_done(task_id)
    after = chttp.bodies(task_id)[len(bodies) :]
    change = next(b for b in after if b["type"] == "change_entities")
    (pr,) = change["changes"]["add"]
    assert pr["repo"] == {"name": "web", "org": "acme", "forge": "gitlab"}
    assert "repository" not in pr
    assert pr in chttp.task(task_id)["entities"]
    assert after[-1]["is_final"] is True
    assert f"gitlab.com/acme/web/-/merge_requests/{pr['number']}" in after[-1]["content"]


def test_cancel_reports_whether_an_operation_was_running(current: NeoEmulator, chttp: Http) -> None:
    current.pace = 0.1
    task_id = chttp.create(QUESTION, wait=False)
    assert chttp.send(task_id, {"type": "user_cancel"}).status_code == 202
    assert chttp.bodies(task_id)[-1] == {
        "type": "cancelled",
        "operation_was_running": True,
        "timestamp": chttp.bodies(task_id)[-1]["timestamp"],
    }
    assert chttp.send(task_id, {"type": "user_cancel"}).status_code == 202
    assert chttp.bodies(task_id)[-1]["operation_was_running"] is False


def test_malformed_approval_in_the_current_shape(chttp: Http) -> None:
    task_id = chttp.create("Create a malformed pull request")
    request = chttp.bodies(task_id)[-3]
    assert request["type"] == "user_approval_request" and "message" not in request
