"""NeoChat's Python side against the emulator: sending, approving, cancelling, polling,
snapshots for new views, errors as banners, and what it keeps out of widget state."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chat_helpers import Views, close, front_end, wait_for

from neo_notebook import Event, EventLog, NeoChat, NeoClient, Task
from neo_notebook._session import derive_status
from neo_notebook.emulator import Faults, NeoEmulator

CHANGE = "Please fix the drift in infra/prod and open a pull request"
QUESTION = "What is in my stack?"


@pytest.fixture
def make_chat(client: NeoClient) -> Iterator[Callable[..., tuple[NeoChat, Views]]]:
    made: list[NeoChat] = []

    def make(task_id: str | None = None, **kwargs: Any) -> tuple[NeoChat, Views]:
        chat = NeoChat(client, task_id=task_id, poll_interval=0.02, idle_interval=0.05, **kwargs)
        recorder = Views()
        chat.send = recorder  # type: ignore[method-assign]
        made.append(chat)
        return chat, recorder

    yield make
    for chat in made:
        close(chat)


def test_a_new_chat_starts_a_task_with_the_first_message(
    make_chat: Callable[..., tuple[NeoChat, Views]], emulator: NeoEmulator
) -> None:
    chat, views = make_chat()
    assert (chat.task_id, chat.status) == (None, "new")
    chat.send_message(QUESTION)
    assert chat.task_id
    assert chat.wait(10)
    assert chat.status == "idle" and chat.task_name
    assert views.seqs() == list(range(chat.event_count)) and chat.event_count > 3
    assert chat.client.chat(chat.task_id) is chat  # later cells reuse the same panel
    assert chat.events[0].type == "user_message"


def test_approve_from_the_panel_sends_exactly_one_confirmation(
    make_chat: Callable[..., tuple[NeoChat, Views]], emulator: NeoEmulator
) -> None:
    chat, views = make_chat()
    chat.send_message(CHANGE)
    chat.wait(10)
    assert chat.status == "awaiting_approval"
    pending = chat.pending_approval
    assert pending and pending.id and not pending.malformed
    assert chat.approvals == {pending.id: "pending"}
    click = {"type": "approve", "request_id": "r-1", "approval_request_id": pending.id}
    front_end(chat, click)
    front_end(chat, click)  # the same click delivered twice (a reconnecting view resends)
    assert views.ack("r-1")["ok"] is True
    front_end(chat, {**click, "request_id": "r-2"})  # a second click on a stale button
    second = views.ack("r-2")
    assert second["ok"] is False and "already" in second["error"]
    chat.wait(10)
    confirmations = [b for _, b in emulator.posted if b["type"] == "user_confirmation"]
    assert len(confirmations) == 1
    assert chat.approvals == {pending.id: "approved"} and chat.pending_approval is None
    prs = [e for e in chat.entities if e["type"] == "pull_request"]
    assert prs and prs[0]["url"].startswith("https://")
    assert len(views.of_type("ack")) == 2


def test_an_approve_the_service_refuses_with_409_is_kept_and_sent_once_it_can(
    make_chat: Callable[..., tuple[NeoChat, Views]], emulator: NeoEmulator
) -> None:
    chat, views = make_chat()
    chat.send_message(CHANGE)
    chat.wait(10)
    pending = chat.pending_approval
    assert pending and pending.id
    emulator.set_status(str(chat.task_id), "running")  # Neo's turn is still ending
    front_end(chat, {"type": "approve", "request_id": "r-1", "approval_request_id": pending.id})
    wait_for(lambda: chat._deferred, 10)  # refused with 409, and kept
    assert not [m for m in views.of_type("ack") if m["ok"] is not None]  # still in flight
    assert "kept" in chat.kept[pending.id]  # and the card says why
    assert not [b for _, b in emulator.posted if b["type"] == "user_confirmation"]
    emulator.set_status(str(chat.task_id), "idle")  # the service takes answers again
    assert views.ack("r-1", timeout=30)["ok"] is True
    confirmations = [b for _, b in emulator.posted if b["type"] == "user_confirmation"]
    assert len(confirmations) == 1 and confirmations[0]["approval_request_id"] == pending.id
    assert chat.kept == {}


def test_an_approval_answered_elsewhere_updates_the_panel(
    make_chat: Callable[..., tuple[NeoChat, Views]], client: NeoClient, emulator: NeoEmulator
) -> None:
    chat, _ = make_chat()
    chat.send_message(CHANGE)
    chat.wait(10)
    request_id = chat.pending_approval.id  # type: ignore[union-attr]
    client.approve(chat.task_id)  # type: ignore[arg-type]
    wait_for(lambda: chat.approvals.get(request_id) == "approved")


def test_decline_and_send_from_the_panel(
    make_chat: Callable[..., tuple[NeoChat, Views]], emulator: NeoEmulator
) -> None:
    chat, views = make_chat()
    chat.send_message(CHANGE)
    chat.wait(10)
    request_id = chat.pending_approval.id  # type: ignore[union-attr]
    front_end(
        chat,
        {
            "type": "decline",
            "request_id": "d1",
            "approval_request_id": request_id,
            "message": "Not today",
        },
    )
    assert views.ack("d1")["ok"]
    chat.wait(10)
    assert chat.approvals[request_id] == "declined"
    front_end(chat, {"type": "send", "request_id": "s1", "content": "Then just summarise it"})
    assert views.ack("s1")["ok"]
    chat.wait(10)
    assert [b.get("content") for _, b in emulator.posted][-1] == "Then just summarise it"


def test_sending_while_neo_works_is_refused_without_a_banner(
    make_chat: Callable[..., tuple[NeoChat, Views]], emulator: NeoEmulator
) -> None:
    chat, views = make_chat()
    chat.send_message(QUESTION)
    chat.wait(10)
    emulator.set_status(chat.task_id, "running")  # type: ignore[arg-type]
    chat.refresh()
    assert chat.status == "running" and "working" in chat.busy_reason
    front_end(chat, {"type": "send", "request_id": "busy", "content": "hello?"})
    ack = views.ack("busy")
    assert ack["ok"] is False and "still working" in ack["error"]
    assert chat.banner is None


def test_cancel_from_the_panel(
    make_chat: Callable[..., tuple[NeoChat, Views]], emulator: NeoEmulator
) -> None:
    emulator.pace = 0.1
    chat, views = make_chat()
    chat.send_message(CHANGE)
    front_end(chat, {"type": "cancel", "request_id": "c1"})
    assert views.ack("c1")["ok"]
    assert chat.wait(10)
    assert chat.status == "cancelled"
    assert chat.pending_approval is None


def test_a_new_view_gets_a_snapshot_and_a_late_one_only_what_it_misses(
    make_chat: Callable[..., tuple[NeoChat, Views]], client: NeoClient, emulator: NeoEmulator
) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    chat, views = make_chat(task.id)
    total = chat.event_count
    assert total > 3
    front_end(chat, {"type": "sync", "after": -1})
    snapshot = views.of_type("events")[-1]
    assert snapshot["reset"] is True and [i["seq"] for i in snapshot["events"]] == list(
        range(total)
    )
    front_end(chat, {"type": "sync", "after": total - 2})
    assert [i["seq"] for i in views.of_type("events")[-1]["events"]] == [total - 1]


def test_the_poller_delivers_new_events_once(
    make_chat: Callable[..., tuple[NeoChat, Views]], client: NeoClient, emulator: NeoEmulator
) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    chat, views = make_chat(task.id)
    front_end(chat, {"type": "sync", "after": -1})  # a view opens: polling starts
    emulator.inject_event(
        task.id,
        {
            "type": "agentResponse",
            "eventBody": {"type": "assistant_message", "content": "one more thing"},
        },
    )
    wait_for(
        lambda: any(
            p.get("text") == "one more thing"
            for m in views.of_type("events")
            for i in m["events"]
            for p in i["parts"]
        )
    )
    time.sleep(0.3)  # several more polls
    live = [i["seq"] for m in views.of_type("events") if not m["reset"] for i in m["events"]]
    assert live == [chat.event_count - 1]


def test_errors_show_as_a_banner_that_clears(
    make_chat: Callable[..., tuple[NeoChat, Views]], client: NeoClient, emulator: NeoEmulator
) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    chat, _ = make_chat(task.id)
    client.max_retries = 0
    emulator.faults = Faults(rate=1.0, kinds=("500",), seed=1)
    chat.refresh()
    assert chat.banner and chat.banner["level"] == "error" and "500" in chat.banner["message"]
    emulator.faults = None
    chat.refresh()
    assert chat.banner is None


def test_unknown_events_and_odd_tool_calls_reach_the_front_end(
    make_chat: Callable[..., tuple[NeoChat, Views]], client: NeoClient, emulator: NeoEmulator
) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    emulator.inject_event(
        task.id,
        {"type": "agentResponse", "eventBody": {"type": "brand_new_event", "detail": {"x": 1}}},
    )
    chat, views = make_chat(task.id)
    front_end(chat, {"type": "sync", "after": -1})
    items = views.of_type("events")[-1]["events"]
    unknown = [i for i in items if i["type"] == "brand_new_event"]
    assert [p["view"] for p in unknown[0]["parts"]] == ["unknown"]
    assert json.loads(unknown[0]["parts"][0]["json"])["detail"] == {"x": 1}
    started = [i for i in items if i["type"] == "exec_tool_call"]
    (tool,) = [p["tool"] for p in started[0]["parts"]]
    assert tool["call_id"] and tool["name"] and tool["state"] == "running"
    # The same run, finished, arrives with the tool_response: one key, now done.
    finished = [p["tool"] for i in items if i["type"] == "tool_response" for p in i["parts"]]
    assert [t["key"] for t in finished] == [tool["key"]] and finished[0]["state"] == "done"


def test_the_token_stays_out_of_state_and_saved_output(
    make_chat: Callable[..., tuple[NeoChat, Views]], client: NeoClient, emulator: NeoEmulator
) -> None:
    task = client.create_task(CHANGE)
    emulator.agent_done(task.id)
    chat, views = make_chat(task.id)
    front_end(chat, {"type": "sync", "after": -1})
    data, _ = chat._repr_mimebundle_()
    saved = json.dumps([chat.get_state(), data, views.messages], default=str)
    assert emulator.token not in saved and emulator.token not in repr(chat)
    assert "text/markdown" in data and "text/html" in data


def test_saved_transcript_is_sanitized(
    make_chat: Callable[..., tuple[NeoChat, Views]], client: NeoClient, emulator: NeoEmulator
) -> None:
    task = client.create_task(QUESTION)
    emulator.agent_done(task.id)
    payload = (
        "Hi <script>alert(1)</script><img src=x onerror=alert(2)> "
        '[click](javascript:alert(3)) <a href="javascript:alert(4)">x</a>'
    )
    emulator.inject_event(
        task.id,
        {"type": "agentResponse", "eventBody": {"type": "assistant_message", "content": payload}},
    )
    chat, _ = make_chat(task.id)
    html = chat._repr_mimebundle_()[0]["text/html"]
    tags = parse_tags(html)
    assert not [t for t, _ in tags if t in ("script", "img", "iframe", "svg")]
    assert not [a for _, attrs in tags for a, _ in attrs if a.startswith("on")]
    hrefs = [v or "" for _, attrs in tags for a, v in attrs if a == "href"]
    assert not [h for h in hrefs if not h.startswith(("http:", "https:", "mailto:"))]
    assert "alert(1)" in html  # shown as text, not dropped
    assert "Hi" in chat.transcript()


def parse_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    from html.parser import HTMLParser

    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def _event(kind: str, body_type: str, **body: Any) -> Event:
    return Event.from_json(
        {"type": kind, "id": body_type, "eventBody": {"type": body_type, **body}}
    )


@pytest.mark.parametrize(
    ("status", "events", "expected"),
    [
        ("running", [], "running"),
        ("idle", [_event("agentResponse", "assistant_message", content="done")], "idle"),
        ("idle", [_event("agentResponse", "error", message="boom")], "error"),
        ("idle", [_event("userInput", "user_cancel")], "cancelled"),
        (
            "idle",
            [_event("agentResponse", "cancelled"), _event("agentResponse", "warning", message="w")],
            "cancelled",
        ),
        (
            "idle",
            [
                _event(
                    "agentResponse",
                    "assistant_message",
                    tool_calls=[
                        {
                            "id": "c",
                            "function": {
                                "name": "approval_request",
                                "arguments": '{"approval_request_id": "r"}',
                            },
                        }
                    ],
                )
            ],
            "awaiting_approval",
        ),
    ],
)
def test_derived_status(status: str, events: list[Event], expected: str) -> None:
    log = EventLog()
    log.extend(events)
    task = Task(id="t", status=status)
    assert derive_status(task, log) == expected
    assert derive_status(None, log) == "new"
