"""NeoClient over real HTTP against the emulator: every operation and error status."""

from __future__ import annotations

import logging
import socket
from collections import Counter

import pytest

from neo_notebook import (
    ApprovalError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    NeoClient,
    NeoConnectionError,
    NeoTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    PullRequest,
    RateLimitError,
    ServerError,
    Stack,
)
from neo_notebook.emulator import Faults, NeoEmulator
from neo_notebook.emulator._faults import FaultInjector

CHANGE = "Please fix the drift in infra/prod and open a pull request"
QUESTION = "What is in my stack?"


def other_client(emu: NeoEmulator, **kwargs: object) -> NeoClient:
    options: dict[str, object] = {"token": emu.token, "base_url": emu.url, "timeout": 5}
    options.update(kwargs)
    return NeoClient(emu.org, **options)  # type: ignore[arg-type]


def posted_types(emu: NeoEmulator) -> list[str]:
    return [body["type"] for _, body in emu.posted]


def test_create_get_and_pass_through(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task(
        QUESTION,
        entities=["infra/prod", "github:acme/platform"],
        approval_mode="balanced",
        plan_mode=False,
    )
    assert task.id
    emulator.agent_done(task.id)
    again = client.get_task(task.id)
    assert again.id == task.id and again.status == "idle" and again.name
    assert Stack("infra", "prod") in again.entities
    assert again.approval_mode == "balanced" and again.raw["planMode"] is False
    assert again.created_at is not None and again.created_at.tzinfo is not None


def test_question_gets_an_answer_with_a_tool_call(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task(QUESTION)
    assert emulator.agent_done(task.id)
    events = list(client.events(task.id))
    types = [e.type for e in events]
    assert types[0] == "user_message" and "set_task_name" in types
    assert "exec_tool_call" in types and "tool_response" in types
    assert events[-1].type == "assistant_message" and events[-1].content
    assert client.pending_approval(task.id) is None


def test_approval_flow_opens_a_pull_request(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task(CHANGE, entities=["infra/prod"])
    assert emulator.agent_done(task.id)
    pending = client.pending_approval(task.id)
    assert pending is not None and pending.id and not pending.malformed and pending.description
    assert client.approve(task.id) == pending.id
    assert emulator.agent_done(task.id)
    assert client.pending_approval(task.id) is None
    assert [a.state for a in client.approvals(task.id)] == ["approved"]
    assert any(isinstance(e, PullRequest) for e in client.get_task(task.id).entities)
    # answering again sends nothing
    before = len(emulator.posted)
    with pytest.raises(ApprovalError, match="no pending"):
        client.approve(task.id)
    with pytest.raises(ApprovalError, match="already approved"):
        client.approve(task.id, pending.id)
    assert len(emulator.posted) == before
    confirmations = [b for t, b in emulator.posted if b["type"] == "user_confirmation"]
    assert confirmations == [
        {**confirmations[0], "approval_request_id": pending.id, "ok": True}
    ] and confirmations[0]["timestamp"].endswith("Z")


def test_decline_with_instructions(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task(CHANGE)
    emulator.agent_done(task.id)
    request_id = client.decline(task.id, instructions="Use a smaller instance instead")
    emulator.agent_done(task.id)
    (approval,) = client.approvals(task.id)
    assert (approval.id, approval.state) == (request_id, "declined")
    body = emulator.posted[-1][1]
    assert body["ok"] is False and body["instructions"] == "Use a smaller instance instead"


def test_unknown_approval_id_is_refused_locally(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task(CHANGE)
    emulator.agent_done(task.id)
    before = len(emulator.posted)
    with pytest.raises(ApprovalError, match="no approval request 'req_nope'"):
        client.approve(task.id, "req_nope")
    assert len(emulator.posted) == before


def test_malformed_or_ambiguous_approvals_are_never_approved_by_accident(
    client: NeoClient, emulator: NeoEmulator
) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "approval_request", "arguments": "{broken"},
    }
    emulator.inject_event(
        task.id,
        {
            "type": "agentResponse",
            "eventBody": {"type": "assistant_message", "content": "ok?", "tool_calls": [call]},
        },
    )
    before = len(emulator.posted)
    with pytest.raises(ApprovalError, match="malformed"):
        client.approve(task.id)
    pending = client.pending_approval(task.id)
    assert pending is not None and pending.malformed
    for req in ("req_a", "req_b"):
        good = {
            "id": f"c_{req}",
            "type": "function",
            "function": {
                "name": "approval_request",
                "arguments": f'{{"approval_request_id": "{req}", "description": "d"}}',
            },
        }
        emulator.inject_event(
            task.id,
            {
                "type": "agentResponse",
                "eventBody": {"type": "assistant_message", "content": "ok?", "tool_calls": [good]},
            },
        )
    with pytest.raises(ApprovalError, match="several pending"):
        client.approve(task.id)
    assert len(emulator.posted) == before


def test_send_message_adds_entities_and_409_while_running(
    client: NeoClient, emulator: NeoEmulator
) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    client.send_message(task.id, "And the dev stack?", add=["infra/dev"])
    emulator.agent_done(task.id)
    assert Stack("infra", "dev") in client.get_task(task.id).entities
    emulator.set_status(task.id, "running")
    before = len(emulator.posted)
    with pytest.raises(ConflictError, match="still working") as info:
        client.send_message(task.id, "hello?")
    assert info.value.status == 409
    assert len(emulator.posted) == before  # a 409 is never retried


def test_bad_input_is_refused_before_sending(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    before = len(emulator.posted)
    with pytest.raises(ConfigurationError, match="empty"):
        client.send_message(task.id, "   ")
    with pytest.raises(ConfigurationError, match="read-only"):
        client.send_message(task.id, "x", add=[{"type": "pull_request", "number": 3}])
    with pytest.raises(ConfigurationError, match="PROJECT/STACK"):
        client.create_task("x", entities=["nonsense"])
    with pytest.raises(ConfigurationError, match="page_size"):
        client.events(task.id, page_size=0)
    assert len(emulator.posted) == before


def test_cancel_stops_a_running_turn(emulator: NeoEmulator) -> None:
    emulator.pace = 0.05
    with other_client(emulator) as client:
        task = client.create_task(CHANGE)
        client.cancel(task.id)
        assert emulator.agent_done(task.id)
        assert client.get_task(task.id).status == "idle"
        assert client.pending_approval(task.id) is None
        assert posted_types(emulator) == ["user_message", "user_cancel"]


def test_force_cancel_and_update_task(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task(QUESTION)
    client.cancel(task.id, force=True)
    assert client.get_task(task.id).status == "idle"
    shared = client.update_task(task.id, isShared=True)
    assert shared.is_shared and shared.shared_at is not None


@pytest.mark.parametrize("page_size", [1, 7, 100, 1000])
def test_events_paginate_in_order_without_repeats(
    client: NeoClient, emulator: NeoEmulator, page_size: int
) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    for i in range(1200 if page_size >= 100 else 60):
        emulator.inject_event(
            task.id,
            {
                "type": "agentResponse",
                "eventBody": {"type": "assistant_message", "content": f"note {i}"},
            },
        )
    ids = [e.id for e in client.events(task.id, page_size=page_size)]
    assert ids == [e.id for e in client.events(task.id)]
    assert len(ids) == len(set(ids)) and len(ids) > page_size


def test_list_tasks_paginates_the_history() -> None:
    with NeoEmulator(history=23, seed=3) as emu, other_client(emu) as client:
        tasks = list(client.list_tasks(page_size=5))
        assert len(tasks) == len({t.id for t in tasks}) == 23
        created = [t.created_at for t in tasks]
        assert created == sorted(created, reverse=True)  # type: ignore[type-var]


def test_first_page_is_fetched_eagerly(emulator: NeoEmulator) -> None:
    with other_client(emulator, token="wrong-token") as client:
        with pytest.raises(AuthenticationError):
            client.list_tasks()  # no iteration needed to see the error
        with pytest.raises(AuthenticationError):
            client.events("task_x")


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda c: c.get_task("task_missing"), NotFoundError),
        (lambda c: c.send_message("task_missing", "hi"), NotFoundError),
    ],
)
def test_not_found(client: NeoClient, make: object, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        make(client)  # type: ignore[operator]
    assert "task" in str(info.value).lower()


def test_unknown_org_is_404(emulator: NeoEmulator) -> None:
    with (
        NeoClient("no-such-org", token=emulator.token, base_url=emulator.url) as client,
        pytest.raises(NotFoundError),
    ):
        client.get_task("t")


def test_read_only_token_cannot_write(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    with other_client(emulator, token=emulator.readonly_token) as reader:
        assert reader.get_task(task.id).id == task.id
        with pytest.raises(PermissionDeniedError, match="permission"):
            reader.send_message(task.id, "hi")


def test_the_token_never_shows(emulator: NeoEmulator, caplog: pytest.LogCaptureFixture) -> None:
    secret = "pul-" + "ab" * 20
    caplog.set_level(logging.DEBUG)
    with other_client(emulator, token=secret, max_retries=1) as client:
        with pytest.raises(AuthenticationError) as info:
            client.get_task("t")
        texts = [
            repr(client),
            str(info.value),
            repr(info.value),
            repr(client.transport._session.auth),
            repr(client.transport._session.headers),
            caplog.text,
        ]
    assert info.value.status == 401
    assert all(secret not in text for text in texts)


def test_reads_survive_faults_and_writes_are_never_doubled(emulator: NeoEmulator) -> None:
    with other_client(emulator, max_retries=8) as client:
        task = client.create_task(QUESTION)
        emulator.agent_done(task.id)
        expected = [e.id for e in client.events(task.id, page_size=3)]
        emulator.faults = Faults(rate=0.3, seed=11)
        for _ in range(5):
            assert [e.id for e in client.events(task.id, page_size=3)] == expected
        assert client.retries > 0 and sum(emulator.stats["faults"].values()) > 0
        sent = 0
        for i in range(12):
            try:
                client.send_message(task.id, f"message {i}")
                sent += 1
            except (ServerError, NeoConnectionError, ConflictError):
                pass  # not retried: the server may have acted (here it had not)
            emulator.faults = Faults(rate=0.3, seed=100 + i)
            emulator.agent_done(task.id)
        contents = Counter(
            b.get("content") for _, b in emulator.posted if b["type"] == "user_message"
        )
        assert max(contents.values()) == 1
        assert sent >= 1


@pytest.mark.parametrize("kind", ["429", "503"])
def test_writes_are_retried_where_the_server_says_it_did_not_act(
    emulator: NeoEmulator, kind: str
) -> None:
    with other_client(emulator, max_retries=2) as client:
        task = client.create_task(QUESTION)
        emulator.agent_done(task.id)
        emulator.faults = Faults(rate=1.0, kinds=(kind,), seed=1)
        requests_before = emulator.stats["requests"]
        with pytest.raises(RateLimitError if kind == "429" else ServerError):
            client.send_message(task.id, "hi")
        assert emulator.stats["requests"] - requests_before == 3
        assert posted_types(emulator) == ["user_message"]


@pytest.mark.parametrize("kind", ["500", "502", "drop"])
def test_a_write_that_may_have_acted_is_checked_not_blindly_repeated(
    emulator: NeoEmulator, kind: str
) -> None:
    with other_client(emulator, max_retries=2) as client:
        task = client.create_task(QUESTION)
        emulator.agent_done(task.id)
        emulator.faults = Faults(rate=1.0, kinds=(kind,), seed=1)
        # Every request fails, so the check cannot be made either: the error surfaces.
        with pytest.raises(NeoConnectionError if kind == "drop" else ServerError):
            client.send_message(task.id, "hi")
        assert posted_types(emulator) == ["user_message"]


def seed_for(pattern: list[bool], kind: str, rate: float = 0.5) -> int:
    """A fault seed whose first requests fault (True) or not (False) as in ``pattern``."""
    for seed in range(100_000):
        injector = FaultInjector(Faults(rate=rate, kinds=(kind,), seed=seed))
        if [injector.decide().kind is not None for _ in pattern] == pattern:
            return seed
    raise AssertionError("no such seed")


@pytest.mark.parametrize(
    ("kind", "landed"),
    [("drop-after", True), ("500-after", True), ("drop", False), ("500", False), ("502", False)],
)
def test_a_lost_answer_never_loses_or_doubles_a_message(
    client: NeoClient, emulator: NeoEmulator, kind: str, landed: bool
) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    # The POST faults; the read-back and anything after it go through.
    emulator.faults = Faults(rate=0.5, kinds=(kind,), seed=seed_for([True] + [False] * 6, kind))
    retries = client.retries
    client.send_message(task.id, "exactly once")
    sent = [b for _, b in emulator.posted if b.get("content") == "exactly once"]
    assert len(sent) == 1
    assert client.retries - retries == (0 if landed else 1)


@pytest.mark.parametrize("kind", ["drop-after", "drop"])
def test_a_task_is_created_once_when_the_answer_is_lost(
    client: NeoClient, emulator: NeoEmulator, kind: str
) -> None:
    client.create_task("an older task")
    emulator.faults = Faults(rate=0.5, kinds=(kind,), seed=seed_for([True] + [False] * 8, kind))
    task = client.create_task("create me once")
    emulator.faults = None
    mine = [t for t, b in emulator.posted if b.get("content") == "create me once"]
    assert mine == [task.id]


def test_a_server_that_never_answers_times_out(emulator: NeoEmulator) -> None:
    emulator.faults = Faults(rate=1.0, kinds=("hang",), seed=1)
    with (
        other_client(emulator, timeout=0.3, max_retries=1) as client,
        pytest.raises(NeoTimeoutError, match="did not answer"),
    ):
        client.get_task("t")


def test_connection_refused_is_retried_then_typed() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = NeoClient("acme", token="t", base_url=f"http://127.0.0.1:{port}", max_retries=2)
    with client, pytest.raises(NeoConnectionError, match="Could not reach"):
        client.send_message("task_1", "hi")
    assert client.retries == 2  # a refused connection never reached the server: safe to retry


def test_bad_page_size_from_the_server_side(client: NeoClient) -> None:
    with pytest.raises(BadRequestError):
        client.transport.get_json(client.transport.path("tasks"), {"pageSize": 5000})


def test_current_api_shape() -> None:
    with NeoEmulator(api="current", seed=5) as emu, other_client(emu) as client:
        task = client.create_task(CHANGE)
        assert emu.agent_done(task.id)
        events = list(client.events(task.id))
        assert any(e.type == "user_approval_request" for e in events)
        tool_events = [e for e in events if e.tool_calls]
        assert tool_events and all(
            c.arguments is not None for e in tool_events for c in e.tool_calls
        )
        pending = client.pending_approval(task.id)
        assert pending is not None and pending.approval_type
        client.approve(task.id)
        assert emu.agent_done(task.id)
        assert any(
            isinstance(e, PullRequest) and e.repository for e in client.get_task(task.id).entities
        )
        assert client.pending_approval(task.id) is None


def test_tail_returns_only_new_events(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    tail = client.tail(task.id)
    first = tail.poll()
    assert [e.id for e in first] == [e.id for e in client.events(task.id)]
    assert tail.poll() == []
    emulator.inject_event(
        task.id,
        {"type": "agentResponse", "eventBody": {"type": "assistant_message", "content": "late"}},
    )
    (late,) = tail.poll()
    assert late.content == "late" and tail.count == len(first) + 1
