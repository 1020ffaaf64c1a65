"""Injected faults: reproducible under a seed, counted, and decided before the request acts."""

from __future__ import annotations

import time

import pytest
import requests

from neo_notebook.emulator import Faults, NeoEmulator

from .conftest import QUESTION, Http


def outcomes(emu: NeoEmulator, n: int) -> list[str]:
    """What `n` GETs in a row meet: a status, or "drop"."""
    seen = []
    http = Http(emu)
    try:
        for _ in range(n):
            try:
                seen.append(str(http.get("tasks").status_code))
            except requests.ConnectionError:
                seen.append("drop")
    finally:
        http.close()
    return seen


def test_faults_are_reproducible_under_a_seed() -> None:
    runs = []
    for seed in (1, 1, 2):
        with NeoEmulator(faults=Faults(rate=0.4, seed=seed)) as emu:
            runs.append(outcomes(emu, 60))
    assert runs[0] == runs[1] != runs[2]
    assert {"200", "429", "500", "502", "503", "drop"} <= set(runs[0])
    assert 10 < sum(o != "200" for o in runs[0]) < 40


def test_faults_are_counted_by_kind(emu: NeoEmulator) -> None:
    emu.faults = Faults(rate=0.5, seed=3)
    seen = outcomes(emu, 80)
    stats = emu.stats
    assert stats.requests == 80 and stats["requests"] == 80
    failures = [o for o in seen if o != "200"]
    assert stats.faults_total == len(failures)
    for kind in ("429", "500", "502", "503", "drop"):
        assert stats.faults_injected.get(kind, 0) == failures.count(kind)
    assert stats["faults"] == stats.faults_injected


def test_a_faulted_write_has_no_effect(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create()
    events = http.events(task_id)
    emu.faults = Faults(rate=1.0, kinds=("500", "503", "429"), seed=0)
    for _ in range(6):
        r = http.send(task_id, {"type": "user_message", "content": "again"})
        assert r.status_code in (429, 500, 503)
        assert r.json()["code"] == r.status_code and "injected" in r.json()["message"]
        r = http.post("tasks", json={"message": {"type": "user_message", "content": "new"}})
        assert r.status_code in (429, 500, 503)
    emu.faults = None
    assert http.events(task_id) == events
    assert len(emu.posted) == 1 and emu.task_ids == [task_id]
    assert emu.stats.user_events == 1


def test_429_carries_retry_after(emu: NeoEmulator, http: Http) -> None:
    emu.faults = Faults(rate=1.0, kinds=("429",), retry_after=1)
    r = http.get("tasks")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    emu.faults = Faults(rate=1.0, kinds=("429",))
    assert http.get("tasks").headers["Retry-After"] == "0"


def test_drop_closes_without_a_response(emu: NeoEmulator, http: Http) -> None:
    emu.faults = Faults(rate=1.0, kinds=("drop",))
    with pytest.raises(requests.ConnectionError):
        http.get("tasks")
    with pytest.raises(requests.ConnectionError):
        http.post("tasks", json={"message": {"type": "user_message", "content": QUESTION}})
    emu.faults = Faults()
    assert http.get("tasks").status_code == 200
    assert emu.task_ids == []


def test_hang_never_answers_and_does_not_block_stop() -> None:
    emu = NeoEmulator(faults=Faults(rate=1.0, kinds=("hang",))).start()
    http = Http(emu)
    try:
        with pytest.raises(requests.Timeout):
            http.get("tasks", timeout=0.3)
        started = time.monotonic()
        emu.stop()
        assert time.monotonic() - started < 1.5
    finally:
        http.close()
        emu.stop()


def test_latency_and_spikes(emu: NeoEmulator, http: Http) -> None:
    emu.faults = Faults(latency=0.1)
    started = time.monotonic()
    assert http.get("tasks").status_code == 200
    assert time.monotonic() - started >= 0.1
    emu.faults = Faults(spike_rate=1.0, spike_latency=0.2)
    started = time.monotonic()
    http.get("tasks")
    assert time.monotonic() - started >= 0.2
    with NeoEmulator(latency=0.15) as slow:
        other = Http(slow)
        try:
            started = time.monotonic()
            other.get("tasks")
            assert time.monotonic() - started >= 0.15
        finally:
            other.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate": 1.5},
        {"rate": -0.1},
        {"spike_rate": 2.0},
        {"latency": -1.0},
        {"kinds": ("418",)},
        {"rate": 0.5, "kinds": ()},
    ],
)
def test_bad_faults_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Faults(**kwargs)  # type: ignore[arg-type]
