"""Reading many tasks at once, and writing them as a Parquet dataset.

:func:`fetch_history` reads the org's tasks and their events concurrently over the client's
one pooled session into a :class:`History` of frames; :func:`export_history` writes the same
as a Parquet dataset that DuckDB, Polars or Spark can read. Frames are laid out by
``_frames``; this module only fetches, fans out and writes.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pandas as pd
import pyarrow as pa

from ._errors import ConfigurationError, NeoError
from ._frames import (
    EVENT_COLUMNS,
    RAW_COLUMN,
    TASK_COLUMNS,
    TOOL_CALL_COLUMNS,
    Collector,
    Kind,
    arrow_type,
    paused_gc,
    tasks_frame,
)
from ._models import Task, parse_timestamp
from ._transport import MAX_PAGE_SIZE, Page, Transport

__all__ = [
    "EVENT_SCHEMA",
    "TASK_SCHEMA",
    "TOOL_CALL_SCHEMA",
    "ExportSummary",
    "History",
    "check_workers",
    "export_history",
    "fetch_history",
    "for_parquet",
    "interactive",
    "read_events_frame",
]

_T = TypeVar("_T")


@dataclass(frozen=True)
class History:
    """The tasks of an org (or those asked for) with their events and tool calls.

    ``tasks`` has a row for every task that could be read; ``events`` and ``tool_calls`` hold
    the tasks whose events were all read, in task order, each task's rows in the API's order.
    A task that failed is in ``failures`` (task id -> the typed error, e.g. ``NotFoundError``)
    and has no rows in ``events``: never a partial event log.
    """

    tasks: pd.DataFrame
    events: pd.DataFrame
    tool_calls: pd.DataFrame
    failures: dict[str, NeoError] = field(default_factory=dict)

    def __repr__(self) -> str:
        text = (
            f"History({len(self.tasks):,} tasks, {len(self.events):,} events, "
            f"{len(self.tool_calls):,} tool calls"
        )
        if not self.failures:
            return text + ")"
        first = list(self.failures.items())[:3]
        shown = "; ".join(f"{task_id}: {type(error).__name__}" for task_id, error in first)
        more = f"; +{len(self.failures) - 3} more" if len(self.failures) > 3 else ""
        return text + f", {len(self.failures)} failed: {shown}{more}; see .failures)"


def _since(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    parsed = parse_timestamp(value) if isinstance(value, str) else None
    if parsed is None:
        raise ConfigurationError(
            f"since must be a datetime or an ISO 8601 time such as '2025-01-31' or "
            f"'2025-01-31T12:00:00Z', got {value!r}"
        )
    return parsed


def check_workers(workers: int) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigurationError(f"workers must be a positive integer, got {workers!r}")
    return workers


def interactive() -> bool:
    """Whether a person is watching: a Jupyter kernel or a terminal (for progress bars)."""
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
            return True
    return bool(sys.stderr is not None and sys.stderr.isatty())


@dataclass
class _Target:
    """A task to read: its id, and its JSON when already known (from the listing)."""

    task_id: str
    data: Mapping[str, Any] | None = None


def _targets(
    transport: Transport, tasks: Iterable[str | Task] | None, since: datetime | None
) -> list[_Target]:
    if tasks is None:
        listing = transport.items(transport.path("tasks"), "tasks", MAX_PAGE_SIZE)
        found = [_Target(str(t.get("id")), t) for t in listing if t.get("id")]
    else:
        found = []
        for task in tasks:
            if isinstance(task, Task):
                found.append(_Target(task.id, task.raw or None))
            elif isinstance(task, str) and task.strip():
                found.append(_Target(task))
            else:
                raise ConfigurationError(f"tasks must hold task ids or Task objects, got {task!r}")
    unique = {t.task_id: t for t in reversed(found)}
    ordered = [unique.pop(t.task_id) for t in found if t.task_id in unique]
    return [t for t in ordered if t.data is None or _created_since(t.data, since)]


def _created_since(data: Mapping[str, Any], since: datetime | None) -> bool:
    if since is None:
        return True
    created = parse_timestamp(data.get("createdAt"))
    return created is not None and created >= since


def _read_pages(transport: Transport, task_id: str, *, ahead: bool = False) -> Iterator[list[Any]]:
    """A task's event pages at the largest page size; the first is fetched at the call, so a
    bad task id fails there. With ``ahead``, each next page is fetched while this one is
    read (see :func:`_read_ahead`)."""
    pages = transport.pages(transport.path("tasks", task_id, "events"), "events", MAX_PAGE_SIZE)
    return _read_ahead(pages) if ahead else (page.items for page in pages)


def _read_ahead(pages: Iterator[Page]) -> Iterator[list[Any]]:
    """Each page's items, with the next page already on its way, fetched on a thread.

    Laying out a page is a few milliseconds of Python, and the next page's round trip is
    mostly waiting on the network, which lets go of the GIL: the two overlap. The thread is
    waited for until it has started, because a page is laid out in less than the
    interpreter's switch interval (5 ms): the thread would not otherwise get the GIL to
    send its request before the layout ends, and nothing would overlap (measured so).
    An error fetching a page is raised where that page is asked for, as when reading in
    turn. A history reads many tasks at once already, so only one task read alone uses it.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="neo-read-ahead") as pool:
        current = next(pages, None)
        while current is not None:
            started = threading.Event()
            upcoming = pool.submit(_next_page, pages, started)
            started.wait()
            yield current.items
            current = upcoming.result()


def _next_page(pages: Iterator[Page], started: threading.Event) -> Page | None:
    started.set()
    return next(pages, None)


def _collect(
    transport: Transport,
    task_id: str,
    *,
    raw: bool = False,
    tool_calls: bool = True,
    ahead: bool = False,
) -> Collector:
    """Every event (and tool call) of one task, read page by page into columns."""
    collector = Collector(raw=raw, tool_calls=tool_calls)
    with paused_gc():  # the pages' JSON is bulk too
        for page in _read_pages(transport, task_id, ahead=ahead):
            collector.add(page, task_id)
    return collector


def read_events_frame(transport: Transport, task_id: str, *, raw: bool = False) -> pd.DataFrame:
    """One task's events frame (see :func:`events_frame`), read with the largest pages."""
    return _collect(transport, task_id, raw=raw, tool_calls=False, ahead=True).events_frame()


def _run(
    targets: list[_Target],
    work: Callable[[_Target], _T],
    *,
    workers: int,
    progress: bool | None,
    desc: str,
) -> tuple[dict[str, _T], dict[str, NeoError]]:
    """Run ``work`` for every target on a thread pool; errors are collected per task.

    Only neo_notebook's own errors count as a task's failure: anything else is a bug and
    is raised.
    """
    show = interactive() if progress is None else progress
    results: dict[str, _T] = {}
    failures: dict[str, NeoError] = {}
    from tqdm.auto import tqdm

    with (
        tqdm(total=len(targets), desc=desc, unit="task", disable=not show) as bar,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="neo-history") as pool,
    ):
        futures = {pool.submit(work, target): target.task_id for target in targets}
        for future in as_completed(futures):
            task_id = futures[future]
            try:
                results[task_id] = future.result()
            except NeoError as exc:
                failures[task_id] = exc
            bar.update(1)
    return results, failures


def fetch_history(
    transport: Transport,
    *,
    tasks: Iterable[str | Task] | None = None,
    since: datetime | str | None = None,
    workers: int = 8,
    progress: bool | None = None,
) -> History:
    """Read many tasks' events concurrently into one :class:`History`.

    Args:
        tasks: task ids or :class:`Task` objects; default every task of the org.
        since: keep only tasks created at or after this time (a datetime, naive meaning
            UTC, or an ISO 8601 string).
        workers: how many tasks are read at once, over the client's one pooled session.
        progress: show a progress bar; default only when a person is watching (Jupyter or
            a terminal).

    A task that cannot be read (gone, forbidden, the network failing after every retry) is
    listed in ``History.failures``; the others' events still come back.

    Example::

        history = client.history(since="2025-01-01")
        history.tool_calls.name.value_counts()
    """
    check_workers(workers)
    after = _since(since)
    targets = _targets(transport, tasks, after)

    def work(target: _Target) -> tuple[Mapping[str, Any] | None, Collector]:
        data = target.data
        if data is None:
            data = transport.get_json(transport.path("tasks", target.task_id))
            if not isinstance(data, Mapping) or not _created_since(data, after):
                return None, Collector()
        return data, _collect(transport, target.task_id)

    results, failures = _run(targets, work, workers=workers, progress=progress, desc="tasks")
    task_rows: list[Mapping[str, Any]] = []
    everything = Collector()
    for target in targets:
        if target.task_id in results:
            data, collector = results.pop(target.task_id)
            if data is not None:
                task_rows.append(data)
                everything.extend(collector)
        elif target.data is not None:
            task_rows.append(target.data)
    return History(
        tasks=tasks_frame(task_rows),
        events=everything.events_frame(),
        tool_calls=everything.tool_calls_frame(),
        failures=failures,
    )


# -- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_history` wrote: counts per table, and the tasks that failed."""

    path: Path
    tasks: int
    events: int
    tool_calls: int
    failures: dict[str, NeoError] = field(default_factory=dict)

    def __repr__(self) -> str:
        failed = f", {len(self.failures)} failed (see .failures)" if self.failures else ""
        return (
            f"ExportSummary({str(self.path)!r}: {self.tasks:,} tasks, {self.events:,} events, "
            f"{self.tool_calls:,} tool calls{failed})"
        )


def _schema(spec: tuple[tuple[str, Kind], ...]) -> pa.Schema:
    """The Parquet schema of a table: durations become float seconds (``<name>_s``), since
    Parquet has no duration type that DuckDB and Spark read as one."""
    fields = [
        pa.field(f"{name}_s", pa.float64())
        if kind == "duration"
        else pa.field(name, arrow_type(kind))
        for name, kind in spec
    ]
    return pa.schema(fields)


EVENT_SCHEMA = _schema((*EVENT_COLUMNS, RAW_COLUMN))
TOOL_CALL_SCHEMA = _schema(TOOL_CALL_COLUMNS)
TASK_SCHEMA = _schema((*TASK_COLUMNS, RAW_COLUMN))


def for_parquet(frame: pd.DataFrame, spec: tuple[tuple[str, Kind], ...]) -> pd.DataFrame:
    """The frame with dict columns as JSON text and durations as seconds."""
    out: pd.DataFrame = frame.copy(deep=False)
    for name, kind in spec:
        if kind == "object":
            out[name] = [
                None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                for v in frame[name]
            ]
        elif kind == "duration":
            out[f"{name}_s"] = frame[name].dt.total_seconds()  # the schema sets the order
            del out[name]
    return out


def _write(frame: pd.DataFrame, schema: pa.Schema, target: Path) -> None:
    """Write one Parquet file atomically: a run cut short never leaves a half-written file
    where a reader (or the next run) would take it for a whole one."""
    import pyarrow.parquet as pq

    target.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    temporary = target.with_name(f".{target.name}.{threading.get_ident()}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, target)


def _month(data: Mapping[str, Any]) -> str:
    created = parse_timestamp(data.get("createdAt"))
    return created.strftime("%Y-%m") if created else "unknown"


def export_history(
    transport: Transport,
    path: str | os.PathLike[str],
    *,
    since: datetime | str | None = None,
    workers: int = 8,
    progress: bool | None = None,
) -> ExportSummary:
    """Write the org's tasks, events and tool calls as a Parquet dataset under ``path``.

    Layout (Hive-style partitions by the month the task was created, in UTC)::

        path/tasks/month=2025-01/<task id>.parquet
        path/events/month=2025-01/<task id>.parquet
        path/tool_calls/month=2025-01/<task id>.parquet

    One file per task per table, replaced whole on every export, so exporting again (after
    new events, or to resume a run that failed part way) never duplicates a row, and
    ``since`` makes an export incremental: only tasks created at or after it are (re)written.
    Tasks created earlier that got new events since are refreshed by an export with an older
    ``since``. Columns are those of the frames, with ``raw`` JSON text in ``tasks`` and
    ``events``; in ``tool_calls``, ``arguments`` is JSON text and ``duration`` becomes
    ``duration_s`` (float seconds). A task that fails is in the summary's ``failures`` and
    keeps whatever an earlier export wrote for it.

    Read it back with DuckDB::

        duckdb.sql("select type, count(*) from read_parquet('path/events/**/*.parquet', "
                   "hive_partitioning=true) group by type")
    """
    check_workers(workers)
    root = Path(path)
    targets = _targets(transport, None, _since(since))

    def work(target: _Target) -> tuple[int, int]:
        data = target.data or {}  # the listing gives every task's JSON
        collector = _collect(transport, target.task_id, raw=True)
        name = quote(target.task_id, safe="-_.") + ".parquet"
        partition = f"month={_month(data)}"
        events = collector.events_frame()
        calls = collector.tool_calls_frame()
        _write(events, EVENT_SCHEMA, root / "events" / partition / name)
        _write(
            for_parquet(calls, TOOL_CALL_COLUMNS),
            TOOL_CALL_SCHEMA,
            root / "tool_calls" / partition / name,
        )
        # The task row last: its presence says the task's other files are complete.
        _write(tasks_frame([data], raw=True), TASK_SCHEMA, root / "tasks" / partition / name)
        return len(events), len(calls)

    results, failures = _run(targets, work, workers=workers, progress=progress, desc="export")
    return ExportSummary(
        path=root,
        tasks=len(results),
        events=sum(n for n, _ in results.values()),
        tool_calls=sum(n for _, n in results.values()),
        failures=failures,
    )
