"""`confirmation_delay` and `echo_confirmations`: how a confirmation is received."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from neo_notebook.emulator import NeoEmulator

from .conftest import CHANGE, Http, pending_approval_id


@pytest.fixture
def delayed() -> Iterator[Http]:
    with NeoEmulator(api="current", confirmation_delay=0.4) as emu:
        http = Http(emu)
        yield http
        http.close()


def test_a_delayed_confirmation_lands_after_the_202(delayed: Http) -> None:
    task_id = delayed.create(CHANGE)
    approval_id = pending_approval_id(delayed.bodies(task_id))
    before = len(delayed.events(task_id))
    started = time.monotonic()
    r = delayed.confirm(task_id, approval_id, ok=True)
    assert r.status_code == 202 and time.monotonic() - started < 0.3
    assert len(delayed.events(task_id)) == before  # not recorded yet
    task = delayed.task(task_id)
    assert task["status"] == "running" and task["pendingInputCount"] == 1
    again = delayed.confirm(task_id, approval_id, ok=True)
    assert again.status_code in (400, 409)  # answered already, or busy: never twice
    assert delayed.emu.agent_done(task_id)
    assert time.monotonic() - started >= 0.4
    events = delayed.events(task_id)[before:]
    assert events[0]["eventBody"]["type"] == "user_confirmation"
    assert events[0]["eventBody"]["approval_request_id"] == approval_id
    assert events[0]["isSynthetic"] is False
    assert delayed.task(task_id)["pendingInputCount"] == 0
    assert any(e["eventBody"]["type"] == "change_entities" for e in events)


def test_a_cancel_during_the_delay_drops_the_confirmation(delayed: Http) -> None:
    task_id = delayed.create(CHANGE)
    approval_id = pending_approval_id(delayed.bodies(task_id))
    assert delayed.confirm(task_id, approval_id, ok=True).status_code == 202
    assert delayed.send(task_id, {"type": "user_cancel"}).status_code == 202
    time.sleep(0.6)
    kinds = [b["type"] for b in delayed.bodies(task_id)]
    assert "user_confirmation" not in kinds and kinds[-1] == "cancelled"
    assert delayed.task(task_id)["pendingInputCount"] == 0


@pytest.mark.parametrize("api", ["seed", "current"])
def test_unechoed_confirmations_are_acted_on_but_not_listed(api: str) -> None:
    with NeoEmulator(api=api, echo_confirmations=False) as emu:  # type: ignore[arg-type]
        http = Http(emu)
        task_id = http.create(CHANGE)
        approval_id = pending_approval_id(http.bodies(task_id))
        fields = {"ok": True} if api == "current" else {}
        assert http.confirm(task_id, approval_id, **fields).status_code == 202
        assert emu.agent_done(task_id)
        bodies = http.bodies(task_id)
        assert "user_confirmation" not in [b["type"] for b in bodies]
        assert "Opened pull request" in bodies[-1]["content"]
        assert [p.event["type"] for p in emu.posted][-1] == "user_confirmation"
        again = http.confirm(task_id, approval_id, **fields)
        assert again.status_code == 400 and "already answered" in again.json()["message"]
        http.close()


def test_unechoed_still_lists_auto_approvals() -> None:
    with NeoEmulator(api="current", echo_confirmations=False) as emu:
        http = Http(emu)
        task_id = http.create(CHANGE, approvalMode="auto")
        assert "user_confirmation" in [b["type"] for b in http.bodies(task_id)]
        http.close()


def test_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="confirmation_delay"):
        NeoEmulator(confirmation_delay=-1)
