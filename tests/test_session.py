"""TaskSession over real HTTP: one follower per task, answers kept once, the status of a task
that waits for the client's tools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chat_helpers import wait_for

from neo_notebook import ApprovalError, NeoClient
from neo_notebook._eventlog import EventLog
from neo_notebook._events import Event
from neo_notebook._models import Task
from neo_notebook._session import SessionUpdate, derive_status, existing_session
from neo_notebook.emulator import Faults, NeoEmulator

CHANGE = "Please fix the drift in infra/prod and open a pull request."


@pytest.fixture
def lagging() -> Iterator[NeoClient]:
    """A server that records a confirmation 0.5 s after it accepts it."""
    with (
        NeoEmulator(api="current", confirmation_delay=0.5) as emu,
        NeoClient(emu.org, token=emu.token, base_url=emu.url, timeout=10) as client,
    ):
        yield client


def test_one_session_per_task_whoever_asks(client: NeoClient) -> None:
    task = client.create_task("What is in my stack?")
    session = client.session(task.id)
    assert client.session(task.id) is session
    chat = client.chat(task.id)
    assert chat.session is session and existing_session(client, task.id) is session
    assert session.wait(10)
    assert chat.status == session.status == "idle" and chat.event_count == session.event_count
    chat.close()
    session.stop(join=10)
    assert existing_session(client, task.id) is None
    assert client.session(task.id) is not session  # a stopped session is not handed out


def test_client_approve_is_seen_by_every_reader_before_the_server_records_it(
    lagging: NeoClient,
) -> None:
    task = lagging.create_task(CHANGE)
    chat = lagging.chat(task.id)
    assert chat.wait(10) and chat.pending_approval is not None
    request = chat.pending_approval
    approved = lagging.approve(task.id)  # what %neo approve does
    assert approved == request.id
    # The server has not recorded it yet, yet nobody here calls it pending any more ...
    assert lagging.pending_approval(task.id) is None
    assert chat.pending_approval is None and chat.session is not None
    assert chat.session.pending_approval is None
    assert approved in chat.answers  # ... and the panel shows the answer at once
    # ... and a second answer from the panel is refused naming the first, sending nothing.
    with pytest.raises(ApprovalError, match="already approved from this notebook"):
        chat.approve()
    wait_for(lambda: chat.approvals.get(approved) == "approved", 15)
    chat.close()


def test_subscribers_get_each_event_once_in_order(client: NeoClient) -> None:
    task = client.create_task("What is in my stack?")
    session = client.session(task.id)
    seen: list[SessionUpdate] = []
    unsubscribe = session.subscribe(seen.append)
    session.send_message("And what about staging?")
    assert session.wait(15)
    starts = [(u.start, len(u.events)) for u in seen if u.events]
    numbered = [start + i for start, n in starts for i in range(n)]
    assert numbered == list(range(numbered[0], session.event_count))
    ids = [e.id for u in seen for e in u.events]
    assert ids == [e.id for e in session.events[numbered[0] :]]
    assert any(u.turn_ended for u in seen)
    unsubscribe()
    session.refresh()
    count = len(seen)
    session.send_message("Thanks")
    session.wait(15)
    assert len(seen) == count  # unsubscribed: nothing more
    session.stop(join=10)


def test_an_error_is_kept_and_cleared(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task("What is in my stack?")
    session = client.session(task.id)
    client.max_retries = 0
    emulator.faults = Faults(rate=1.0, kinds=("500",))  # every request fails
    assert session.refresh() == [] and session.error is not None
    emulator.faults = None
    session.refresh()
    assert session.error is None
    session.stop(join=10)


def _call(call_id: str, mode: str | None) -> dict[str, Any]:
    call: dict[str, Any] = {"id": call_id, "name": "filesystem__read", "args": {"file_path": "a"}}
    if mode:
        call["execution_mode"] = mode
    return call


def _agent(body: dict[str, Any], n: int) -> Event:
    return Event.from_json({"id": f"e{n}", "type": "agentResponse", "eventBody": body})


def _user(body: dict[str, Any], n: int) -> Event:
    return Event.from_json({"id": f"e{n}", "type": "userInput", "eventBody": body})


def test_a_turn_that_ends_with_cli_calls_waits_for_your_tools() -> None:
    log = EventLog("t")
    idle = Task(id="t", status="idle")
    calls = [_call("c1", "cli"), _call("c2", "cloud"), _call("c3", None)]
    log.add(_agent({"type": "assistant_message", "is_final": True, "tool_calls": calls}, 1))
    assert [r.call_id for r in log.waiting_tool_calls] == ["c1"]  # only cli calls are ours
    assert derive_status(idle, log) == "awaiting_tools"
    assert derive_status(Task(id="t", status="running"), log) == "running"
    log.add(_user({"type": "exec_tool_call", "tool_call_id": "c1", "name": "filesystem__read"}, 2))
    assert derive_status(idle, log) == "awaiting_tools"  # started, not answered
    result = {"tool_call_id": "c1", "name": "filesystem__read", "content": {"content": "x"}}
    log.add(_user({"type": "tool_result", "tool_results": [result]}, 3))
    # Neo has the results: it is about to resume, whatever a task read a moment ago said.
    assert log.waiting_tool_calls == [] and derive_status(idle, log) == "running"
    log.add(_agent({"type": "tool_response", "tool_call_id": "c1", "content": "x"}, 4))
    assert derive_status(idle, log) == "idle"
