"""The scripted agent's turns in the seed shape: names, tool pairs, approvals, PRs, cancels."""

from __future__ import annotations

import json
import time
from typing import Any

from neo_notebook.emulator import NeoEmulator

from .conftest import CHANGE, QUESTION, Http, pending_approval_id

STACK = {"type": "stack", "name": "prod", "project": "payments"}
REPO = {"type": "repository", "name": "payments-infra", "org": "acme", "forge": "github"}


def types(bodies: list[dict[str, Any]]) -> list[str]:
    return [b["type"] for b in bodies]


def test_a_question_turn(http: Http) -> None:
    task_id = http.create(QUESTION, message={"entity_diff": {"add": [STACK]}})
    events = http.events(task_id)
    bodies = [e["eventBody"] for e in events]
    assert [e["type"] for e in events] == ["userInput"] + ["agentResponse"] * 6
    assert events[0]["isSynthetic"] is False and events[0]["eventBody"]["content"] == QUESTION
    assert "isSynthetic" not in events[1]  # the seed shape has it on user input only
    assert types(bodies) == [
        "user_message",
        "set_task_name",
        "assistant_message",
        "assistant_message",
        "exec_tool_call",
        "tool_response",
        "assistant_message",
    ]
    assert bodies[1]["name"] == http.task(task_id)["name"] == "What is running in my stack"
    opening = bodies[2]["content"]
    assert opening.startswith("## ") and "\n- " in opening and "|---|" in opening
    assert "```bash" in opening and "payments/prod" in opening
    (call,) = bodies[3]["tool_calls"]
    assert call["type"] == "function" and call["function"]["name"] == "pulumi_preview"
    assert json.loads(call["function"]["arguments"]) == {"stack": "payments/prod"}
    assert bodies[4] == {
        "type": "exec_tool_call",
        "tool_call_id": call["id"],
        "name": "pulumi_preview",
        "timestamp": bodies[4]["timestamp"],
    }
    assert bodies[5]["tool_call_id"] == call["id"]
    assert bodies[5]["content"].startswith("Previewing update (acme/payments/prod)")
    assert "tool_calls" not in bodies[6] and "is_final" not in bodies[6]
    assert all(b["timestamp"].endswith("Z") for b in bodies)
    assert http.task(task_id)["status"] == "idle"


def test_the_task_runs_while_the_agent_works(emu: NeoEmulator, http: Http) -> None:
    emu.pace = 0.05
    task_id = http.create(QUESTION, wait=False)
    assert http.task(task_id)["status"] == "running"
    assert emu.agent_done(task_id)
    assert http.task(task_id)["status"] == "idle"


def test_later_messages_are_not_renamed(http: Http) -> None:
    task_id = http.create()
    http.message(task_id, "And what about staging?")
    assert types(http.bodies(task_id)).count("set_task_name") == 1


def test_a_change_asks_for_approval_then_opens_a_pull_request(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create(CHANGE, message={"entity_diff": {"add": [STACK, REPO]}})
    bodies = http.bodies(task_id)
    request = bodies[-1]
    (call,) = request["tool_calls"]
    assert call["function"]["name"] == "approval_request"
    args = json.loads(call["function"]["arguments"])
    assert args["approval_request_id"].startswith("req_")
    assert args["description"].startswith("Create a pull request in acme/payments-infra")
    assert http.task(task_id)["status"] == "idle"

    r = http.confirm(task_id, args["approval_request_id"])
    assert r.status_code == 202
    assert emu.agent_done(task_id)
    after = http.bodies(task_id)[len(bodies) :]
    assert types(after) == [
        "user_confirmation",
        "assistant_message",
        "exec_tool_call",
        "tool_response",
        "assistant_message",
    ]
    assert after[1]["tool_calls"][0]["function"]["name"] == "create_pull_request"
    (pr,) = [e for e in http.task(task_id)["entities"] if e["type"] == "pull_request"]
    assert pr == {
        "type": "pull_request",
        "number": pr["number"],
        "merged": False,
        "repository": {"name": "payments-infra", "org": "acme", "forge": "github"},
    }
    url = f"https://github.com/acme/payments-infra/pull/{pr['number']}"
    assert after[-1]["content"].startswith(f"Opened pull request #{pr['number']}")
    assert url in after[-1]["content"]
    assert [p.event["type"] for p in emu.posted] == ["user_message", "user_confirmation"]

    again = http.confirm(task_id, args["approval_request_id"])
    assert again.status_code == 400 and "already answered" in again.json()["message"]


def test_a_declined_approval_follows_the_instructions(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create(CHANGE)
    approval_id = pending_approval_id(http.bodies(task_id))
    r = http.confirm(task_id, approval_id, ok=False, instructions="Only tag the buckets")
    assert r.status_code == 202 and emu.agent_done(task_id)
    last = http.bodies(task_id)[-1]
    assert last["type"] == "assistant_message"
    assert "won't open the pull request" in last["content"]
    assert "Only tag the buckets" in last["content"]
    assert not [e for e in http.task(task_id)["entities"] if e["type"] == "pull_request"]


def test_a_new_message_supersedes_a_pending_approval(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create(CHANGE)
    old = pending_approval_id(http.bodies(task_id))
    http.message(task_id, "Actually, just explain the current setup")
    assert http.bodies(task_id)[-1]["type"] == "assistant_message"
    r = http.confirm(task_id, old)
    assert r.status_code == 400 and "no longer pending" in r.json()["message"]
    http.message(task_id, "Fine, open the PR")
    new = pending_approval_id(http.bodies(task_id))
    assert new != old
    assert http.confirm(task_id, new).status_code == 202


def test_cancel_stops_a_running_turn_at_once(emu: NeoEmulator, http: Http) -> None:
    emu.pace = 0.1
    task_id = http.create(CHANGE, wait=False)
    time.sleep(0.25)
    r = http.send(task_id, {"type": "user_cancel", "timestamp": "2025-01-15T10:35:00Z"})
    assert r.status_code == 202
    assert http.task(task_id)["status"] == "idle"
    assert emu.agent_done(task_id, timeout=0)
    count = len(http.events(task_id))
    time.sleep(0.5)
    bodies = http.bodies(task_id)
    assert len(bodies) == count  # not one more event from the cancelled turn
    assert 3 <= count < 10
    assert types(bodies[-2:]) == ["user_cancel", "assistant_message"]
    assert bodies[-1]["content"] == "Cancelled."
    assert "approval_request" not in json.dumps(bodies)
    assert [p.event["type"] for p in emu.posted] == ["user_message", "user_cancel"]


def test_cancel_supersedes_a_pending_approval(http: Http) -> None:
    task_id = http.create(CHANGE)
    approval_id = pending_approval_id(http.bodies(task_id))
    assert http.send(task_id, {"type": "user_cancel"}).status_code == 202
    r = http.confirm(task_id, approval_id)
    assert r.status_code == 400 and "no longer pending" in r.json()["message"]


def test_confirmations_while_running_are_409(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create(CHANGE)
    approval_id = pending_approval_id(http.bodies(task_id))
    emu.pace = 0.1
    assert http.confirm(task_id, approval_id).status_code == 202
    assert http.confirm(task_id, approval_id).status_code == 409
    assert http.send(task_id, {"type": "user_message", "content": "hi"}).status_code == 409
    assert emu.agent_done(task_id)


def test_auto_approval_mode_confirms_synthetically(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create(CHANGE, approvalMode="auto")
    events = http.events(task_id)
    synthetic = [e for e in events if e["type"] == "userInput" and e["isSynthetic"]]
    assert len(synthetic) == 1
    assert synthetic[0]["eventBody"]["approval_request_id"] == pending_approval_id(
        [e["eventBody"] for e in events[: events.index(synthetic[0])]]
    )
    assert any(e["type"] == "pull_request" for e in http.task(task_id)["entities"])
    assert [p.event["type"] for p in emu.posted] == ["user_message"]


def test_magic_fail_ends_the_turn_with_an_error(http: Http) -> None:
    task_id = http.create("Deploy this and simulate-error please")
    bodies = http.bodies(task_id)
    assert types(bodies)[-1] == "error" and "failed" in bodies[-1]["message"]
    assert "tool_response" not in types(bodies)
    assert http.task(task_id)["status"] == "idle"
    assert "approval_request" not in json.dumps(bodies)


def test_magic_warn_surprise_and_thorough(http: Http) -> None:
    task_id = http.create("Be thorough, warn me, and surprise me")
    bodies = http.bodies(task_id)
    assert "warning" in types(bodies) and "neo_future_event" in types(bodies)
    tools = [b["name"] for b in bodies if b["type"] == "exec_tool_call"]
    assert tools == ["get_stack_resources", "search_code", "pulumi_preview"]


def test_magic_malformed_approval(http: Http) -> None:
    task_id = http.create("Open a PR with a malformed request")
    (call,) = http.bodies(task_id)[-1]["tool_calls"]
    try:
        json.loads(call["function"]["arguments"])
    except ValueError:
        pass
    else:
        raise AssertionError("the arguments should not be JSON")


def test_the_agent_is_deterministic_under_a_seed() -> None:
    def run(seed: int) -> list[Any]:
        with NeoEmulator(seed=seed) as emu:
            http = Http(emu)
            try:
                task_id = http.create(CHANGE)
                http.confirm(task_id, pending_approval_id(http.bodies(task_id)))
                assert emu.agent_done(task_id)
                events = http.events(task_id)
            finally:
                http.close()
        for e in events:
            e["eventBody"].pop("timestamp")
        return [task_id, events]

    assert run(4) == run(4)
    assert run(4) != run(5)
