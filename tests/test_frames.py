"""History as data: frames, History and the Parquet export, over real HTTP against the emulator."""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from neo_notebook import (
    ConfigurationError,
    NeoClient,
    NotFoundError,
    ServerError,
    events_frame,
    tasks_frame,
    tool_calls_frame,
)
from neo_notebook._frames import EVENT_COLUMNS, TASK_COLUMNS, TOOL_CALL_COLUMNS, paused_gc
from neo_notebook._history import History
from neo_notebook.emulator import Faults, NeoEmulator

STRING = pd.StringDtype("pyarrow")
UTC = "datetime64[us, UTC]"
EVENT_DTYPES = {
    "task_id": "category",
    "seq": "int64",
    "event_id": STRING,
    "kind": "category",
    "type": "category",
    "timestamp": UTC,
    "content": STRING,
    "name": "category",
    "tool_call_id": STRING,
    "n_tool_calls": "int64",
    "approval_request_id": STRING,
    "is_final": "boolean",
    "synthetic": "bool",
    "input_tokens": "Int64",
    "output_tokens": "Int64",
    "cache_creation_tokens": "Int64",
    "cache_read_tokens": "Int64",
    "models": "category",
}
TOOL_CALL_DTYPES = {
    "task_id": "category",
    "event_id": STRING,
    "call_id": STRING,
    "name": "category",
    "arguments": "object",
    "raw_arguments": STRING,
    "execution_mode": "category",
    "runner": "category",
    "state": "category",
    "result": STRING,
    "timestamp": UTC,
    "started_at": UTC,
    "finished_at": UTC,
    "duration": "timedelta64[us]",
    "is_error": "boolean",
}
TASK_DTYPES = {
    "task_id": STRING,
    "name": STRING,
    "status": "category",
    "created_at": UTC,
    "created_by": "category",
    "is_shared": "bool",
    "shared_at": UTC,
    "approval_mode": "category",
    "plan_mode": "boolean",
    "permission_mode": "category",
    "role": "category",
    "task_type": "category",
    "trigger_type": "category",
    "source": "category",
    "tool_execution_mode": "category",
    "runtime_phase": "category",
    "agent_definition_id": "category",
    "tokens_used": "Int64",
    "context_used_tokens": "Int64",
    "context_window_tokens": "Int64",
    "pending_inputs": "Int64",
    "last_heartbeat": UTC,
    "entities": "object",
    "stacks": "object",
    "repositories": "object",
    "pull_requests": "object",
    "policy_issues": "object",
}


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in frame.dtypes.items()}


def expect(spec: dict[str, Any]) -> dict[str, str]:
    return {name: str(pd.api.types.pandas_dtype(dtype)) for name, dtype in spec.items()}


def plain(series: pd.Series) -> list[Any]:
    """The values with every kind of missing (NA, NaN, NaT) as None, for comparisons."""
    return [None if v is None or v is pd.NA or v != v else v for v in series.tolist()]


def make_client(emu: NeoEmulator, **options: Any) -> NeoClient:
    settings: dict[str, Any] = {"token": emu.token, "base_url": emu.url, "timeout": 10}
    settings.update(options)
    return NeoClient(emu.org, **settings)


@pytest.fixture
def seeded() -> Iterator[NeoEmulator]:
    """Twelve past tasks in the seed's wire shape."""
    with NeoEmulator(org="acme", history=12, seed=3) as emu:
        yield emu


@pytest.fixture
def seeded_client(seeded: NeoEmulator) -> Iterator[NeoClient]:
    with make_client(seeded) as client:
        yield client


def msg(event_id: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "eventBody": body}


# -- events ---------------------------------------------------------------------------------


def test_events_frame_columns_dtypes_and_order(seeded_client: NeoClient) -> None:
    task_id = next(seeded_client.list_tasks()).id
    frame = seeded_client.events_frame(task_id)
    assert list(frame.columns) == [name for name, _ in EVENT_COLUMNS] == list(EVENT_DTYPES)
    assert dtypes(frame) == expect(EVENT_DTYPES)
    events = list(seeded_client.events(task_id))
    assert frame.event_id.tolist() == [e.id for e in events]
    assert frame.seq.tolist() == list(range(len(events)))
    assert frame.event_id.is_unique and set(frame.task_id) == {task_id}
    assert set(frame.kind) == {"userInput", "agentResponse"}
    assert frame.timestamp.is_monotonic_increasing and frame.timestamp.notna().all()
    assert frame.type.iloc[0] == "user_message" and frame.content.iloc[0]
    calls = frame[frame.type == "exec_tool_call"]
    assert calls.tool_call_id.notna().all() and calls.name.notna().all()
    assert frame.n_tool_calls.tolist() == [len(e.tool_calls) for e in events]
    assert frame.n_tool_calls.sum() > 0


def test_events_frame_from_event_objects_matches_the_client(seeded_client: NeoClient) -> None:
    task_id = next(seeded_client.list_tasks()).id
    fetched = seeded_client.events_frame(task_id).drop(columns="task_id")
    from_objects = events_frame(list(seeded_client.events(task_id))).drop(columns="task_id")
    pd.testing.assert_frame_equal(fetched, from_objects)


def test_approval_ids_both_shapes() -> None:
    seed_request = msg(
        "e1",
        "agentResponse",
        {
            "type": "assistant_message",
            "content": "May I?",
            "timestamp": "2025-01-15T10:32:00Z",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {
                        "name": "approval_request",
                        "arguments": json.dumps(
                            {"approval_request_id": "req_1", "description": "PR"}
                        ),
                    },
                }
            ],
        },
    )
    current_request = msg(
        "e2",
        "agentResponse",
        {
            "type": "user_approval_request",
            "id": "req_2",
            "message": "Run pulumi up?",
            "approval_type": "general",
            "timestamp": "2025-01-15T10:33:00Z",
        },
    )
    confirmation = msg(
        "e3",
        "userInput",
        {
            "type": "user_confirmation",
            "approval_request_id": "req_2",
            "ok": True,
            "timestamp": "2025-01-15T10:40:00Z",
        },
    )
    frame = events_frame([seed_request, current_request, confirmation], task_id="t")
    assert frame.approval_request_id.tolist() == ["req_1", "req_2", "req_2"]
    assert plain(frame.content) == ["May I?", "Run pulumi up?", None]
    assert frame.n_tool_calls.tolist() == [1, 0, 0]


def test_unknown_malformed_and_wrongly_typed_events_do_not_break_a_frame() -> None:
    events: list[Any] = [
        msg(
            "e1",
            "agentResponse",
            {
                "type": "brand_new_thing",
                "payload": {"x": 1},
                "timestamp": "2025-01-15T10:32:00.123456789Z",
            },
        ),
        msg(
            "e2",
            "agentResponse",
            {
                "type": "assistant_message",
                "content": 42,
                "timestamp": "not a time",
                "is_final": "yes",
            },
        ),
        {"id": "e3", "type": "agentResponse", "eventBody": "not an object"},
        msg(
            "e4",
            "agentResponse",
            {
                "type": "assistant_message",
                "content": "bad args",
                "tool_calls": [
                    {"id": "c", "function": {"name": "approval_request", "arguments": "{oops"}}
                ],
            },
        ),
        msg(
            "e5",
            "userInput",
            {"type": "user_message", "content": "hi", "timestamp": "2025-01-15T10:35:00"},
        ),
        "not an event",
        None,
        {"type": "agentResponse", "eventBody": {"type": "warning", "message": "no id"}},
    ]
    frame = events_frame(events, raw=True)
    assert list(frame.columns) == [*EVENT_DTYPES, "raw"]
    assert plain(frame.event_id) == ["e1", "e2", "e3", "e4", "e5", None]
    assert plain(frame.type) == [
        "brand_new_thing",
        "assistant_message",
        None,
        "assistant_message",
        "user_message",
        "warning",
    ]
    assert plain(frame.content) == [None, "42", None, "bad args", "hi", "no id"]
    assert frame.timestamp.iloc[0] == pd.Timestamp("2025-01-15T10:32:00.123456Z")
    assert pd.isna(frame.timestamp.iloc[1]) and pd.isna(frame.is_final.iloc[1])
    assert frame.timestamp.iloc[4] == pd.Timestamp("2025-01-15T10:35:00Z")  # no zone: UTC
    assert pd.isna(frame.approval_request_id.iloc[3])  # malformed: never an id
    assert json.loads(frame.raw.iloc[0])["eventBody"]["payload"] == {"x": 1}
    calls = tool_calls_frame(events)
    assert calls.arguments.tolist() == [None] and plain(calls.raw_arguments) == ["{oops"]


def test_duplicates_are_dropped_across_pages() -> None:
    with NeoEmulator(history=1, events_per_task=1500, seed=1) as emu, make_client(emu) as client:
        task_id = emu.task_ids[0]
        first = next(client.events(task_id))
        emu.inject_event(task_id, dict(first.raw))  # the same id again, on the second page
        before = emu.stats.requests
        frame = client.events_frame(task_id)
        assert emu.stats.requests - before == 2  # pages of 1000
        assert len(frame) == 1500 and frame.event_id.is_unique
        assert frame.seq.tolist() == list(range(1500))
        twice = events_frame([first, first.raw, first])
        assert len(twice) == 1


def test_a_task_read_ahead_keeps_its_pages_in_order_and_fails_where_a_page_fails() -> None:
    # events_frame fetches each next page on a thread while it lays out the one before.
    # Faults(seed=0) at rate 0.5: the first request passes, the second fails, then two pass.
    with NeoEmulator(history=1, events_per_task=2500, seed=1) as emu:
        task_id = emu.task_ids[0]
        expected = [e.id for e in make_client(emu).events(task_id)]
        emu.faults = Faults(rate=0.5, kinds=("500",), seed=0)
        before = emu.stats.requests
        with make_client(emu, max_retries=0) as client, pytest.raises(ServerError):
            client.events_frame(task_id)
        assert emu.stats.requests - before == 2  # nothing asked for after the failed page
        emu.faults = Faults(rate=0.5, kinds=("500",), seed=0)
        with make_client(emu) as client:
            frame = client.events_frame(task_id)  # the failed page is retried in turn
        assert frame.event_id.tolist() == expected
        assert frame.seq.tolist() == list(range(2500))
    assert not [t for t in threading.enumerate() if t.name.startswith("neo-read-ahead")]


def test_reading_pauses_the_garbage_collector_and_restores_it_as_it_was() -> None:
    assert gc.isenabled()
    first, second = paused_gc(), paused_gc()
    first.__enter__()
    second.__enter__()  # another thread's read, overlapping
    assert not gc.isenabled()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the other read goes on
    second.__exit__(None, None, None)
    assert gc.isenabled()
    gc.disable()  # the user's choice is kept
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_empty_inputs_give_the_same_columns_and_dtypes() -> None:
    assert dtypes(events_frame([])) == expect(EVENT_DTYPES)
    assert dtypes(tool_calls_frame(iter(()))) == expect(TOOL_CALL_DTYPES)
    assert dtypes(tasks_frame([])) == expect(TASK_DTYPES)
    assert list(events_frame([], raw=True).columns) == [*EVENT_DTYPES, "raw"]
    assert len(events_frame([])) == 0


def test_empty_task_over_http(client: NeoClient, emulator: NeoEmulator) -> None:
    task = client.create_task("What is in my stack?")
    emulator.agent_done(task.id)
    assert len(client.events_frame(task.id)) > 0
    with pytest.raises(NotFoundError):
        client.events_frame("no-such-task")


# -- tool calls -----------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["seed", "current"])
def test_tool_calls_both_wire_shapes(api: str) -> None:
    with NeoEmulator(history=6, seed=5, api=api) as emu, make_client(emu) as client:  # type: ignore[arg-type]
        history = client.history(progress=False)
    calls = history.tool_calls
    assert list(calls.columns) == [name for name, _ in TOOL_CALL_COLUMNS] == list(TOOL_CALL_DTYPES)
    assert dtypes(calls) == expect(TOOL_CALL_DTYPES)
    tools = calls[calls.name != "approval_request"]
    assert len(tools) > 0 and tools.call_id.is_unique
    assert all("stack" in a or "repository" in a for a in tools.arguments)
    assert tools.started_at.notna().all() and tools.finished_at.notna().all()
    assert (tools.duration > pd.Timedelta(0)).all() and not tools.is_error.any()
    assert (tools.duration == tools.finished_at - tools.started_at).all()
    assert set(calls.task_id) <= set(history.tasks.task_id)
    approvals = history.events.approval_request_id.dropna()
    assert len(approvals) > 0
    if api == "current":
        assert "user_approval_request" in set(history.events.type)


def test_tool_call_pairing_errors_and_calls_seen_only_when_run() -> None:
    events = [
        msg(
            "a",
            "agentResponse",
            {
                "type": "assistant_message",
                "content": "",
                "timestamp": "2025-01-15T10:00:00Z",
                "tool_calls": [
                    {"id": "c1", "name": "shell", "args": {"cmd": "ls"}},
                    {"id": "c2", "name": "shell", "args": {}},
                ],
            },
        ),
        msg(
            "b",
            "agentResponse",
            {
                "type": "exec_tool_call",
                "tool_call_id": "c1",
                "name": "shell",
                "timestamp": "2025-01-15T10:00:02Z",
            },
        ),
        msg(
            "c",
            "agentResponse",
            {
                "type": "tool_response",
                "tool_call_id": "c1",
                "name": "shell",
                "content": {"output": "boom", "exit_code": 2},
                "timestamp": "2025-01-15T10:00:07Z",
            },
        ),
        msg(
            "d",
            "userInput",
            {
                "type": "tool_result",
                "timestamp": "2025-01-15T10:00:09Z",
                "tool_results": [
                    {"tool_call_id": "c2", "name": "shell", "content": {}, "is_error": False}
                ],
            },
        ),
        msg(
            "e",
            "agentResponse",
            {
                "type": "exec_tool_call",
                "tool_call_id": "c3",
                "name": "read_file",
                "args": {"path": "a"},
                "timestamp": "2025-01-15T10:01:00Z",
            },
        ),
    ]
    calls = tool_calls_frame(events, task_id="t")
    assert calls.call_id.tolist() == ["c1", "c2", "c3"]
    assert calls.arguments.tolist() == [{"cmd": "ls"}, {}, {"path": "a"}]
    assert calls.raw_arguments.iloc[0] == '{"cmd": "ls"}'
    assert calls.duration.iloc[0] == pd.Timedelta(seconds=5)  # from exec_tool_call
    assert calls.duration.iloc[1] == pd.Timedelta(seconds=9)  # from the call itself
    assert pd.isna(calls.duration.iloc[2]) and pd.isna(calls.is_error.iloc[2])  # still running
    assert calls.is_error.iloc[:2].tolist() == [True, False]
    assert events_frame(events).content.iloc[2] == "boom"


# -- tasks ----------------------------------------------------------------------------------


def test_tasks_frame_columns_entities_and_settings(
    client: NeoClient, emulator: NeoEmulator
) -> None:
    task = client.create_task(
        "Please fix the drift in infra/prod and open a pull request",
        entities=["infra/prod", "github:acme/platform"],
        approval_mode="balanced",
    )
    emulator.agent_done(task.id)
    frame = client.tasks_frame()
    assert list(frame.columns) == [name for name, _ in TASK_COLUMNS] == list(TASK_DTYPES)
    assert dtypes(frame) == expect(TASK_DTYPES)
    row = frame.set_index("task_id").loc[task.id]
    assert row.stacks == ["infra/prod"] and row.repositories == ["github:acme/platform"]
    assert {"infra/prod", "github:acme/platform"} <= set(row.entities)
    assert row.approval_mode == "balanced" and row.created_by == "notebook-user"
    assert pd.isna(row.shared_at) and not row.is_shared  # Go's zero time is "never"
    assert row.created_at.tzinfo is not None


def test_tasks_frame_from_dicts_and_objects() -> None:
    raw = {
        "id": "t1",
        "name": "N",
        "status": "idle",
        "createdAt": "2025-01-15T00:00:00Z",
        "isShared": True,
        "sharedAt": "2025-01-16T00:00:00Z",
        "planMode": True,
        "tokensUsed": 12,
        "permissionMode": "read-only",
        "createdBy": {"name": "Ada", "githubLogin": "ada"},
        "entities": [
            {"type": "stack", "name": "prod", "project": "infra"},
            {
                "type": "pull_request",
                "number": 7,
                "merged": False,
                "repo": {"name": "web", "org": "acme", "forge": "github"},
            },
            {"type": "policy_issue", "id": "pol-1"},
            {"type": "mystery", "id": "?"},
        ],
    }
    from neo_notebook import Task

    frame = tasks_frame([raw, Task.from_json(raw), {"id": "t2"}], raw=True)
    assert frame.task_id.tolist() == ["t1", "t2"]
    first, second = frame.iloc[0], frame.iloc[1]
    assert first.pull_requests == ["github:acme/web#7"] and first.policy_issues == ["pol-1"]
    assert first.shared_at == pd.Timestamp("2025-01-16", tz="UTC") and first.plan_mode
    assert first.tokens_used == 12 and first.permission_mode == "read-only"
    assert len(first.entities) == 4 and json.loads(first.raw)["id"] == "t1"
    assert pd.isna(second["name"]) and pd.isna(second.created_at) and pd.isna(second.tokens_used)
    assert second.stacks == [] and pd.isna(second.plan_mode) and not second.is_shared
    built = tasks_frame([Task(id="t3", created_at=datetime(2025, 2, 1, tzinfo=timezone.utc))])
    assert built.created_at.iloc[0] == pd.Timestamp("2025-02-01", tz="UTC")


# -- history --------------------------------------------------------------------------------


def test_history_reads_every_task(seeded: NeoEmulator, seeded_client: NeoClient) -> None:
    history = seeded_client.history(workers=4, progress=False)
    assert isinstance(history, History) and not history.failures
    assert len(history.tasks) == 12 and history.tasks.task_id.tolist() == seeded.task_ids
    per_task = sum(len(seeded_client.events_frame(t)) for t in seeded.task_ids)
    assert len(history.events) == per_task and history.events.event_id.is_unique
    assert list(history.events.task_id.unique()) == seeded.task_ids  # in task order
    assert dtypes(history.events) == expect(EVENT_DTYPES)
    assert repr(history).startswith("History(12 tasks, ")


def test_history_reports_failures_per_task(seeded: NeoEmulator, seeded_client: NeoClient) -> None:
    good = seeded.task_ids[:3]
    history = seeded_client.history(tasks=[*good, "no-such-task"], progress=False)
    assert list(history.failures) == ["no-such-task"]
    assert isinstance(history.failures["no-such-task"], NotFoundError)
    assert history.tasks.task_id.tolist() == good
    assert set(history.events.task_id) == set(good)
    assert "1 failed: no-such-task: NotFoundError" in repr(history)


def test_history_under_faults_loses_nothing_silently(seeded: NeoEmulator) -> None:
    with make_client(seeded, max_retries=0) as client:
        tasks = list(client.list_tasks())
        seeded.faults = Faults(rate=0.5, kinds=("500",), seed=2)
        history = client.history(tasks=tasks, workers=3, progress=False)
        seeded.faults = Faults()
    failed, read = set(history.failures), set(history.events.task_id)
    assert failed and read and not failed & read
    assert failed | read == {t.id for t in tasks}
    assert all(isinstance(e, ServerError) for e in history.failures.values())
    with make_client(seeded, max_retries=8) as client:
        seeded.faults = Faults(rate=0.3, kinds=("500", "drop"), seed=4)
        retried = client.history(tasks=tasks, progress=False)
        seeded.faults = Faults()
        clean = client.history(tasks=tasks, progress=False)
    assert not retried.failures
    pd.testing.assert_frame_equal(retried.events, clean.events)


def test_history_progress_bar_only_when_asked(
    seeded_client: NeoClient, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded_client.history()  # not interactive under pytest: no bar
    assert "task" not in capsys.readouterr().err
    seeded_client.history(progress=True)
    assert "12/12" in capsys.readouterr().err


def test_history_since_and_options(seeded_client: NeoClient) -> None:
    tasks = seeded_client.tasks_frame()
    middle = tasks.created_at.sort_values().iloc[6]
    recent = seeded_client.history(since=middle.isoformat(), progress=False)
    assert set(recent.tasks.task_id) == set(tasks.task_id[tasks.created_at >= middle])
    naive = middle.tz_convert(None).to_pydatetime()
    assert len(seeded_client.history(since=naive, progress=False).tasks) == 6
    by_id = seeded_client.history(tasks=list(tasks.task_id), since=middle, progress=False)
    assert set(by_id.tasks.task_id) == set(recent.tasks.task_id)
    future = datetime(2999, 1, 1, tzinfo=timezone.utc)
    empty = seeded_client.history(since=future, progress=False)
    assert len(empty.events) == 0 and dtypes(empty.tool_calls) == expect(TOOL_CALL_DTYPES)
    with pytest.raises(ConfigurationError, match="since"):
        seeded_client.history(since="last tuesday")
    with pytest.raises(ConfigurationError, match="workers"):
        seeded_client.history(workers=0)


# -- export ---------------------------------------------------------------------------------


def count(path: Path, table: str) -> int:
    glob = f"{path}/{table}/**/*.parquet"
    rows = duckdb.sql(f"select count(*) from read_parquet('{glob}', hive_partitioning=true)")
    return int(rows.fetchall()[0][0])


def test_export_is_readable_and_re_export_never_duplicates(
    seeded: NeoEmulator, seeded_client: NeoClient, tmp_path: Path
) -> None:
    out = tmp_path / "neo"
    summary = seeded_client.export(str(out))
    history = seeded_client.history(progress=False)
    assert (summary.tasks, summary.events, summary.tool_calls) == (
        12,
        len(history.events),
        len(history.tool_calls),
    )
    assert not summary.failures and "12 tasks" in repr(summary)
    for table, n in (("tasks", 12), ("events", summary.events), ("tool_calls", summary.tool_calls)):
        assert count(out, table) == n
    months = {p.name for p in (out / "events").iterdir()}
    assert all(m.startswith("month=20") for m in months)

    again = seeded_client.export(out)
    assert again.events == summary.events and count(out, "events") == summary.events
    assert count(out, "tasks") == 12 and not list(out.rglob("*.tmp"))

    events = duckdb.sql(
        f"select type, month, raw, timestamp from read_parquet('{out}/events/**/*.parquet', "
        "hive_partitioning=true)"
    ).df()
    assert set(events.type) >= {"user_message", "assistant_message"}
    assert json.loads(events.raw.iloc[0])["eventBody"]
    calls = duckdb.sql(
        f"select name, arguments, duration_s from read_parquet("
        f"'{out}/tool_calls/**/*.parquet', hive_partitioning=true) "
        "where name <> 'approval_request'"
    ).df()
    assert all("stack" in json.loads(a) or "repository" in json.loads(a) for a in calls.arguments)
    assert (calls.duration_s > 0).all()
    stacks = duckdb.sql(
        f"select unnest(stacks) as stack, count(*) as n from read_parquet("
        f"'{out}/tasks/**/*.parquet', hive_partitioning=true) group by stack"
    ).df()
    assert stacks.n.sum() >= 12


def test_export_since_is_incremental(
    seeded: NeoEmulator, seeded_client: NeoClient, tmp_path: Path
) -> None:
    tasks = seeded_client.tasks_frame()
    middle = tasks.created_at.sort_values().iloc[6]
    first = seeded_client.export(tmp_path, since=middle)
    assert first.tasks == 6 and count(tmp_path, "tasks") == 6
    seeded.inject_event(
        seeded.task_ids[0],
        {
            "type": "agentResponse",
            "eventBody": {
                "type": "warning",
                "message": "late",
                "timestamp": "2030-01-01T00:00:00Z",
            },
        },
    )
    everything = seeded_client.export(tmp_path)
    assert everything.tasks == 12 and count(tmp_path, "tasks") == 12
    assert count(tmp_path, "events") == everything.events
    frame = pd.read_parquet(tmp_path / "events")
    assert frame.event_id.is_unique and "late" in set(frame.content)


def test_one_rule_for_repeated_ids_in_the_frames_and_the_tail(
    client: NeoClient, emulator: NeoEmulator
) -> None:
    task = client.create_task("hello")
    assert emulator.agent_done(task.id)
    before = len(client.events_frame(task.id))
    tail = client.tail(task.id)
    tail.poll()
    # The same event twice with a numeric id, its text twin, and two events with no id.
    for event_id in (5, 5, "5", None, None):
        event: dict[str, Any] = {
            "type": "agentResponse",
            "eventBody": {"type": "warning", "message": f"id {event_id!r}"},
        }
        if event_id is not None:
            event["id"] = event_id
        emulator.inject_event(task.id, event)
    # inject_event draws an id for an event without one: take the id out again.
    events = list(client.events(task.id))
    raw = [dict(e.raw) for e in events]
    for item in raw[-2:]:
        del item["id"]
    frame = events_frame(raw, task_id=task.id)
    late = tail.poll()
    # 5 once, and both events without an id; the frame over HTTP says the same of 5.
    assert [e.content for e in late] == ["id 5"] + [f"id {v!r}" for v in (None, None)]
    assert frame.content.tolist()[before:] == ["id 5", "id None", "id None"]
    assert len(client.events_frame(task.id)) == before + 3
    assert frame.event_id.iloc[before] == "5" and frame.event_id.iloc[before + 1 :].isna().all()
