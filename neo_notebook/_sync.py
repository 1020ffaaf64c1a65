"""Keeping an org's Neo history as three Delta Lake tables, reading only what is new.

:func:`sync_history` keeps ``path/"tasks"``, ``path/"events"`` and ``path/"tool_calls"``
(the columns of the frames, laid out as :func:`~neo_notebook._history.export_history` lays
them out in Parquet) up to date. The first run reads everything; a later run reads the task
list, then walks the tasks by last activity, newest first, reading each task's events from
where the last run stopped, and stops at the first task with nothing new: every task after
it is older. A task the tables have never seen is always read, wherever it sorts.

Why it can be killed at any point and run again:

- Where to resume each task (the continuation token of the last page read, as
  :class:`~neo_notebook.EventTail` keeps it) is stored in the custom metadata of the events
  table's commit, the same Delta transaction as the event rows it describes. Either both
  land or neither does.
- Events are merged on (task id, event id), inserted only when new; tool runs are merged on
  (task id, event id, call id) and updated when their outcome changed. Running again after a
  crash re-reads from the last committed cursor, and the merges keep every row once.
- Tool runs are committed before the events: a crash between the two leaves the cursor
  behind, so the next run folds those events again (into the same rows).
- The "stop at the first task with nothing new" rule trusts the order only below the start
  of the last sync that finished cleanly (less a margin for clocks): a task busy while a sync
  ran, or left half-read by a killed one, is read again rather than skipped.

A tool run's outcome depends on earlier events (the call, its start), so a task with new
events is folded again from its stored events (the ``raw`` column, read locally) and the new
ones: no request is spent on what the tables already hold.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pyarrow as pa

from ._errors import ConfigurationError, NeoError
from ._frames import EVENT_COLUMNS, RAW_COLUMN, TASK_COLUMNS, TOOL_CALL_COLUMNS, Collector
from ._frames import tasks_frame as make_tasks_frame
from ._history import (
    EVENT_SCHEMA,
    TASK_SCHEMA,
    TOOL_CALL_SCHEMA,
    check_workers,
    for_parquet,
    interactive,
)
from ._models import parse_timestamp
from ._transport import MAX_PAGE_SIZE, Page, Transport, item_key

if TYPE_CHECKING:
    import pandas as pd
    from deltalake import DeltaTable

__all__ = ["SyncSummary", "sync_history"]

#: The tables, in the order their rows depend on each other, with their Arrow schemas.
TABLES: Mapping[str, pa.Schema] = {
    "tasks": TASK_SCHEMA,
    "tool_calls": TOOL_CALL_SCHEMA,
    "events": EVENT_SCHEMA,
}
#: The key of the resume state in the events table's commit metadata.
STATE_KEY = "neo_notebook.sync"
#: What a table's description says when this module made it.
_WRITER = "neo_notebook.sync"
#: Commit after this many tasks with new events (a killed run loses at most these).
BATCH_TASKS = 200
#: ... or this many new events, whichever comes first (bounds the memory of a batch).
BATCH_EVENTS = 100_000
#: Event times and this machine's clock may disagree, and events may be recorded late.
CLOCK_MARGIN = timedelta(minutes=15)
#: How many commits back to look for the resume state (others may optimize the table).
_HISTORY_LOOKBACK = 50


@dataclass(frozen=True)
class SyncSummary:
    """What one :func:`sync_history` run did.

    ``tasks`` were listed; ``tasks_new`` and ``tasks_updated`` are rows added to and changed
    in the tasks table; ``tasks_read`` had their events requested. ``events_read`` came over
    the network (a resumed task's last page is read again), ``events_new`` were added.
    ``tool_calls_new`` and ``tool_calls_updated`` likewise (a run that finished since the
    last sync is updated). ``requests`` counts every HTTP request, retries included.
    A task that could not be read is in ``failures`` and is read again next time.
    """

    path: Path
    tasks: int
    tasks_new: int
    tasks_updated: int
    tasks_read: int
    events_read: int
    events_new: int
    tool_calls_new: int
    tool_calls_updated: int
    requests: int
    seconds: float
    failures: dict[str, NeoError] = field(default_factory=dict)

    def __repr__(self) -> str:
        failed = f", {len(self.failures)} failed (see .failures)" if self.failures else ""
        return (
            f"SyncSummary({str(self.path)!r}: {self.tasks:,} tasks ({self.tasks_new:,} new, "
            f"{self.tasks_updated:,} updated, {self.tasks_read:,} read), "
            f"{self.events_new:,} new events of {self.events_read:,} read, "
            f"{self.tool_calls_new:,} new and {self.tool_calls_updated:,} updated tool calls, "
            f"{self.requests:,} requests in {self.seconds:.1f}s{failed})"
        )


# -- where each task resumes -----------------------------------------------------------------


class Cursor(NamedTuple):
    """Where a task's events were read up to: the continuation token of the last page read
    (None: the first page), how many items of that page were read, and the id and time of
    the newest event read."""

    token: str | None
    taken: int
    last_id: str | None
    last_at: str | None


@dataclass
class _State:
    """What the events table's latest sync commit says: every task's cursor, and when the
    last sync that read everything it had to began (None: none did yet)."""

    cursors: dict[str, Cursor]
    watermark: datetime | None

    def to_metadata(self) -> dict[str, str]:
        state = {
            "version": 1,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "tasks": {task: list(cursor) for task, cursor in self.cursors.items()},
        }
        return {STATE_KEY: json.dumps(state, separators=(",", ":"))}

    @classmethod
    def from_table(cls, events: DeltaTable) -> _State:
        for commit in events.history(_HISTORY_LOOKBACK):
            text = commit.get(STATE_KEY)
            if isinstance(text, str):
                state = json.loads(text)
                cursors = {task: Cursor(*values) for task, values in state.get("tasks", {}).items()}
                return cls(cursors, parse_timestamp(state.get("watermark")))
        return cls({}, None)


# -- the tables ------------------------------------------------------------------------------


def _deltalake() -> Any:
    try:
        import deltalake
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise ImportError(
            "client.sync writes Delta Lake tables and needs the deltalake package: "
            "pip install 'neo-notebook[delta]'"
        ) from exc
    return deltalake


def _identity(org: str, name: str) -> str:
    return json.dumps({"writer": _WRITER, "org": org, "table": name}, sort_keys=True)


def open_tables(root: Path, org: str) -> dict[str, DeltaTable]:
    """The three tables under ``root``, created when absent; refuses anything else there.

    Every check is made before anything is created, so a refused path is left as it was.
    """
    deltalake = _deltalake()
    if root.exists() and not root.is_dir():
        raise ConfigurationError(
            f"{root} is a file; sync keeps three Delta tables in a folder: pass a folder path"
        )
    found: dict[str, DeltaTable] = {}
    for name in TABLES:
        where = root / name
        if not where.exists():
            continue
        if not deltalake.DeltaTable.is_deltatable(str(where)):
            raise ConfigurationError(
                f"{where} exists and is not a Delta table of neo_notebook's sync; nothing was "
                "written. Sync into a new or empty folder."
            )
        table = deltalake.DeltaTable(str(where))
        try:
            owner = json.loads(table.metadata().description or "")
        except ValueError:
            owner = None
        if not isinstance(owner, dict) or owner.get("writer") != _WRITER:
            raise ConfigurationError(
                f"{where} is a Delta table that neo_notebook's sync did not write; nothing was "
                "written. Sync into a new or empty folder."
            )
        if owner.get("org") != org or owner.get("table") != name:
            raise ConfigurationError(
                f"{where} holds the {owner.get('table')!r} table of organization "
                f"{owner.get('org')!r}, not the {name!r} table of {org!r}; nothing was written. "
                "Sync each organization into its own folder."
            )
        found[name] = table
    if not found and root.exists() and any(root.iterdir()):
        raise ConfigurationError(
            f"{root} holds files that are not neo_notebook's sync tables; nothing was written. "
            "Sync into a new or empty folder."
        )
    for name, schema in TABLES.items():
        if name not in found:
            found[name] = deltalake.DeltaTable.create(
                str(root / name),
                schema,
                name=f"neo_{name}",
                description=_identity(org, name),
            )
    return found


def _stored_events(events: DeltaTable, task_ids: list[str]) -> dict[str, list[Any]]:
    """The stored events (as the API sent them, secrets redacted) of some tasks, in order."""
    if not task_ids:
        return {}
    from deltalake import QueryBuilder

    quoted = ", ".join("'" + task.replace("'", "''") + "'" for task in task_ids)
    reader = (
        QueryBuilder()
        .register("events", events)
        .execute(
            f"SELECT task_id, raw FROM events WHERE task_id IN ({quoted}) ORDER BY task_id, seq"
        )
    )
    rows = pa.table(reader)
    stored: dict[str, list[Any]] = {}
    for task_id, raw in zip(
        rows.column("task_id").to_pylist(), rows.column("raw").to_pylist(), strict=True
    ):
        stored.setdefault(task_id, []).append(json.loads(raw))
    return stored


def _arrow(frame: pd.DataFrame, spec: tuple[tuple[str, Any], ...], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pandas(for_parquet(frame, spec), schema=schema, preserve_index=False)


def _merge_tasks(table: DeltaTable, listing: list[Mapping[str, Any]]) -> tuple[int, int]:
    """Insert new tasks and update changed ones; returns (new, updated)."""
    source = _arrow(make_tasks_frame(listing, raw=True), (*TASK_COLUMNS, RAW_COLUMN), TASK_SCHEMA)
    metrics = (
        table.merge(source, "t.task_id = s.task_id", source_alias="s", target_alias="t")
        .when_matched_update_all(predicate="(t.raw IS DISTINCT FROM s.raw)")
        .when_not_matched_insert_all()
        .execute()
    )
    return int(metrics["num_target_rows_inserted"]), int(metrics["num_target_rows_updated"])


_RUN_KEY = (
    "t.task_id = s.task_id AND (t.event_id IS NOT DISTINCT FROM s.event_id) "
    "AND (t.call_id IS NOT DISTINCT FROM s.call_id)"
)
_RUN_CHANGED = " OR ".join(
    f"(t.{column} IS DISTINCT FROM s.{column})"
    for column in ("state", "result", "started_at", "finished_at", "is_error", "runner")
)


def _merge_tool_calls(table: DeltaTable, calls: pd.DataFrame) -> tuple[int, int]:
    """Insert new tool runs and update those whose outcome changed; returns (new, updated)."""
    if calls.empty:
        return 0, 0
    # Runs without a call id that one event makes share a key: the table keeps one.
    calls = calls.drop_duplicates(["task_id", "event_id", "call_id"], keep="last")
    metrics = (
        table.merge(
            _arrow(calls, TOOL_CALL_COLUMNS, TOOL_CALL_SCHEMA),
            _RUN_KEY,
            source_alias="s",
            target_alias="t",
        )
        .when_matched_update_all(predicate=_RUN_CHANGED)
        .when_not_matched_insert_all()
        .execute()
    )
    return int(metrics["num_target_rows_inserted"]), int(metrics["num_target_rows_updated"])


def _merge_events(table: DeltaTable, events: pd.DataFrame, state: _State) -> int:
    """Insert the events not stored yet, with the resume state in the same commit."""
    from deltalake import CommitProperties, write_deltalake

    commit = CommitProperties(custom_metadata=state.to_metadata())
    source = _arrow(events, (*EVENT_COLUMNS, RAW_COLUMN), EVENT_SCHEMA)
    if not len(source):
        write_deltalake(table, source, mode="append", commit_properties=commit)
        return 0
    metrics = (
        table.merge(
            source,
            "t.task_id = s.task_id AND t.event_id = s.event_id",
            source_alias="s",
            target_alias="t",
            commit_properties=commit,
        )
        .when_not_matched_insert_all()
        .execute()
    )
    return int(metrics["num_target_rows_inserted"])


# -- reading ---------------------------------------------------------------------------------


class _Fetched(NamedTuple):
    """A task's events read from its cursor on, and where it now stands."""

    task_id: str
    items: list[Any]
    cursor: Cursor
    new: bool


def _fetch(transport: Transport, task_id: str, cursor: Cursor | None) -> _Fetched:
    """Read a task's events from its cursor (all of them without one)."""
    path = transport.path("tasks", task_id, "events")
    pages: list[Page] = list(
        transport.pages(path, "events", MAX_PAGE_SIZE, cursor.token if cursor else None)
    )
    items = [item for page in pages for item in page.items]
    last_page = pages[-1]
    newest = items[-1] if items else None
    if isinstance(newest, Mapping):
        body = newest.get("eventBody")
        stamp = body.get("timestamp") if isinstance(body, Mapping) else None
        last_id, last_at = item_key(newest), stamp if isinstance(stamp, str) else None
    else:
        last_id, last_at = (cursor.last_id, cursor.last_at) if cursor else (None, None)
    after = Cursor(last_page.token, len(last_page.items), last_id, last_at)
    unchanged = (
        cursor is not None
        and len(items) == cursor.taken
        and (not items or last_id == cursor.last_id)
    )
    return _Fetched(task_id, items, after, not unchanged)


def _older(cursor: Cursor, than: datetime | None) -> bool:
    """Whether a task's newest event is older than ``than`` (unknown times are not)."""
    at = parse_timestamp(cursor.last_at)
    return than is not None and at is not None and at < than


@dataclass
class _Counts:
    tasks_read: int = 0
    events_read: int = 0
    events_new: int = 0
    tool_calls_new: int = 0
    tool_calls_updated: int = 0


class _Writer:
    """Collects fetched tasks and commits them in batches: tool runs, then events + cursors."""

    def __init__(self, tables: dict[str, DeltaTable], state: _State, counts: _Counts) -> None:
        self.tables, self.state, self.counts = tables, state, counts
        self.pending: list[_Fetched] = []
        self.pending_events = 0

    def add(self, fetched: _Fetched) -> None:
        self.counts.tasks_read += 1
        self.counts.events_read += len(fetched.items)
        if fetched.new:
            self.pending.append(fetched)
            self.pending_events += len(fetched.items)
        if len(self.pending) >= BATCH_TASKS or self.pending_events >= BATCH_EVENTS:
            self.commit()

    def commit(self, watermark: datetime | None = None) -> None:
        """Write what is pending (and, at the end of a sync, the new watermark)."""
        batch, self.pending, self.pending_events = self.pending, [], 0
        if not batch and watermark is None:
            return
        known = [f.task_id for f in batch if f.task_id in self.state.cursors]
        stored = _stored_events(self.tables["events"], known)
        collector = Collector(raw=True)
        first_new: dict[str, int] = {}
        for fetched in batch:
            old = stored.get(fetched.task_id, [])
            collector.add(old, fetched.task_id)
            first_new[fetched.task_id] = len(old)
            collector.add(fetched.items, fetched.task_id)
        calls = collector.tool_calls_frame()
        events = collector.events_frame()
        starts = events["task_id"].astype(object).map(first_new).to_numpy()
        events = events[events["seq"].to_numpy() >= starts]
        new, updated = _merge_tool_calls(self.tables["tool_calls"], calls)
        self.counts.tool_calls_new += new
        self.counts.tool_calls_updated += updated
        for fetched in batch:
            self.state.cursors[fetched.task_id] = fetched.cursor
        if watermark is not None:
            self.state.watermark = watermark
        self.counts.events_new += _merge_events(self.tables["events"], events, self.state)


def sync_history(
    transport: Transport,
    path: str | os.PathLike[str],
    *,
    workers: int = 8,
    progress: bool | None = None,
) -> SyncSummary:
    """Bring the Delta tables under ``path`` up to date with the org's Neo history.

    See :meth:`NeoClient.sync <neo_notebook.NeoClient.sync>`.
    """
    check_workers(workers)
    began = datetime.now(timezone.utc)
    clock = time.perf_counter()
    requests_before = transport.requests
    root = Path(path)
    tables = open_tables(root, transport.org)
    state = _State.from_table(tables["events"])
    listing = [
        task
        for task in transport.items(
            transport.path("tasks"),
            "tasks",
            MAX_PAGE_SIZE,
            {"sortBy": "lastEvent", "sortDirection": "desc"},
        )
        if item_key(task)
    ]
    tasks_new, tasks_updated = _merge_tasks(tables["tasks"], listing)
    order = [str(item_key(task)) for task in listing]
    unknown = [task for task in order if task not in state.cursors]
    known = [task for task in order if task in state.cursors]
    counts = _Counts()
    writer = _Writer(tables, state, counts)
    failures: dict[str, NeoError] = {}
    stop_below = state.watermark - CLOCK_MARGIN if state.watermark else None
    from tqdm.auto import tqdm

    show = interactive() if progress is None else progress
    with (
        tqdm(total=len(order), desc="sync", unit="task", disable=not show) as bar,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="neo-sync") as pool,
    ):
        # Tasks never seen: all of them, in any order.
        futures = {pool.submit(_fetch, transport, task, None): task for task in unknown}
        for fetched in _completed(futures, failures):
            writer.add(fetched)
            bar.update(1)
        # Tasks seen before: newest activity first, in growing windows, until one has
        # nothing new and is older than the last clean sync.
        start, size = 0, 1
        while start < len(known):
            window = known[start : start + size]
            start, size = start + size, min(size * 2, workers)
            futures = {pool.submit(_fetch, transport, t, state.cursors[t]): t for t in window}
            results = {f.task_id: f for f in _completed(futures, failures)}
            bar.update(len(window))
            done = False
            for task in window:  # in listing order
                result = results.get(task)
                if result is None:
                    continue
                writer.add(result)
                done = done or (not result.new and _older(result.cursor, stop_below))
            if done:
                break
        bar.total = bar.n
        bar.refresh()
    # Only a sync that read everything it had to moves the watermark forward.
    writer.commit(watermark=None if failures else began)
    return SyncSummary(
        path=root,
        tasks=len(order),
        tasks_new=tasks_new,
        tasks_updated=tasks_updated,
        tasks_read=counts.tasks_read,
        events_read=counts.events_read,
        events_new=counts.events_new,
        tool_calls_new=counts.tool_calls_new,
        tool_calls_updated=counts.tool_calls_updated,
        requests=transport.requests - requests_before,
        seconds=time.perf_counter() - clock,
        failures=failures,
    )


def _completed(
    futures: dict[Future[_Fetched], str], failures: dict[str, NeoError]
) -> Iterator[_Fetched]:
    """The futures' results as they finish; a task that failed goes to ``failures``."""
    for future in as_completed(futures):
        try:
            yield future.result()
        except NeoError as exc:
            failures[futures[future]] = exc
