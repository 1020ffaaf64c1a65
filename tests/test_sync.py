"""client.sync: Delta tables kept up to date over real HTTP against the emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from deltalake import DeltaTable

from neo_notebook import ConfigurationError, NeoClient, SyncSummary
from neo_notebook._sync import STATE_KEY
from neo_notebook.emulator import Faults, NeoEmulator

#: Seeded history ends long before any test runs: its tasks are all older than a sync.
HISTORY_END = 1_767_225_600.0  # 2026-01-01T00:00:00Z
TASKS = 30


@pytest.fixture
def org() -> Iterator[tuple[NeoEmulator, NeoClient]]:
    with (
        NeoEmulator(
            org="acme", api="current", history=TASKS, seed=5, history_end=HISTORY_END
        ) as emu,
        NeoClient(emu.org, token=emu.token, base_url=emu.url, timeout=10) as client,
    ):
        yield emu, client


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """Where the tables go (tmp_path itself holds the test's Pulumi home)."""
    return tmp_path / "neo"


def keys(frame: pl.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    return sorted(frame.select(columns).iter_rows())


def read(path: Path, table: str) -> pl.DataFrame:
    return pl.read_delta(str(path / table))


def assert_tables_match_the_api(path: Path, client: NeoClient) -> None:
    """Every event and tool run of the org once, as ``client.history()`` reads them now."""
    truth = client.history(progress=False)
    events = read(path, "events")
    expected = sorted(
        zip(truth.events.task_id.astype(str), truth.events.event_id, truth.events.seq, strict=True)
    )
    assert keys(events, "task_id", "event_id", "seq") == expected
    calls = read(path, "tool_calls")
    expected_calls = sorted(
        zip(
            truth.tool_calls.task_id.astype(str),
            truth.tool_calls.call_id,
            truth.tool_calls.state.astype(str),
            strict=True,
        )
    )
    assert keys(calls, "task_id", "call_id", "state") == expected_calls
    assert sorted(read(path, "tasks")["task_id"]) == sorted(truth.tasks.task_id)


def test_first_sync_writes_the_history_as_three_delta_tables(
    org: tuple[NeoEmulator, NeoClient], target: Path
) -> None:
    _, client = org
    summary = client.sync(target, progress=False)
    assert isinstance(summary, SyncSummary)
    assert (summary.tasks, summary.tasks_new, summary.tasks_read) == (TASKS, TASKS, TASKS)
    assert summary.events_new == summary.events_read > TASKS
    # One listing page, then one page of events per task (each holds fewer than 1000).
    assert summary.requests == 1 + TASKS
    assert_tables_match_the_api(target, client)
    # The columns are the frames', in their order, with raw JSON and durations in seconds.
    history = client.history(progress=False)
    assert read(target, "events").columns == [*history.events.columns, "raw"]
    assert read(target, "tool_calls").columns == [
        "duration_s" if c == "duration" else c for c in history.tool_calls.columns
    ]
    assert DeltaTable(str(target / "tasks")).schema().to_arrow() is not None
    tasks = DeltaTable(str(target / "tasks")).to_pandas()
    assert str(tasks.created_at.dtype) == "datetime64[us, UTC]"
    assert tasks.stacks.map(len).sum() > 0


def test_a_second_sync_with_nothing_new_reads_the_task_list_and_one_task(
    org: tuple[NeoEmulator, NeoClient], target: Path
) -> None:
    _, client = org
    client.sync(target, progress=False)
    before = read(target, "events")
    summary = client.sync(target, progress=False)
    assert summary.requests == 1 + 1
    assert (summary.tasks_new, summary.tasks_read, summary.events_new) == (0, 1, 0)
    assert summary.tool_calls_new == summary.tool_calls_updated == 0
    assert read(target, "events").equals(before)


def late_events(call_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A tool call and its start, then (later) its response."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    started = [
        {
            "type": "agentResponse",
            "eventBody": {
                "type": "assistant_message",
                "content": "Checking again.",
                "timestamp": stamp,
                "tool_calls": [{"id": call_id, "name": "read_file", "args": {"path": "a.ts"}}],
            },
        },
        {
            "type": "agentResponse",
            "eventBody": {
                "type": "exec_tool_call",
                "tool_call_id": call_id,
                "name": "read_file",
                "execution_mode": "cloud",
                "args": {"path": "a.ts"},
                "timestamp": stamp,
            },
        },
    ]
    response = {
        "type": "agentResponse",
        "eventBody": {
            "type": "tool_response",
            "tool_call_id": call_id,
            "name": "read_file",
            "content": "export const a = 1;",
            "is_error": False,
            "timestamp": stamp,
        },
    }
    return started, response


def test_a_later_sync_reads_what_changed_not_the_org(
    org: tuple[NeoEmulator, NeoClient], target: Path
) -> None:
    emu, client = org
    client.sync(target, progress=False)
    changed = emu.task_ids[3:6]
    started, response = late_events("call_late")
    for event in started:
        emu.inject_event(changed[0], event)
    for task_id in changed[1:]:
        emu.inject_event(
            task_id, {"type": "agentResponse", "eventBody": {"type": "warning", "message": "!"}}
        )
    created = client.create_task("What is running in prod?")
    assert emu.agent_done(created.id)
    summary = client.sync(target, progress=False, workers=2)
    # The listing, the new task, the changed ones, and at most one window of unchanged ones.
    assert summary.requests <= 1 + 1 + len(changed) + 2
    assert summary.tasks_new == 1
    assert summary.events_new == len(started) + 2 + len(client.history([created.id]).events)
    assert summary.tool_calls_new >= 1
    calls = read(target, "tool_calls").filter(pl.col("call_id") == "call_late")
    assert calls["state"].to_list() == ["running"]
    assert_tables_match_the_api(target, client)

    # The run ends after that sync: its row is updated, not written twice.
    emu.inject_event(changed[0], response)
    summary = client.sync(target, progress=False, workers=2)
    assert (summary.events_new, summary.tool_calls_updated, summary.tool_calls_new) == (1, 1, 0)
    calls = read(target, "tool_calls").filter(pl.col("call_id") == "call_late")
    assert calls.select("state", "name", "result").rows() == [
        ("done", "read_file", "export const a = 1;")
    ]
    assert calls["started_at"].is_not_null().all()
    assert_tables_match_the_api(target, client)


def test_the_resume_state_is_committed_with_the_events_it_describes(
    org: tuple[NeoEmulator, NeoClient], target: Path
) -> None:
    _, client = org
    client.sync(target, progress=False)
    events = DeltaTable(str(target / "events"))
    latest = events.history(1)[0]
    assert STATE_KEY in latest
    assert set(eval_json(latest[STATE_KEY])["tasks"]) == set(read(target, "tasks")["task_id"])


def eval_json(text: str) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(text)
    return value


def test_a_sync_under_injected_faults_keeps_every_event_once(
    org: tuple[NeoEmulator, NeoClient], target: Path
) -> None:
    emu, client = org
    emu.faults = Faults(rate=0.2, seed=19, retry_after=0)
    first = client.sync(target, progress=False, workers=4)
    started, _ = late_events("call_faulty")
    for event in started:
        emu.inject_event(emu.task_ids[7], event)
    second = client.sync(target, progress=False, workers=4)
    assert emu.stats.faults_total > 0 and client.retries > 0
    assert not first.failures and not second.failures
    emu.faults = None
    assert_tables_match_the_api(target, client)


SYNC_IN_A_CHILD = """
import sys
import neo_notebook._sync as sync
from neo_notebook import NeoClient
sync.BATCH_TASKS = 2
client = NeoClient(sys.argv[1], token=sys.argv[2], base_url=sys.argv[3])
client.sync(sys.argv[4], workers=2, progress=False)
print("finished")
"""


def test_a_sync_killed_part_way_then_run_again_keeps_every_event_once(tmp_path: Path) -> None:
    # Slow requests, so the child is killed with most of the org still to read.
    with (
        NeoEmulator(org="acme", api="current", history=40, seed=8, history_end=HISTORY_END) as emu,
        NeoClient(emu.org, token=emu.token, base_url=emu.url, timeout=10) as client,
    ):
        emu.faults = Faults(latency=0.15)
        target = tmp_path / "neo"
        child = subprocess.Popen(
            [sys.executable, "-c", SYNC_IN_A_CHILD, emu.org, emu.token, emu.url, str(target)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            # Wait until some batches are committed (version 0 is the empty table).
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and child.poll() is None:
                events = target / "events"
                if DeltaTable.is_deltatable(str(events)) and DeltaTable(str(events)).version() >= 3:
                    break
                time.sleep(0.02)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            out, _ = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL and "finished" not in out
        part = read(target, "events")
        assert 0 < part["task_id"].n_unique() < 40

        emu.faults = None
        summary = client.sync(target, progress=False)
        assert summary.tasks_read < 40 + 1  # the committed tasks are not read whole again
        assert summary.events_new + part.height == read(target, "events").height
        assert_tables_match_the_api(target, client)
        # And a sync after that has nothing to do.
        again = client.sync(target, progress=False)
        assert (again.events_new, again.tool_calls_new, again.tool_calls_updated) == (0, 0, 0)


def test_a_folder_of_other_files_is_refused_and_left_as_it_was(
    org: tuple[NeoEmulator, NeoClient], target: Path
) -> None:
    _, client = org
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(ConfigurationError, match="not neo_notebook's sync tables"):
        client.sync(target, progress=False)
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]

    other = target / "other"
    (other / "events").mkdir(parents=True)
    (other / "events" / "part-0.parquet").write_bytes(b"PAR1")
    with pytest.raises(ConfigurationError, match="not a Delta table"):
        client.sync(other, progress=False)
    assert sorted(p.name for p in other.iterdir()) == ["events"]


def test_another_organizations_tables_are_refused_and_not_touched(
    org: tuple[NeoEmulator, NeoClient], target: Path
) -> None:
    _, client = org
    client.sync(target, progress=False)
    versions = {t: DeltaTable(str(target / t)).version() for t in ("tasks", "events")}
    with (
        NeoEmulator(org="globex", api="current", history=3, seed=1) as other,
        NeoClient(other.org, token=other.token, base_url=other.url, timeout=10) as theirs,
    ):
        with pytest.raises(ConfigurationError, match=r"organization 'acme', not .* 'globex'"):
            theirs.sync(target, progress=False)
        assert other.stats.requests == 0
    assert {t: DeltaTable(str(target / t)).version() for t in versions} == versions


def test_a_plain_delta_table_is_refused(org: tuple[NeoEmulator, NeoClient], target: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    _, client = org
    write_deltalake(str(target / "events"), pa.table({"x": [1, 2]}))
    with pytest.raises(ConfigurationError, match="did not write"):
        client.sync(target, progress=False)
    assert DeltaTable(str(target / "events")).version() == 0
    assert not (target / "tasks").exists()
