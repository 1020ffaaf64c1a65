"""The inbox over real HTTP against the emulator's seeded history (today's API): what needs
you comes first, one answer per request whoever sends it, a quiet poll's cost, filters done by
the server, and tasks that vanish or may not be read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chat_helpers import wait_for

from neo_notebook import ApprovalError, NeoClient
from neo_notebook._inbox import Inbox
from neo_notebook._session import all_sessions
from neo_notebook.emulator import NeoEmulator


@pytest.fixture
def emu() -> Iterator[NeoEmulator]:
    # The two newest seeded tasks wait for approval: a scheduled drift check and a failed
    # deployment's fix (see neo_notebook/emulator/_history.py).
    with NeoEmulator(api="current", history=12, seed=5) as emulator:
        yield emulator


@pytest.fixture
def client(emu: NeoEmulator) -> Iterator[NeoClient]:
    with NeoClient(emu.org, token=emu.token, base_url=emu.url, timeout=10) as c:
        yield c
        for session in all_sessions(c):
            session.stop(join=10)


@pytest.fixture
def inbox(client: NeoClient) -> Iterator[Inbox]:
    box = Inbox(client, follow_cap=8)
    yield box
    box.stop()


def confirmations(emu: NeoEmulator, task_id: str) -> list[dict[str, Any]]:
    return [b for t, b in emu.posted if t == task_id and b["type"] == "user_confirmation"]


def test_what_needs_you_comes_first_with_its_request_in_short(
    inbox: Inbox, emu: NeoEmulator
) -> None:
    inbox.poll()
    rows = inbox.rows
    needs = [r for r in rows if r["section"] == "needs_you"]
    assert {r["id"] for r in needs} == set(emu.task_ids[:2])
    assert [r["section"] for r in rows] == sorted(
        (r["section"] for r in rows), key=["needs_you", "working", "recent"].index
    )
    waits = [r["waiting_since"] for r in needs]
    assert waits == sorted(waits)  # the longest waiting first
    labels = {r["id"]: r["trigger"]["label"] for r in needs}
    assert labels[emu.task_ids[0]] != labels[emu.task_ids[1]]  # schedule vs failed deployment
    for row in needs:
        request = row["request"]
        assert request["id"] and request["kind"] and request["description"]
        assert request["files"] and all(f["added"] + f["removed"] > 0 for f in request["files"])
        assert row["can_answer"] and row["answer"] is None
    recent = [r for r in rows if r["section"] == "recent"]
    activity = [r["last_activity"] for r in recent]
    assert activity == sorted(activity, reverse=True)


def test_a_quiet_poll_costs_one_list_request_plus_one_per_followed_task(
    inbox: Inbox, emu: NeoEmulator
) -> None:
    inbox.poll()
    assert inbox.following == 8
    before = emu.stats.requests
    inbox.poll()
    assert emu.stats.requests - before == 1 + 8


def test_approve_in_the_inbox_and_in_the_chat_sends_one_confirmation(
    inbox: Inbox, client: NeoClient, emu: NeoEmulator
) -> None:
    inbox.poll()
    row = next(r for r in inbox.rows if r["section"] == "needs_you")
    task_id, request_id = row["id"], row["request"]["id"]
    chat = client.chat(task_id)  # the same task's chat is open
    changes: list[Any] = []
    inbox.subscribe(lambda changed, removed, reset: changes.extend(changed))
    assert inbox.approve(task_id, request_id) == request_id
    with pytest.raises(ApprovalError, match="already approved"):
        inbox.approve(task_id, request_id)  # a double click
    with pytest.raises(ApprovalError, match="already approved"):
        chat.approve(request_id)
    with pytest.raises(ApprovalError, match="already approved"):
        client.approve(task_id, request_id)
    assert len(confirmations(emu, task_id)) == 1
    # The row shows the answer at once, then moves on as Neo works.
    assert any(c["id"] == task_id and c["answer"] and c["answer"]["ok"] for c in changes)
    assert emu.agent_done(task_id)
    inbox.poll()
    assert next(r for r in inbox.rows if r["id"] == task_id)["section"] != "needs_you"
    chat.close()


def test_filters_are_done_by_the_server(inbox: Inbox, emu: NeoEmulator) -> None:
    inbox.poll()
    everything = {r["id"] for r in inbox.rows}
    inbox.set_filters(exclude_sources=["schedule"])
    kept = {r["id"] for r in inbox.rows}
    assert emu.task_ids[0] not in kept and emu.task_ids[1] in kept and kept < everything
    with pytest.raises(ValueError, match="running, idle"):
        inbox.set_filters(status="waiting")


def test_a_task_that_disappears_leaves_the_list(
    inbox: Inbox, emu: NeoEmulator, client: NeoClient
) -> None:
    inbox.poll()
    gone = emu.task_ids[0]
    removed: list[str] = []
    inbox.subscribe(lambda changed, ids, reset: removed.extend(ids))
    emu.delete_task(gone)
    inbox.poll()
    assert gone not in {r["id"] for r in inbox.rows} and gone in removed


def test_only_the_first_page_until_more_is_asked(client: NeoClient) -> None:
    box = Inbox(client, follow_cap=2, page_size=5)
    try:
        box.poll()
        assert len(box.rows) == 5 and box.has_more
        box.more()
        assert len(box.rows) == 10
    finally:
        box.stop()


def test_the_poller_keeps_rows_live(client: NeoClient, emu: NeoEmulator) -> None:
    box = Inbox(client, follow_cap=4, poll_seconds=0.05)
    try:
        box.start()
        wait_for(lambda: box.rows)
        task = client.create_task("What is in my stack?")
        wait_for(lambda: any(r["id"] == task.id for r in box.rows), 15)
    finally:
        box.stop()


def test_a_task_the_user_may_not_answer_says_why(emu: NeoEmulator) -> None:
    from neo_notebook import PermissionDeniedError

    with NeoClient(emu.org, token=emu.readonly_token, base_url=emu.url, timeout=10) as reader:
        box = Inbox(reader, follow_cap=4)
        try:
            box.poll()
            row = next(r for r in box.rows if r["section"] == "needs_you")
            with pytest.raises(PermissionDeniedError):
                box.approve(row["id"], row["request"]["id"])
            row = next(r for r in box.rows if r["id"] == row["id"])
            assert "may not answer" in row["error"] and not row["can_answer"]
            assert row["answer"] is None and confirmations(emu, row["id"]) == []
        finally:
            box.stop()
            for session in all_sessions(reader):
                session.stop(join=10)


# -- the widget (its messages, without a browser; tests/browser/test_inbox.py clicks) -------------


def test_the_widget_sends_rows_answers_once_and_opens_a_chat(
    client: NeoClient, emu: NeoEmulator
) -> None:
    from chat_helpers import Views

    from neo_notebook import NeoChat, NeoInbox

    inbox = NeoInbox(client, follow_cap=6, poll_seconds=30)
    views = Views()
    inbox.list.send = views  # type: ignore[method-assign]

    def message(content: dict[str, Any]) -> None:
        inbox._on_message(inbox.list, content, [])

    try:
        message({"type": "sync"})
        wait_for(lambda: any(r["section"] == "needs_you" for r in inbox.rows), 15)
        message({"type": "sync"})
        (snapshot,) = [m for m in views.of_type("rows") if m["reset"]][-1:]
        assert snapshot["rows"][0]["section"] == "needs_you"
        row = snapshot["rows"][0]
        loaded = len(views.of_type("rows"))
        click = {
            "type": "approve",
            "task_id": row["id"],
            "approval_request_id": row["request"]["id"],
            "request_id": "r1",
        }
        message(click)
        message(click)  # the same click resent: acted on once
        assert views.ack("r1")["ok"] is True
        # The change goes as that one row, not the list.
        change = views.of_type("rows")[loaded:]
        assert change and all(len(m["rows"]) == 1 for m in change)
        assert max(len(json.dumps(m)) for m in change) < 4096
        message({**click, "request_id": "r2"})  # a second click
        second = views.ack("r2")
        assert second["ok"] is False and "already approved" in second["error"]
        assert len(confirmations(emu, row["id"])) == 1
        other = next(t for t in emu.task_ids[:2] if t != row["id"])  # still waiting
        message({"type": "expand", "task_id": other, "request_id": "r3"})
        views.ack("r3")
        (card,) = views.of_type("card")
        assert card["card"]["diff"] and card["card"]["id"]
        message({"type": "open", "task_id": row["id"], "request_id": "r4"})
        views.ack("r4")
        assert isinstance(inbox.children[1], NeoChat) and inbox.list.opened == row["id"]
        message(
            {"type": "filter", "filters": {"exclude_sources": ["schedule"]}, "request_id": "r5"}
        )
        assert views.ack("r5")["ok"] is True
        assert inbox.list.filters["exclude_sources"] == ["schedule"]
        assert emu.task_ids[0] not in {r["id"] for r in inbox.rows}
    finally:
        inbox.close()
