"""Starting, stopping, the Python handles tests rely on, and the secrecy of the token."""

from __future__ import annotations

import logging
import time

import pytest
import requests

from neo_notebook.emulator import NeoEmulator

from .conftest import CHANGE, QUESTION, Http


def test_env_and_url() -> None:
    emu = NeoEmulator(org="globex", token="pul-abc")
    with pytest.raises(RuntimeError, match="not started"):
        _ = emu.url
    with emu:
        assert emu.url.startswith("http://127.0.0.1:")
        assert emu.env == {
            "PULUMI_BACKEND_URL": emu.url,
            "PULUMI_ACCESS_TOKEN": "pul-abc",
            "PULUMI_ORG": "globex",
        }
        assert emu.readonly_token != emu.token
    with pytest.raises(RuntimeError, match="once"):
        emu.start()


def test_random_tokens_differ() -> None:
    a, b = NeoEmulator(), NeoEmulator()
    assert len({a.token, b.token, a.readonly_token, b.readonly_token}) == 4


def test_stop_is_quick_with_keep_alive_connections_and_a_running_turn() -> None:
    emu = NeoEmulator(pace=5.0).start()
    http = Http(emu)
    try:
        http.create(CHANGE, wait=False)
        started = time.monotonic()
        emu.stop()
        assert time.monotonic() - started < 1
        with pytest.raises(requests.ConnectionError):
            http.get("tasks")
    finally:
        http.close()
    emu.stop()  # twice is fine


def test_inject_event_and_set_status(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create()
    stored = emu.inject_event(
        task_id, {"type": "agentResponse", "eventBody": {"type": "mystery", "x": 1}}
    )
    assert stored["id"] and stored["eventBody"] == {"type": "mystery", "x": 1}
    assert http.events(task_id)[-1] == stored
    kept = emu.inject_event(
        task_id,
        {
            "type": "agentResponse",
            "id": "evt-mine",
            "eventBody": {"type": "warning", "message": "m"},
        },
    )
    assert kept["id"] == "evt-mine" and http.events(task_id)[-1]["id"] == "evt-mine"
    emu.set_status(task_id, "running")
    assert http.task(task_id)["status"] == "running"
    emu.set_status(task_id, "idle")
    with pytest.raises(KeyError):
        emu.inject_event("nope", {"type": "agentResponse"})
    with pytest.raises(ValueError):
        emu.set_status(task_id, "done")
    with pytest.raises(ValueError):
        emu.inject_event(task_id, {"eventBody": {}})


def test_agent_done_times_out_on_a_slow_turn(emu: NeoEmulator, http: Http) -> None:
    emu.pace = 0.2
    task_id = http.create(QUESTION, wait=False)
    assert emu.agent_done(task_id, timeout=0.05) is False
    emu.pace = 0.0
    assert emu.agent_done(task_id, timeout=5) is True


def test_posted_keeps_every_accepted_user_event_in_order(emu: NeoEmulator, http: Http) -> None:
    one = http.create(QUESTION)
    two = http.create(CHANGE)
    http.message(one, "more")
    assert [(p.task_id, p.event.get("content")) for p in emu.posted] == [
        (one, QUESTION),
        (two, CHANGE),
        (one, "more"),
    ]
    task_id, event = emu.posted[0]
    assert event["type"] == "user_message" and task_id == one
    assert emu.stats.user_events == 3


def test_the_token_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="neo_notebook.emulator")
    with NeoEmulator(token="pul-secret-value", history=2) as emu:
        http = Http(emu)
        try:
            http.create(CHANGE)
            http.get("tasks", headers={"Authorization": "token pul-wrong-secret"})
        finally:
            http.close()
        shown = repr(emu)
    assert "serving on" in caplog.text and "GET" in caplog.text
    for secret in ("pul-secret-value", "pul-wrong-secret", emu.readonly_token):
        assert secret not in caplog.text and secret not in shown


@pytest.mark.parametrize("kwargs", [{"api": "v2"}, {"history": -1}, {"events_per_task": 0}])
def test_bad_options_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        NeoEmulator(**kwargs)  # type: ignore[arg-type]
